"""The idea box (strategy activity 3.2.2): ideas, sensitive feedback kept apart, references.

An anonymous idea keeps no link to its sender; a signed one points at its ``Contact`` so the
SP/CCM's answer can reach them (the address stays encrypted on the contact). Sensitive feedback
(abuse, exploitation, fraud by staff) lives in its own table, its text encrypted: digests,
indicators and partner views read ``ideas`` only, so they cannot show it by mistake.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.core.models import Base, utcnow

# Themes offered on Telegram (and counted as the "themes" indicator); SENSITIVE is kept apart.
THEMES = ("information", "safety", "return", "women_children", "coordination", "other")
SENSITIVE = "sensitive"
# Statuses the SP/CCM sets; the CLI accepts these words.
STATUSES = ("received", "review", "discussed", "acted", "declined")
# Organisation types of enrolled stakeholders (indicators by type of actor).
ORGANISATION_TYPES = ("state", "local_authority", "ptf", "osc", "committee")


class Idea(Base):
    """One idea-box submission (never sensitive feedback: see ``SensitiveFeedback``)."""

    __tablename__ = "ideas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)  # I-2026-00042
    text_enc: Mapped[str] = mapped_column(Text)  # Vault ciphertext, as report texts
    theme: Mapped[str | None] = mapped_column(String(24))
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Only when signed; SET NULL when the person says DELETE (the idea itself stays).
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    organisation_type: Mapped[str | None] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), default="received")
    answer: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SensitiveFeedback(Base):
    """Abuse, exploitation or fraud reported through the idea box: named officers only."""

    __tablename__ = "sensitive_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)  # same series as ideas
    text_enc: Mapped[str] = mapped_column(Text)  # Vault ciphertext
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    follow_up: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="received")
    answer: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class IdeaCounter(Base):
    """The last idea reference number given in a year (one row per year)."""

    __tablename__ = "idea_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


def next_idea_reference(session: Session, year: int) -> str:
    """The next ``I-<year>-<nnnnn>``, safe when several processes take one at once.

    One ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``: the row lock (PostgreSQL) or the
    write lock taken at BEGIN (SQLite) serialises the increments.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(IdeaCounter).values(year=year, last=1).on_conflict_do_update(
        index_elements=[IdeaCounter.year], set_={"last": IdeaCounter.last + 1},
    ).returning(IdeaCounter.last)
    return f"I-{year}-{session.execute(statement).scalar_one():05d}"


def find_submission(session: Session, reference: str) -> Idea | SensitiveFeedback | None:
    """The idea or sensitive feedback with this reference (case-insensitive)."""
    reference = reference.strip().upper()
    idea = session.scalars(select(Idea).where(Idea.reference == reference)).first()
    if idea is not None:
        return idea
    return session.scalars(select(SensitiveFeedback)
                           .where(SensitiveFeedback.reference == reference)).first()


__all__ = [
    "ORGANISATION_TYPES", "SENSITIVE", "STATUSES", "THEMES", "Idea", "IdeaCounter",
    "SensitiveFeedback", "find_submission", "next_idea_reference",
]

"""Which digest went to whom for which period: the store, not a scheduler's memory, decides.

A ``DigestRun`` row is written in the same transaction as the digest's outbox rows, under a
unique key (digest, period, recipient): a second process that builds the same digest fails
that insert and rolls its copy back, and a restart finds out which period was never sent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models import Base, OutboxMessage, utcnow


class DigestRun(Base):
    __tablename__ = "digest_runs"
    __table_args__ = (UniqueConstraint("digest", "period", "recipient_id",
                                       name="uq_digest_run"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(16))  # daily | weekly
    period: Mapped[str] = mapped_column(String(32))  # e.g. 2026-11-23 or 2026-11-17..2026-11-23
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipients.id", ondelete="CASCADE"),
                                              index=True)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Delivery failures of a period are counted by the time of their last try (the sender writes it
# to ``next_attempt_at``): this index keeps that count to the period's rows.
Index("ix_outbox_status_attempt", OutboxMessage.status, OutboxMessage.next_attempt_at)

__all__ = ["DigestRun"]

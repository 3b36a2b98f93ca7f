"""Watch committees, their members and enrolment codes, and the reports they send.

No address is stored here: a member points at its ``Contact`` row (the pseudonymised,
encrypted address lives there only). A report keeps a separate keyed pseudonym of its reporter
so an export cannot be joined back to the contacts table, and its raw text and description
only as Vault ciphertexts.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.core.crypto import Vault, short_ref
from bot.core.models import Base, Contact, utcnow

# Report statuses (point 8 of the issue). "duplicate" is set by the system, the others by the
# SP/CCM (verified, rejected) or the reporter (withdrawn).
RECEIVED, VERIFIED, REJECTED, DUPLICATE, WITHDRAWN = (
    "received", "verified", "rejected", "duplicate", "withdrawn")
# Member statuses: a revoked or moved member keeps its row, so its reports keep their author.
ACTIVE, REVOKED, MOVED = "active", "revoked", "moved"
# Kinds of link between two reports.
LINK_DUPLICATE, LINK_CORROBORATES, LINK_CORRECTS = "duplicate", "corroborates", "corrects"
# The category of a "nothing to report" report.
NOTHING = "nothing"


class Committee(Base):
    """A watch and information committee, attached to one point of the route."""

    __tablename__ = "committees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)  # what officers type in the CLI
    name: Mapped[str] = mapped_column(String(120))
    point_id: Mapped[str] = mapped_column(String(40))
    region: Mapped[str | None] = mapped_column(String(8))  # OCHA admin-1 P-code
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommitteeMember(Base):
    """One contact (one channel) enrolled in one committee."""

    __tablename__ = "committee_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id"), index=True)
    # SET NULL: a member who says DELETE is forgotten; the row (and its reports) stay.
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=ACTIVE)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None]


class EnrolmentCode(Base):
    """A one-time code; only its keyed hash is stored, never the code itself."""

    __tablename__ = "enrolment_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("committee_members.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Report(Base):
    """One incident report (or one "nothing to report") from a committee member."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_point_category_time", "point_id", "category",
                            "occurred_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)  # R-2026-00123
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("committee_members.id"))
    reporter: Mapped[str] = mapped_column(String(64), index=True)  # keyed pseudonym
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(40))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    point_id: Mapped[str] = mapped_column(String(40))
    region: Mapped[str | None] = mapped_column(String(8))  # OCHA admin-1 P-code
    # Event time, not receipt time. precision: "time" (a moment), "day" (a date was given),
    # "assumed" (none given: the day of receipt, noon local time).
    occurred_at: Mapped[datetime]
    occurred_precision: Mapped[str] = mapped_column(String(8))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    total: Mapped[int | None] = mapped_column(Integer)  # None: unknown
    women: Mapped[int | None] = mapped_column(Integer)
    children: Mapped[int | None] = mapped_column(Integer)
    description_enc: Mapped[str | None] = mapped_column(Text)
    raw_text_enc: Mapped[str | None] = mapped_column(Text)
    # A Telegram photo or voice note, as Telegram's file id (never downloaded).
    media_kind: Mapped[str | None] = mapped_column(String(8))
    media_file_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default=RECEIVED)
    corroborated: Mapped[bool] = mapped_column(Boolean, default=False)
    status_changed_at: Mapped[datetime | None]


def reporter_pseudonym(vault: Vault, contact_pseudonym: str) -> str:
    """The keyed hash a report keeps of its reporter (``Report.reporter``): not the contacts
    table's pseudonym, so a report cannot be joined back to it."""
    return vault.pseudonym(f"reporter:{contact_pseudonym}")


def person_ref(vault: Vault, contact_pseudonym: str | None) -> str | None:
    """The one short pseudonym officers read for a committee member, on every page and in the
    CLI (the committee page, a report's page, ``hanya committee members``): the start of its
    reports' reporter hash. None: the member said DELETE (shown as erased)."""
    if contact_pseudonym is None:
        return None
    return short_ref(reporter_pseudonym(vault, contact_pseudonym))


def report_person_ref(session: Session, vault: Vault, report: Report) -> str | None:
    """``person_ref`` of a report's reporter: through its member (so that a key rotation, which
    renews contacts' pseudonyms, changes both pages alike); None when the member is erased."""
    member = session.get(CommitteeMember, report.member_id) if report.member_id else None
    if member is None:  # filed before members were linked: the hash it kept
        return short_ref(report.reporter)
    contact = session.get(Contact, member.contact_id) if member.contact_id else None
    return person_ref(vault, contact.pseudonym if contact else None)


class ReportLink(Base):
    """``report_id`` is a possible duplicate of, corroborates, or corrects ``other_id``."""

    __tablename__ = "report_links"
    __table_args__ = (UniqueConstraint("report_id", "other_id", "kind", name="uq_report_link"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"),
                                           index=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"),
                                          index=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportCounter(Base):
    """The last reference number given in a year (one row per year)."""

    __tablename__ = "report_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class SosEvent(Base):
    """An SOS: where and when, nothing about who (counted in digests and indicators)."""

    __tablename__ = "sos_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(16))
    point_id: Mapped[str | None] = mapped_column(String(40))
    region: Mapped[str | None] = mapped_column(String(8))
    alerted: Mapped[bool] = mapped_column(Boolean, default=True)


# --- queries ---------------------------------------------------------------------------------

def next_reference(session: Session, year: int) -> str:
    """The next ``R-<year>-<nnnnn>``, safe when several processes file reports at once.

    One atomic ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` on both databases: the row
    lock (PostgreSQL) or the write lock (SQLite, taken at BEGIN) serialises the increments.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = insert(ReportCounter).values(year=year, last=1).on_conflict_do_update(
        index_elements=[ReportCounter.year], set_={"last": ReportCounter.last + 1})
    number = session.execute(upsert.returning(ReportCounter.last)).scalar_one()
    return format_reference(year, number)


def format_reference(year: int, number: int) -> str:
    return f"R-{year}-{number:05d}"


def active_membership(session: Session, contact_id: int) -> CommitteeMember | None:
    """The contact's active membership of an active committee, if any."""
    return session.scalars(
        select(CommitteeMember).join(Committee, Committee.id == CommitteeMember.committee_id)
        .where(CommitteeMember.contact_id == contact_id, CommitteeMember.status == ACTIVE,
               Committee.active.is_(True))
        .order_by(CommitteeMember.id.desc())).first()


def find_committee(session: Session, name_or_slug: str) -> Committee | None:
    """A committee by slug, numeric id, exact name (case-insensitive), or its point's id when
    that point has one committee only (``assamaka``)."""
    text = name_or_slug.strip()
    if text.isdigit():
        found = session.get(Committee, int(text))
        if found is not None:
            return found
    found = session.scalars(select(Committee).where(
        (Committee.slug == text.lower()) | (func.lower(Committee.name) == text.lower()))).first()
    if found is not None:
        return found
    at_point = session.scalars(select(Committee).where(Committee.point_id == text.lower())
                               .limit(2)).all()
    return at_point[0] if len(at_point) == 1 else None


# Two counts of one event agree when they differ by at most a quarter of the larger, or by a
# handful for small groups: 120 and 110 are one arrival told twice, 120 and 40 two arrivals.
COUNT_TOLERANCE, COUNT_SLACK = 0.25, 5


def counts_agree(one: int | None, other: int | None) -> bool:
    """Whether two head counts can describe the same event (an unknown count agrees)."""
    if one is None or other is None:
        return True
    return abs(one - other) <= max(COUNT_SLACK, COUNT_TOLERANCE * max(one, other))


def link_related(session: Session, report: Report, window: timedelta) -> list[ReportLink]:
    """Link ``report`` to earlier reports of the same category and point within ``window``.

    Same committee and counts that agree: the new one is a possible duplicate of each earlier
    one that still stands for the event (not itself a duplicate). Another committee: both are
    marked corroborated. Nothing is discarded; "nothing to report" and withdrawn reports never
    link.
    """
    if report.category == NOTHING:
        return []
    earlier = session.scalars(
        select(Report).where(
            Report.id != report.id, Report.category == report.category,
            Report.point_id == report.point_id,
            Report.status.not_in([WITHDRAWN, REJECTED]),
            Report.occurred_at >= report.occurred_at - window,
            Report.occurred_at <= report.occurred_at + window)
        .order_by(Report.id)).all()
    links = []
    for other in earlier:
        if other.committee_id != report.committee_id:
            report.corroborated = other.corroborated = True
            links.append(ReportLink(report_id=report.id, other_id=other.id,
                                    kind=LINK_CORROBORATES))
        elif other.status != DUPLICATE and counts_agree(report.total, other.total):
            if report.status == RECEIVED:
                report.status = DUPLICATE
            links.append(ReportLink(report_id=report.id, other_id=other.id, kind=LINK_DUPLICATE))
    session.add_all(links)
    return links


def release_duplicates(session: Session, report: Report, now: datetime,
                       successor: Report | None = None) -> Report | None:
    """Keep the event counted when ``report``, the original of some duplicates, is withdrawn or
    rejected: its duplicates are re-pointed to ``successor`` (a correction) or, without one, the
    first of them is received again and the others point to it. A duplicate that still has
    another standing original is left as it is. Returns the report that now stands."""
    copies = session.scalars(
        select(Report).join(ReportLink, ReportLink.report_id == Report.id)
        .where(ReportLink.other_id == report.id, ReportLink.kind == LINK_DUPLICATE,
               Report.status == DUPLICATE).order_by(Report.id)).all()
    standing = successor
    for copy in copies:
        if _has_standing_original(session, copy, report.id):
            continue
        if standing is None:
            copy.status, copy.status_changed_at = RECEIVED, now
            standing = copy
        else:
            session.add(ReportLink(report_id=copy.id, other_id=standing.id, kind=LINK_DUPLICATE))
    session.flush()
    return standing


def _has_standing_original(session: Session, copy: Report, leaving: int) -> bool:
    originals = session.scalars(select(ReportLink.other_id).where(
        ReportLink.report_id == copy.id, ReportLink.kind == LINK_DUPLICATE,
        ReportLink.other_id != leaving)).all()
    return any((original := session.get(Report, other_id)) is not None
               and original.status in (RECEIVED, VERIFIED) for other_id in originals)


# --- enrolment codes -------------------------------------------------------------------------

# No 0/O, 1/I/L: a code read aloud or copied by hand must not be mistyped.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def normalise_code(text: str) -> str:
    """A code as typed ("k7p4-xm2q", "K7P4 XM2Q") in its canonical form."""
    return "".join(ch for ch in text.upper() if ch.isascii() and ch.isalnum())[:32]


def code_hash(vault: Vault, code: str) -> str:
    """A keyed hash: a stolen database does not give codes away, even by brute force."""
    return vault.pseudonym(f"enrolment:{normalise_code(code)}")


def issue_code(session: Session, vault: Vault, committee: Committee,
               lifetime: timedelta) -> tuple[str, EnrolmentCode]:
    """Create a one-time code for ``committee``; the clear code is returned, never stored."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    row = EnrolmentCode(committee_id=committee.id, code_hash=code_hash(vault, code),
                        expires_at=utcnow() + lifetime)
    session.add(row)
    session.flush()
    return code, row


def usable_code(session: Session, vault: Vault, code: str, now: datetime) -> EnrolmentCode | None:
    """The unused, unexpired code row for ``code``, if any (nothing is changed)."""
    # Under every known key: a code issued before a key rotation still works.
    hashes = vault.pseudonyms(f"enrolment:{normalise_code(code)}")
    return session.scalars(select(EnrolmentCode).where(
        EnrolmentCode.code_hash.in_(hashes), EnrolmentCode.used_at.is_(None),
        EnrolmentCode.expires_at > now)).first()


def claim_code(session: Session, row: EnrolmentCode, now: datetime) -> bool:
    """Mark the code used, atomically: of two people racing for one code, one wins."""
    claimed = session.execute(
        update(EnrolmentCode).where(EnrolmentCode.id == row.id, EnrolmentCode.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(row)
    return True


__all__ = [
    "ACTIVE", "Committee", "CommitteeMember", "EnrolmentCode", "claim_code", "code_hash",
    "issue_code", "normalise_code", "usable_code", "Report", "ReportCounter",
    "ReportLink", "SosEvent", "active_membership", "find_committee", "format_reference",
    "counts_agree", "link_related", "next_reference", "release_duplicates",
]

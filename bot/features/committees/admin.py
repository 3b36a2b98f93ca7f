"""Managing watch committees: what ``hanya committee`` and the dashboard's committee page share.

Create a committee at a content point, count its members, issue a one-time enrolment code with
its Telegram deep link, list members by pseudonym (never an address) and revoke one. Each
function works inside the caller's store session and raises ``ValueError`` on bad input, so the
CLI turns it into a usage error and the web page into a message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.content import Content
from bot.core.crypto import Vault
from bot.core.keywords import normalise
from bot.core.models import Contact, utcnow
from bot.features.committees.models import (
    ACTIVE,
    REVOKED,
    Committee,
    CommitteeMember,
    Report,
    find_committee,
    issue_code,
    person_ref,
)

_DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
NAME_MAX = 120


def parse_duration(text: str) -> timedelta:
    """"7d", "12h", "30m", "2w" -> a timedelta (``ValueError`` otherwise)."""
    match = _DURATION.match(text)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"{text!r}: write a duration like 7d, 12h, 30m or 2w")
    return timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})


def slug_for(name: str) -> str:
    """The short CLI name derived from a committee's name ("Comité d'Arlit" -> comite-darlit)."""
    return re.sub(r"[^a-z0-9]+", "-", normalise(name)).strip("-")[:40]


def create_committee(session: Session, content: Content, *, point: str, name: str,
                     slug: str | None = None) -> Committee:
    """A new committee at the content point ``point``; refuses unknown points and duplicates."""
    place = content.points.get(point)
    if place is None:
        raise ValueError(f"unknown point {point!r}; known: {', '.join(content.points)}")
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise ValueError(f"a committee's name has 1 to {NAME_MAX} characters")
    slug = slug or slug_for(name)
    if not slug or find_committee(session, slug) is not None:
        raise ValueError(f"a committee {slug!r} exists already")
    committee = Committee(slug=slug, name=name, point_id=place.id, region=place.region)
    session.add(committee)
    session.flush()
    return committee


def committees_with_counts(session: Session) -> list[tuple[Committee, int]]:
    """Every committee (oldest first) with its number of active members."""
    counts = dict(session.execute(
        select(CommitteeMember.committee_id, func.count())
        .where(CommitteeMember.status == ACTIVE).group_by(CommitteeMember.committee_id)).all())
    return [(committee, counts.get(committee.id, 0))
            for committee in session.scalars(select(Committee).order_by(Committee.id))]


@dataclass(frozen=True)
class Invitation:
    """A clear enrolment code (shown once, never stored) and the ways to use it."""

    committee: str
    code: str
    expires_at: datetime
    telegram_link: str | None  # None until HANYA_TELEGRAM_BOT_USERNAME is set

    def sms(self, join_word: str = "JOIN") -> str:
        return f"{join_word} {self.code}"


def telegram_link(bot_username: str | None, code: str) -> str | None:
    """The deep link that enrols whoever opens it (``/start <code>``)."""
    if not bot_username:
        return None
    return f"https://t.me/{bot_username.lstrip('@')}?start={code}"


def invite(session: Session, vault: Vault, committee: Committee, lifetime: timedelta,
           bot_username: str | None) -> Invitation:
    """Issue a one-time code for ``committee`` valid for ``lifetime``."""
    code, row = issue_code(session, vault, committee, lifetime)
    return Invitation(committee.name, code, row.expires_at, telegram_link(bot_username, code))


@dataclass(frozen=True)
class MemberRow:
    """A member as officers see it: a pseudonym prefix, never a phone number or chat id."""

    id: int
    committee_id: int
    committee_slug: str
    committee_name: str
    channel: str
    pseudonym: str | None  # models.person_ref: as on its reports' pages; None: said DELETE
    language: str
    status: str
    joined_at: datetime
    reports: int


def member_rows(session: Session, vault: Vault,
                committee_id: int | None = None) -> list[MemberRow]:
    """Members (of one committee, or all), oldest first, with their number of reports."""
    reports = (select(func.count()).select_from(Report)
               .where(Report.member_id == CommitteeMember.id).scalar_subquery())
    query = (select(CommitteeMember, Committee, Contact, reports)
             .join(Committee, Committee.id == CommitteeMember.committee_id)
             .outerjoin(Contact, Contact.id == CommitteeMember.contact_id)
             .order_by(CommitteeMember.id))
    if committee_id is not None:
        query = query.where(Committee.id == committee_id)
    return [MemberRow(member.id, group.id, group.slug, group.name,
                      contact.channel if contact else "",
                      person_ref(vault, contact.pseudonym if contact else None),
                      (contact.language or "") if contact else "", member.status,
                      member.joined_at, count or 0)
            for member, group, contact, count in session.execute(query)]


def revoke_member(session: Session, member_id: int) -> CommitteeMember:
    """Mark a member revoked (the row and its reports stay; REPORT is refused from now on)."""
    row = session.get(CommitteeMember, member_id)
    if row is None:
        raise ValueError(f"no member {member_id}")
    if row.status != REVOKED:
        row.status, row.left_at = REVOKED, utcnow()
    return row


__all__ = [
    "Invitation", "MemberRow", "committees_with_counts", "create_committee", "invite",
    "member_rows", "parse_duration", "revoke_member", "slug_for", "telegram_link",
]

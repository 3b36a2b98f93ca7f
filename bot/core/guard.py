"""Protections on the inbound path: floods, reply loops and SMS pumping.

Counters for one person live in their contact's ``state_data`` (already loaded and locked in
the message's transaction: no extra query on the hot path). The SMS budget per foreign country
code is a row per (prefix, day), incremented atomically.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import phonenumbers
from sqlalchemy import Date, Integer, String, UniqueConstraint, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.core.models import Base, Contact

log = logging.getLogger(__name__)


class SmsBudget(Base):
    """Reply segments sent today to numbers of one foreign country code."""

    __tablename__ = "sms_budget"
    __table_args__ = (UniqueConstraint("prefix", "day", name="uq_sms_budget_prefix_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(8))
    day: Mapped[date] = mapped_column(Date)
    segments: Mapped[int] = mapped_column(Integer, default=0)


@dataclass(frozen=True)
class FloodVerdict:
    allowed: bool
    notify: bool = False  # the first throttled message gets one polite notice


def flood_check(contact: Contact, now: datetime, *, max_messages: int, window: int) -> FloodVerdict:
    """Count this message in the contact's fixed window; say whether to handle it."""
    state: dict[str, Any] = dict(contact.state_data or {})
    start, seen, warned = state.get("flood", [0.0, 0, False])
    stamp = now.timestamp()
    if stamp - start >= window:
        start, seen, warned = stamp, 0, False
    seen += 1
    verdict = FloodVerdict(True)
    if seen > max_messages:
        verdict = FloodVerdict(False, notify=not warned)
        warned = True
    contact.state_data = {**state, "flood": [start, seen, warned]}
    return verdict


def loop_allows(contact: Contact, text: str, now: datetime, *, max_repeats: int,
                window: int) -> bool:
    """False once the same text went to this contact ``max_repeats`` times in the window."""
    state: dict[str, Any] = dict(contact.state_data or {})
    start, counts = state.get("loop", [0.0, {}])
    stamp = now.timestamp()
    if stamp - start >= window:
        start, counts = stamp, {}
    key = hashlib.blake2s(text.encode(), digest_size=6).hexdigest()
    counts = {**counts, key: counts.get(key, 0) + 1}
    contact.state_data = {**state, "loop": [start, counts]}
    return int(counts[key]) <= max_repeats


def foreign_prefix(address: str, home_countries: list[str]) -> str | None:
    """``+<country code>`` of an SMS address outside the home countries, else None."""
    try:
        number = phonenumbers.parse(address.removeprefix("tel:"), None)
    except phonenumbers.NumberParseException:
        return "+?"  # unparseable numbers share one budget
    region = phonenumbers.region_code_for_number(number)
    if region in home_countries:
        return None
    return f"+{number.country_code}"


def spend_sms_budget(session: Session, prefix: str, day: date, segments: int,
                     budget: int) -> bool:
    """Take ``segments`` from today's budget of ``prefix``; False (nothing taken) when over."""
    row = session.scalars(select(SmsBudget).where(SmsBudget.prefix == prefix,
                                                  SmsBudget.day == day)).first()
    if row is None:
        try:
            with session.begin_nested():
                session.add(SmsBudget(prefix=prefix, day=day, segments=0))
        except IntegrityError:
            pass  # another process created it first
    result = session.execute(
        update(SmsBudget)
        .where(SmsBudget.prefix == prefix, SmsBudget.day == day,
               SmsBudget.segments + segments <= budget)
        .values(segments=SmsBudget.segments + segments))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        log.warning("SMS budget for %s exhausted today: reply not sent", prefix)
        return False
    return True

"""What the operations page shows from features built beside the dashboard: the digests sent
(to whom, by name only) and the watch committees that have gone quiet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.models import utcnow
from bot.core.recipients import Recipient
from bot.features.committees.models import Committee, Report
from bot.features.digests.digest import silent_committees
from bot.features.digests.models import DigestRun

# The newest digest runs listed (one row per digest, period and recipient).
DIGEST_ROWS = 50


@dataclass(frozen=True)
class DigestSent:
    """One digest queued for one recipient: never the recipient's address, only its name."""

    digest: str
    period: str
    recipient: str
    channel: str
    at: datetime
    messages: int


@dataclass(frozen=True)
class SilentCommittee:
    name: str
    last_heard: datetime | None  # the last report or RAS received; None: never


def operations(session: Session, silent_days: int, now: datetime | None = None) -> dict[str, Any]:
    """The digest and committee sections of the operations page."""
    now = now or utcnow()
    return {"digests": digests_sent(session), "silent": quiet_committees(session, now, silent_days),
            "silent_days": silent_days}


def digests_sent(session: Session, limit: int = DIGEST_ROWS) -> list[DigestSent]:
    """The newest digest runs with their recipient's name and channel."""
    rows = session.execute(
        select(DigestRun.digest, DigestRun.period, Recipient.name, Recipient.channel,
               DigestRun.created_at, DigestRun.messages)
        .join(Recipient, Recipient.id == DigestRun.recipient_id)
        .order_by(DigestRun.created_at.desc(), DigestRun.id.desc()).limit(limit))
    return [DigestSent(*row) for row in rows]


def quiet_committees(session: Session, now: datetime, days: int) -> list[SilentCommittee]:
    """Active committees with no report nor RAS for ``days`` days (the digest's own rule,
    ``bot.features.digests.digest.silent_committees``), each with the time it was last heard
    from."""
    names = silent_committees(session, now, days)
    if not names:
        return []
    last = dict(session.execute(
        select(Committee.name, func.max(Report.received_at))
        .outerjoin(Report, Report.committee_id == Committee.id)
        .where(Committee.name.in_(names), Committee.active.is_(True),
               Report.received_at.is_(None) | (Report.received_at < now - timedelta(days=days)))
        .group_by(Committee.name)).all())
    return [SilentCommittee(name, last.get(name)) for name in names]

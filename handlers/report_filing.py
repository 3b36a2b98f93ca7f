"""Filing a committee report, shared by the one-SMS report (``report.py``) and the guided
Telegram form (``report_form.py``): membership, the local day, the draft
and the filed row with its links and alerts. Neither conversation imports the other's helpers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.crypto import Vault, short_ref
from bot.core.engine import Turn
from bot.core.messages import Option, Reply
from bot.features.committees import alerts
from bot.features.committees import texts as txt
from bot.features.committees.models import (
    LINK_CORRECTS,
    WITHDRAWN,
    Committee,
    CommitteeMember,
    Report,
    ReportLink,
    active_membership,
    link_related,
    next_reference,
    release_duplicates,
    reporter_pseudonym,
)

log = logging.getLogger(__name__)

# --- shared helpers --------------------------------------------------------------------------

def vault_for(turn: Turn) -> Vault:
    """The same Vault the inbox uses: the current key, and old keys during a rotation."""
    return turn.vault


def membership(turn: Turn) -> tuple[CommitteeMember, Committee] | None:
    session = turn.session
    member = active_membership(session, turn.contact.id)
    if member is None:
        return None
    committee = session.get(Committee, member.committee_id)
    return (member, committee) if committee is not None else None


def tell_not_a_member(turn: Turn) -> None:
    sos = [Option("cmd:sos", "SOS")] if turn.channel.buttons else []
    turn.say(Reply(turn.t(txt.NOT_A_MEMBER), options=sos))


def local_today(turn: Turn) -> date:
    return turn.msg.received_at.astimezone(turn.zone).date()


def day_noon(turn: Turn, day: date) -> datetime:
    """A day given without a time is stored at local noon (half a day either way at most)."""
    return datetime.combine(day, time(12), tzinfo=turn.zone).astimezone(UTC)


# --- filing ----------------------------------------------------------------------------------

@dataclass
class Draft:
    """What a member told us, from the SMS grammar or the Telegram form."""

    category: str
    point_id: str
    occurred_at: datetime
    precision: str  # time | day | assumed
    total: int | None = None
    women: int | None = None
    children: int | None = None
    description: str = ""
    raw_text: str | None = None
    media: tuple[str, str] | None = None
    corrects: str | None = None


def file_report(turn: Turn, member: CommitteeMember, committee: Committee,
                draft: Draft) -> tuple[Report, int]:
    """Store a report, link it to related ones, alert if urgent; return it and alerts queued."""
    session, vault = turn.session, vault_for(turn)
    category = turn.content.vocabulary.categories.get(draft.category)
    point = turn.content.points.get(draft.point_id)
    year = turn.msg.received_at.astimezone(turn.zone).year
    report = Report(
        reference=next_reference(session, year), committee_id=committee.id, member_id=member.id,
        reporter=reporter_pseudonym(vault, turn.contact.pseudonym),
        channel=turn.msg.channel, language=turn.language.code, category=draft.category,
        urgent=bool(category and category.urgent), point_id=draft.point_id,
        region=point.region if point else committee.region, occurred_at=draft.occurred_at,
        occurred_precision=draft.precision, received_at=turn.msg.received_at,
        total=draft.total, women=draft.women, children=draft.children,
        description_enc=vault.encrypt(draft.description) if draft.description else None,
        raw_text_enc=vault.encrypt(draft.raw_text) if draft.raw_text else None,
        media_kind=draft.media[0] if draft.media else None,
        media_file_id=draft.media[1] if draft.media else None)
    session.add(report)
    session.flush()
    if draft.corrects:
        _correct(session, report, draft.corrects, member)
    link_related(session, report, timedelta(hours=turn.settings.report_link_window_hours))
    alerted = alerts.alert_report(session, vault, turn.content, turn.settings, report, committee,
                                  turn.content.vocabulary) if report.urgent else 0
    log.info("report %s filed (%s, urgent=%s) by member %s", report.reference, report.category,
             report.urgent, short_ref(report.reporter))
    return report, alerted


def _correct(session: Session, report: Report, reference: str, member: CommitteeMember) -> None:
    old = own_report(session, reference, member)
    if old is None:  # not one of hers: the reference stays in the raw text, nothing is linked
        return
    old.status, old.status_changed_at = WITHDRAWN, report.received_at
    session.add(ReportLink(report_id=report.id, other_id=old.id, kind=LINK_CORRECTS))
    release_duplicates(session, old, report.received_at, successor=report)


def own_report(session: Session, reference: str, member: CommitteeMember) -> Report | None:
    """A report filed by this member (any of the member's channels is a different member)."""
    return session.scalars(select(Report).where(Report.reference == reference,
                                                Report.member_id == member.id)).first()

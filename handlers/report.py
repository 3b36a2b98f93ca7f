"""Committee reports: filing one, the one-SMS report, NOTHING TO REPORT (RAS) and CANCEL <ref>.

REPORT with text is read as the SMS grammar (bot/report_parser.py) on any channel; REPORT alone
opens the guided form on Telegram (handlers/report_form.py) and explains the grammar on SMS.
Only active committee members can file; anyone else is told how to join, or to use SOS.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from bot import alerts
from bot.committee_models import (
    LINK_CORRECTS,
    NOTHING,
    WITHDRAWN,
    Committee,
    CommitteeMember,
    Report,
    ReportLink,
    active_membership,
    link_related,
    next_reference,
    release_duplicates,
)
from bot.content import read_yaml
from bot.crypto import Vault, short_ref
from bot.engine import Command, Turn
from bot.errors import ContentError
from bot.messages import Option, Reply
from bot.report_parser import (
    ParsedReport,
    ParseError,
    Vocabulary,
    VocabularyError,
    build_vocabulary,
    example,
    parse_sms_report,
)
from handlers import report_texts as txt

log = logging.getLogger(__name__)
_REFERENCE = re.compile(r"^\s*r-?(\d{4})-?(\d{1,6})\b", re.IGNORECASE)
PROBLEM_TEXTS = {
    "empty": txt.PROBLEM_EMPTY, "place_missing": txt.PROBLEM_PLACE_MISSING,
    "place_unknown": txt.PROBLEM_PLACE_UNKNOWN, "category_missing": txt.PROBLEM_CATEGORY_MISSING,
    "category_unknown": txt.PROBLEM_CATEGORY_UNKNOWN,
    "total_missing": txt.PROBLEM_TOTAL_MISSING, "counts_exceed_total": txt.PROBLEM_COUNTS,
    "date_invalid": txt.PROBLEM_DATE_INVALID, "date_future": txt.PROBLEM_DATE_FUTURE,
}


# --- shared helpers --------------------------------------------------------------------------

_built: dict[tuple[Path, int, int], Vocabulary] = {}
_last_good: dict[Path, Vocabulary] = {}


def vocabulary(turn: Turn) -> Vocabulary:
    """The grammar's words for the current content; a broken file keeps the last good one."""
    path = Path(turn.settings.content_dir) / "categories.yaml"
    try:
        key = (path, path.stat().st_mtime_ns, id(turn.content))
        if key not in _built:  # rebuilt when the file or the content bundle changes
            points = turn.content.points.values()
            _built.clear()
            _built[key] = build_vocabulary(points, read_yaml(path) or {})
        vocab = _built[key]
    except (OSError, VocabularyError, ContentError, ValueError, TypeError) as exc:
        if path not in _last_good:
            raise
        log.error("categories refused, keeping the last good ones: %s", exc)
        return _last_good[path]
    _last_good[path] = vocab
    return vocab


def vault_for(turn: Turn) -> Vault:
    """The same Vault the inbox uses: the current key, and old keys during a rotation."""
    return turn.vault


def session_of(turn: Turn) -> Session:
    """The inbox's transaction: what a handler stores commits with the replies, or not at all."""
    session = object_session(turn.contact)
    if session is None:
        raise RuntimeError("the contact is not attached to a session")
    return session


def membership(turn: Turn) -> tuple[CommitteeMember, Committee] | None:
    session = session_of(turn)
    member = active_membership(session, turn.contact.id)
    if member is None:
        return None
    committee = session.get(Committee, member.committee_id)
    return (member, committee) if committee is not None else None


def tell_not_a_member(turn: Turn) -> None:
    sos = [Option("cmd:sos", "SOS")] if turn.channel.buttons else []
    turn.say(Reply(turn.t(txt.NOT_A_MEMBER), options=sos))


def local_zone(turn: Turn) -> ZoneInfo:
    return ZoneInfo(turn.settings.timezone)


def local_today(turn: Turn) -> date:
    return turn.msg.received_at.astimezone(local_zone(turn)).date()


def day_noon(turn: Turn, day: date) -> datetime:
    """A day given without a time is stored at local noon (half a day either way at most)."""
    return datetime.combine(day, time(12), tzinfo=local_zone(turn)).astimezone(UTC)


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
    session, vault = session_of(turn), vault_for(turn)
    category = vocabulary(turn).categories.get(draft.category)
    point = turn.content.points.get(draft.point_id)
    year = turn.msg.received_at.astimezone(local_zone(turn)).year
    report = Report(
        reference=next_reference(session, year), committee_id=committee.id, member_id=member.id,
        reporter=vault.pseudonym(f"reporter:{turn.contact.pseudonym}"),
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
                                  vocabulary(turn)) if report.urgent else 0
    log.info("report %s filed (%s, urgent=%s) by member %s", report.reference, report.category,
             report.urgent, short_ref(report.reporter))
    return report, alerted


def _correct(session: Session, report: Report, reference: str, member: CommitteeMember) -> None:
    old = _own_report(session, reference, member)
    if old is None:  # not one of hers: the reference stays in the raw text, nothing is linked
        return
    old.status, old.status_changed_at = WITHDRAWN, report.received_at
    session.add(ReportLink(report_id=report.id, other_id=old.id, kind=LINK_CORRECTS))
    release_duplicates(session, old, report.received_at, successor=report)


def _own_report(session: Session, reference: str, member: CommitteeMember) -> Report | None:
    """A report filed by this member (any of the member's channels is a different member)."""
    return session.scalars(select(Report).where(Report.reference == reference,
                                                Report.member_id == member.id)).first()


def summary(turn: Turn, report: Report) -> str:
    """Place, kind, people and day as the member will read them back."""
    chain = turn.content.chain(turn.language.code)
    point = turn.content.points.get(report.point_id)
    category = vocabulary(turn).categories.get(report.category)
    parts = [point.display(turn.language.code) if point else report.point_id,
             category.label(chain).lower() if category else report.category,
             alerts.people(turn.t, report.total, report.women, report.children)]
    if report.occurred_precision == "day":
        local = report.occurred_at.astimezone(local_zone(turn)).date()
        parts.append(turn.t(txt.ON_DAY, date=turn.t.date(local)))
    return ", ".join(parts)


# --- REPORT ----------------------------------------------------------------------------------

def run_report(turn: Turn, rest: str) -> None:
    """REPORT [text]: file from the SMS grammar, or open the form (Telegram) / explain (SMS)."""
    found = membership(turn)
    if found is None:
        tell_not_a_member(turn)
        return
    if not rest.strip():
        if turn.channel.buttons:
            from handlers import report_form  # the form imports this module

            report_form.start(turn, found[1])
        else:
            turn.say_text(turn.t(txt.SMS_HOWTO, example=example_sms(turn)))
        return
    result = parse_sms_report(rest, vocabulary(turn), local_today(turn))
    if isinstance(result, ParseError):
        turn.say_text(not_understood(turn, result))
        return
    _file_parsed(turn, *found, result, raw_text=turn.msg.text)


def _file_parsed(turn: Turn, member: CommitteeMember, committee: Committee,
                 parsed: ParsedReport, raw_text: str) -> None:
    if parsed.day is None:
        occurred_at, precision = turn.msg.received_at, "assumed"
    else:
        occurred_at, precision = day_noon(turn, parsed.day), "day"
    draft = Draft(parsed.category, parsed.point_id, occurred_at, precision, parsed.total,
                  parsed.women, parsed.children, parsed.description, raw_text,
                  corrects=parsed.corrects)
    report, alerted = file_report(turn, member, committee, draft)
    text = turn.t(txt.RECEIVED, reference=report.reference, summary=summary(turn, report))
    corrected = parsed.corrects and _own_report(session_of(turn), parsed.corrects, member)
    if corrected:
        text += "\n" + turn.t(txt.CORRECTS, reference=parsed.corrects)
    if alerted:
        text += "\n" + turn.t(txt.URGENT_ALERTED)
    turn.say_text(text)


def example_sms(turn: Turn) -> str:
    chain = turn.content.chain(turn.language.code)
    return example(vocabulary(turn), chain, turn.keyword("report"), "Assamaka", "expulsion",
                   turn.t(txt.EXAMPLE_FREE_TEXT))


def not_understood(turn: Turn, error: ParseError) -> str:
    """What was wrong, a list of kinds when the kind is the problem, and a correct example."""
    problems = ", ".join(turn.t(PROBLEM_TEXTS[p], word=error.word or "")
                         for p in error.problems if p in PROBLEM_TEXTS)
    lines = [turn.t(txt.NOT_RECORDED, problems=problems)]
    if any(p.startswith("category") for p in error.problems):
        chain = turn.content.chain(turn.language.code)
        kinds = ", ".join(c.word(chain) for c in vocabulary(turn).categories.values())
        lines.append(turn.t(txt.KINDS, kinds=kinds))
    lines.append(turn.t(txt.EXAMPLE, example=example_sms(turn)))
    return "\n".join(lines)


# --- NOTHING TO REPORT -----------------------------------------------------------------------

def run_nothing_to_report(turn: Turn, rest: str) -> None:
    """RAS: the committee was active and saw nothing (silence is not calm)."""
    found = membership(turn)
    if found is None:
        tell_not_a_member(turn)
        return
    member, committee = found
    draft = Draft(NOTHING, committee.point_id, turn.msg.received_at, "day",
                  description=rest.strip(), raw_text=turn.msg.text)
    report, _ = file_report(turn, member, committee, draft)
    point = turn.content.points.get(committee.point_id)
    name = point.display(turn.language.code) if point else committee.point_id
    turn.say_text(turn.t(txt.NOTHING_RECORDED, reference=report.reference, point=name))


# --- CANCEL ----------------------------------------------------------------------------------

def run_cancel(turn: Turn, rest: str) -> None:
    """CANCEL <ref> withdraws a report; CANCEL alone leaves the report form."""
    from handlers import report_form

    if turn.contact.conversation == report_form.NAME:
        report_form.abandon(turn)
        return
    found = membership(turn)
    if found is None:
        tell_not_a_member(turn)
        return
    match = _REFERENCE.match(rest)
    if match is None:
        turn.say_text(turn.t(txt.CANCEL_HOWTO))
        return
    reference = f"R-{match.group(1)}-{int(match.group(2)):05d}"
    report = _own_report(session_of(turn), reference, found[0])
    if report is None:
        turn.say_text(turn.t(txt.CANCEL_NOT_FOUND, reference=reference))
        return
    if report.status != WITHDRAWN:
        report.status, report.status_changed_at = WITHDRAWN, turn.msg.received_at
        # A copy of it sent meanwhile was never withdrawn: it stands for the event now.
        release_duplicates(session_of(turn), report, turn.msg.received_at)
        log.info("report %s withdrawn by its reporter", reference)
    turn.say_text(turn.t(txt.WITHDRAWN, reference=reference))


REPORT = Command(run_report)
NOTHING_TO_REPORT = Command(run_nothing_to_report)
CANCEL = Command(run_cancel)

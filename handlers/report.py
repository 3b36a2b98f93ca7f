"""Committee reports: the one-SMS report, NOTHING TO REPORT (RAS) and CANCEL <ref>.

REPORT with text is read as the SMS grammar (bot/features/committees/parser.py) on any channel;
REPORT alone
opens the guided form on a chat (Telegram, WhatsApp: handlers/report_form.py) and explains the
grammar on SMS.
Only active committee members can file; anyone else is told how to join, or to use SOS.
"""

from __future__ import annotations

import logging
import re

from bot.core.engine import Command, Turn
from bot.features.committees import alerts
from bot.features.committees import texts as txt
from bot.features.committees.models import (
    NOTHING,
    WITHDRAWN,
    Committee,
    CommitteeMember,
    Report,
    release_duplicates,
)
from bot.features.committees.parser import (
    ParsedReport,
    ParseError,
    example,
    parse_sms_report,
)
from handlers import idea, report_form
from handlers.report_filing import (
    Draft,
    day_noon,
    file_report,
    local_today,
    membership,
    own_report,
    tell_not_a_member,
)

log = logging.getLogger(__name__)
_REFERENCE = re.compile(r"^\s*r-?(\d{4})-?(\d{1,6})\b", re.IGNORECASE)
PROBLEM_TEXTS = {
    "empty": txt.PROBLEM_EMPTY, "place_missing": txt.PROBLEM_PLACE_MISSING,
    "place_unknown": txt.PROBLEM_PLACE_UNKNOWN, "category_missing": txt.PROBLEM_CATEGORY_MISSING,
    "category_unknown": txt.PROBLEM_CATEGORY_UNKNOWN,
    "total_missing": txt.PROBLEM_TOTAL_MISSING, "counts_exceed_total": txt.PROBLEM_COUNTS,
    "date_invalid": txt.PROBLEM_DATE_INVALID, "date_future": txt.PROBLEM_DATE_FUTURE,
    "place_twice": txt.PROBLEM_PLACE_TWICE, "category_twice": txt.PROBLEM_CATEGORY_TWICE,
}


def summary(turn: Turn, report: Report) -> str:
    """Place, kind, people and day as the member will read them back."""
    chain = turn.content.chain(turn.language.code)
    point = turn.content.points.get(report.point_id)
    category = turn.content.vocabulary.categories.get(report.category)
    parts = [point.display(turn.language.code) if point else report.point_id,
             category.label(chain).lower() if category else report.category,
             alerts.people(turn.t, report.total, report.women, report.children)]
    if report.occurred_precision == "day":
        local = report.occurred_at.astimezone(turn.zone).date()
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
        if turn.channel.max_segments is None:  # a chat: buttons, or numbered (WhatsApp)
            report_form.start(turn, found[1])
        else:
            turn.say_text(turn.t(txt.SMS_HOWTO, example=example_sms(turn)))
        return
    result = parse_sms_report(rest, turn.content.vocabulary, local_today(turn))
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
    corrected = parsed.corrects and own_report(turn.session, parsed.corrects, member)
    if corrected:
        text += "\n" + turn.t(txt.CORRECTS, reference=parsed.corrects)
    if alerted:
        text += "\n" + turn.t(txt.URGENT_ALERTED)
    turn.say_text(text)


def example_sms(turn: Turn) -> str:
    chain = turn.content.chain(turn.language.code)
    return example(turn.content.vocabulary, chain, turn.keyword("report"), "Assamaka", "expulsion",
                   turn.t(txt.EXAMPLE_FREE_TEXT))


def not_understood(turn: Turn, error: ParseError) -> str:
    """What was wrong, what was understood all the same, a list of kinds when the kind is the
    problem, and a correct example."""
    problems = ", ".join(turn.t(PROBLEM_TEXTS[p], word=error.word_for(p))
                         for p in error.problems if p in PROBLEM_TEXTS)
    lines = [turn.t(txt.NOT_RECORDED, problems=problems)]
    understood = _understood(turn, error)
    if understood:
        lines.append(turn.t(txt.UNDERSTOOD, parts=understood))
    if any(p.startswith("category") for p in error.problems):
        chain = turn.content.chain(turn.language.code)
        kinds = ", ".join(c.word(chain) for c in turn.content.vocabulary.categories.values())
        lines.append(turn.t(txt.KINDS, kinds=kinds))
    lines.append(turn.t(txt.EXAMPLE, example=example_sms(turn)))
    return "\n".join(lines)


def _understood(turn: Turn, error: ParseError) -> str:
    """The parts read in a report that was not recorded: place, kind, people."""
    chain = turn.content.chain(turn.language.code)
    point = turn.content.points.get(error.point_id or "")
    category = turn.content.vocabulary.categories.get(error.category or "")
    parts = [point.display(turn.language.code)] if point else []
    if category is not None:
        parts.append(category.label(chain).lower())
    if error.total is not None:
        parts.append(alerts.people(turn.t, error.total, error.women, error.children))
    return ", ".join(parts)


def looks_like_report(turn: Turn, rest: str) -> bool:
    """A member's message whose first word is REPORT with a typo ("RAPORT ASSAMAKA ..."): read
    as a report, so that it is filed or explained instead of falling into the migrants' menu.
    Anyone else's is left to the menu."""
    return bool(rest.strip()) and membership(turn) is not None


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
    """CANCEL <ref> withdraws a report; CANCEL alone leaves the report form or the idea box."""
    leave = _FLOWS.get(turn.contact.conversation or "")
    if leave is not None:
        leave(turn)
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
    report = own_report(turn.session, reference, found[0])
    if report is None:
        turn.say_text(turn.t(txt.CANCEL_NOT_FOUND, reference=reference))
        return
    if report.status != WITHDRAWN:
        report.status, report.status_changed_at = WITHDRAWN, turn.msg.received_at
        # A copy of it sent meanwhile was never withdrawn: it stands for the event now.
        release_duplicates(turn.session, report, turn.msg.received_at)
        log.info("report %s withdrawn by its reporter", reference)
    turn.say_text(turn.t(txt.WITHDRAWN, reference=reference))


# Conversations that CANCEL (any language's word, or /cancel) leaves without storing anything.
_FLOWS = {report_form.NAME: report_form.abandon, idea.NAME: idea.abandon}

REPORT = Command(run_report, keyword="report", slash="/report", near=looks_like_report)
NOTHING_TO_REPORT = Command(run_nothing_to_report, keyword="nothing_to_report")
CANCEL = Command(run_cancel, keyword="cancel", slash="/cancel")
COMMANDS = (REPORT, NOTHING_TO_REPORT, CANCEL)

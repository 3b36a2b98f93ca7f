"""JOIN <code>: a one-time code from the SP/CCM enrols this contact in a watch committee.

The Telegram deep link t.me/<bot>?start=<code> arrives as "/start <code>", read as
"JOIN <code>" (``start_argument``). A wrong, used or expired code gets the same answer, so
the reply never tells whether a code existed. A member is one contact: the same person on SMS
and on Telegram needs two codes.
"""

from __future__ import annotations

import logging

from bot.core import texts
from bot.core.crypto import short_ref
from bot.core.engine import Command, Turn
from bot.core.messages import Option, Reply
from bot.features.committees import texts as txt
from bot.features.committees.models import (
    ACTIVE,
    MOVED,
    Committee,
    CommitteeMember,
    active_membership,
    claim_code,
    normalise_code,
    usable_code,
)
from handlers import info_point
from handlers.report_filing import vault_for

log = logging.getLogger(__name__)


def run_join(turn: Turn, rest: str) -> None:
    """Enrol the contact with the committee of a valid code."""
    code = normalise_code(rest)
    if not code:
        turn.say_text(turn.t(txt.JOIN_HOWTO))
        return
    session, now = turn.session, turn.msg.received_at
    row = usable_code(session, vault_for(turn), code, now)
    committee = session.get(Committee, row.committee_id) if row is not None else None
    if row is None or committee is None or not committee.active:
        log.info("enrolment refused for contact %s", short_ref(turn.contact.pseudonym))
        turn.say_text(turn.t(txt.BAD_CODE))
        return
    current = active_membership(session, turn.contact.id)
    if current is not None and current.committee_id == committee.id:
        turn.say_text(turn.t(txt.ALREADY_MEMBER, committee=committee.name))  # code kept unused
        return
    if not claim_code(session, row, now):
        turn.say_text(turn.t(txt.BAD_CODE))
        return
    if current is not None:  # one committee at a time: the old membership is kept as moved
        current.status, current.left_at = MOVED, now
    member = CommitteeMember(committee_id=committee.id, contact_id=turn.contact.id,
                             status=ACTIVE, joined_at=now)
    session.add(member)
    session.flush()
    row.used_by_member_id = member.id
    _settle_contact(turn, committee)
    log.info("contact %s joined committee %s", short_ref(turn.contact.pseudonym), committee.slug)
    buttons = [Option("cmd:report", turn.keyword("report")),
               Option("cmd:nothing_to_report", turn.keyword("nothing_to_report")),
               Option("cmd:sos", "SOS")] if turn.channel.buttons else []
    turn.say(Reply(turn.t(txt.JOINED, committee=committee.name,
                          point=_point_name(turn, committee)), options=buttons))


def _settle_contact(turn: Turn, committee: Committee) -> None:
    """Language (default until LANGUAGE), the committee's point, the privacy notice once."""
    contact = turn.contact
    if contact.language is None:
        contact.language = turn.settings.default_language
        contact.conversation, contact.step = info_point.NAME, info_point.Step.MENU.value
    contact.point_id = committee.point_id
    if contact.notice_version != turn.settings.privacy_notice_version:
        turn.say_text(turn.t(texts.PRIVACY_NOTICE, days=turn.settings.retention_days))
        contact.notice_version = turn.settings.privacy_notice_version
        contact.notice_at = turn.msg.received_at


def _point_name(turn: Turn, committee: Committee) -> str:
    point = turn.content.points.get(committee.point_id)
    return point.display(turn.language.code) if point else committee.point_id


JOIN = Command(run_join, keyword="join", start_argument=True)
COMMANDS = (JOIN,)

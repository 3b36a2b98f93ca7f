"""SOS from anyone (enrolled or not, even after STOP): emergency numbers at once, and an alert
to the SP/CCM duty team with the place and the time only.

The place is the one named after SOS ("SOS AGADEZ"), else the contact's chosen point. One
alert per person per ``sos_alert_cooldown_minutes``: the numbers are sent every time, the duty
team is not flooded by a repeated message.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.core.engine import Command, Turn
from bot.features.committees import alerts
from bot.features.committees.models import SosEvent
from bot.features.committees.parser import find_place
from handlers.sos_reply import sos_reply

log = logging.getLogger(__name__)


def run_sos(turn: Turn, rest: str) -> None:
    """Send the emergency numbers for the person's point, and alert the duty team."""
    point_id = find_place(rest, turn.content.vocabulary) if rest.strip() else None
    point_id = point_id or turn.contact.point_id
    point = turn.content.points.get(point_id or "")
    told = _alert_once(turn, point_id)
    # A newcomer has chosen no language yet: the phone's (Telegram), as the welcome does.
    language = turn.content.hinted(turn.contact.language, turn.msg.language_hint,
                                   turn.language.code)
    turn.say(sos_reply(turn.content, language, point, told=told,
                       menu_button=turn.contact.language is not None))


def _alert_once(turn: Turn, point_id: str | None) -> bool:
    """Record the SOS and alert, unless this person alerted moments ago; True if told."""
    now, session = turn.msg.received_at, turn.session
    point = turn.content.points.get(point_id or "")
    last = turn.data.get("sos_alerted_at")
    cooldown = timedelta(minutes=turn.settings.sos_alert_cooldown_minutes)
    recent = last is not None and now - datetime.fromisoformat(last) < cooldown
    alerted = 0 if recent else alerts.alert_sos(session, turn.vault, turn.content,
                                                turn.settings, point_id, now)
    session.add(SosEvent(at=now, channel=turn.msg.channel, point_id=point_id,
                         region=point.region if point else None, alerted=bool(alerted)))
    if alerted:
        turn.contact.state_data = {**turn.data, "sos_alerted_at": now.isoformat()}
        log.warning("SOS alert at %s sent to %d recipient(s)", point_id or "unknown place",
                    alerted)
    return bool(alerted) or recent


SOS = Command(run_sos, keyword="sos", slash="/sos", even_when_stopped=True)
COMMANDS = (SOS,)

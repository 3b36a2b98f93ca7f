"""What an SOS is answered with: the emergency numbers right after one line. Pure (the content
and the language in, a ``Reply`` out), apart from the conversation in ``handlers/sos.py`` that
records the SOS and alerts: ``hanya content check`` renders it without the store (issue #23)."""

from __future__ import annotations

from bot.core import texts
from bot.core.content import Content, Point
from bot.core.content_services import emergency_services, numbers_block, service_line
from bot.core.messages import Reply
from bot.features.committees import texts as txt

__all__ = ["sos_reply"]


def sos_reply(content: Content, language: str, point: Point | None, *, told: bool,
              menu_button: bool = False) -> Reply:
    """The numbers right after one line, then what happens next (pure: the check renders it)."""
    t = content.translator(language)
    services = emergency_services(content, point.id if point else None)
    numbers = [service_line(content, language, s, long=True) for s in services]
    note, sms_note = [], []
    if told:  # said only when someone was really told
        note = [t(txt.SOS_ALERTED, point=point.display(language)) if point
                else t(txt.SOS_ALERTED_NO_POINT)]
        sms_note = [t(txt.SOS_ALERTED_SHORT)]
    if point is None:  # an SMS has no room for the long note: the way to give a place stays
        sms_note.append(t(txt.SOS_WHERE_SHORT))
    # The SMS opens with the short heading: in some languages the long call to act would
    # push the numbers' "not verified" tag to a second SMS.
    block = f"{t(texts.EMERGENCY_NUMBERS)} {numbers_block(content, language, services)}"
    return Reply("\n".join([t(txt.SOS_CALL), *numbers, *note]),
                 sms_text="\n".join([block, *sms_note]), menu_button=menu_button)

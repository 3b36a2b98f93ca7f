"""Recorded answers in the information point (issue 24): a topic, or the menu, as a voice note.

A person chooses under a recorded topic: "Listen" (this topic, now) or "Always listen" (kept on
the contact, ``Contact.listen``: every answer that has a recording comes as a voice note with
its text, across sessions, until "Text only"). Only channels that play voice notes
(``ChannelTraits.voice``: Telegram, and WhatsApp when Twilio can fetch a recording from
HANYA_PUBLIC_URL) offer or send them; SMS gets the text as before. Without buttons (WhatsApp)
the choices are numbered lines after the menu's numbers ("10 Listen"), read back by the engine.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core import texts
from bot.core.audio import MENU
from bot.core.engine import Turn
from bot.core.messages import Option, Reply

ONCE, ALWAYS, OFF = "listen:once:", "listen:all:", "listen:off"
SPEAKER = "\U0001f50a"  # 🔊 on buttons and after a language that has recordings


def voice_of(turn: Turn, key: str) -> tuple[str, str] | None:
    """The person's own-language recording of ``key`` (not stale), if their channel plays it."""
    if not turn.channel.voice:
        return None
    recording = turn.content.recording(turn.language.code, key)
    return (str(recording.path), recording.digest) if recording is not None else None


def with_voice(turn: Turn, key: str, reply: Reply) -> Reply:
    """Listening: the recording goes with the reply. Otherwise: buttons that offer it."""
    voice = voice_of(turn, key)
    if voice is None:
        return reply
    t = turn.t
    if turn.contact.listen:
        reply.voice = voice
        reply.extra_buttons.append(Option(OFF, t(texts.LISTEN_OFF)))
    else:
        reply.extra_buttons += [Option(f"{ONCE}{key}", f"{SPEAKER} {t(texts.LISTEN)}"),
                                Option(f"{ALWAYS}{key}", f"{SPEAKER} {t(texts.LISTEN_ALWAYS)}")]
    return reply


def menu_voice(turn: Turn, reply: Reply, *, asked: bool = False) -> bool:
    """The menu's recording with the menu when the person listens (or ``asked``: they sent a
    voice note); True when it went with it."""
    voice = voice_of(turn, MENU) if (turn.contact.listen or asked) else None
    reply.voice = voice
    return voice is not None


def sent_voice_note(turn: Turn) -> bool:
    return turn.msg.kind == "media" and (turn.msg.media or ("", ""))[0] == "voice"


def payload(turn: Turn) -> str | None:
    """A "listen" button's payload (any earlier topic's: they are not the step's options),
    or the numbered line's that the person typed."""
    choice = turn.msg.choice if turn.msg.kind == "choice" else turn.choice
    return choice if choice and choice.startswith("listen:") else None


def answer(turn: Turn, chosen: str, ask_menu: Callable[[Turn], None]) -> None:
    """Listen now, always, or text only."""
    if chosen == OFF:
        turn.contact.listen = False
        turn.say(Reply(turn.t(texts.LISTENING_OFF), menu_button=True))
        return
    key = chosen.removeprefix(ONCE).removeprefix(ALWAYS)
    voice = voice_of(turn, key)
    topic = turn.content.topic(turn.language.code, key)
    if chosen.startswith(ALWAYS):
        turn.contact.listen = True
        turn.say_text(turn.t(texts.LISTENING_ON))
    if voice is None or topic is None:  # withdrawn or stale since the button was sent
        ask_menu(turn)
        return
    turn.say(Reply(topic.title, voice=voice, menu_button=True))

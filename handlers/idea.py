"""The idea box: ``IDEA <text>`` in one SMS, or ``/idea`` as a short conversation on Telegram.

On channels with buttons, the steps (text, theme, signature) are the table ``STEPS`` at the
end; each answer returns the step that comes next, and the last stores the idea, gives its
reference and goes back where the person was. By SMS: ``IDEA <text>`` is stored signed,
``IDEA ANONYMOUS <text>`` anonymously (no theme);
``IDEA PRIVATE <text>`` (either order with ANONYMOUS) is confidential feedback, as the
Telegram theme of that name: kept apart, for named officers only.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.orm import Session

from bot.core import texts
from bot.core.content import Content
from bot.core.crypto import Vault
from bot.core.engine import Command, Conversation, Next, StepDef, Turn
from bot.core.i18n import Translator
from bot.core.keywords import clean_text, normalise
from bot.core.messages import Option, Outgoing, Reply
from bot.core.recipients import PRIORITY_ALERT, enqueue, recipients_for
from bot.core.settings import Settings
from bot.features.ideas import texts as it
from bot.features.ideas.models import (
    SENSITIVE,
    THEMES,
    Idea,
    SensitiveFeedback,
    next_idea_reference,
)

NAME = "idea"
KEYWORD = "idea"
MAX_TEXT = 1000  # characters kept of one idea


class Step(StrEnum):
    TEXT = "text"
    THEME = "theme"
    SIGNATURE = "signature"


# --- the command: IDEA <text> ------------------------------------------------------------------

def run_command(turn: Turn, rest: str) -> None:
    """``IDEA ...``: one SMS stores it; on Telegram the conversation asks what is missing."""
    anonymous, private, text = _split_flags(turn, rest)
    if turn.channel.buttons:
        data = {k: v for k, v in turn.data.items() if not k.startswith("idea_")}
        turn.contact.state_data = {**data, "idea_resume": [turn.contact.conversation,
                                                           turn.contact.step]}
        if text:
            turn.contact.state_data = {**turn.contact.state_data, "idea_text": text}
        if text and private:  # the confidential theme is chosen already
            turn.contact.state_data = {**turn.contact.state_data, "idea_theme": SENSITIVE}
            turn.goto(CONVERSATION.at(Step.SIGNATURE))
            return
        turn.goto(CONVERSATION.at(Step.THEME if text else Step.TEXT))
        return
    t = _translator(turn)
    if not text:
        turn.say_text(t(it.SMS_USAGE) + " " + t(it.SMS_PRIVATE_USAGE))
        return
    _notice_if_new(turn, t)
    reference = store_idea(turn, text, theme=SENSITIVE if private else None,
                           signed=not anonymous)
    if private:
        thanks = it.THANKS_SENSITIVE
    else:
        thanks = it.THANKS_ANONYMOUS if anonymous else it.THANKS_SIGNED
    turn.say_text(t(thanks, ref=reference))


def _split_flags(turn: Turn, rest: str) -> tuple[bool, bool, str]:
    """``ANONYMOUS`` and ``PRIVATE`` (content/keywords.yaml), in any order, before the text."""
    flags: set[str] = set()
    key, after = turn.content.keywords.leading(rest)
    while key in ("anonymous", "private") and key not in flags:
        flags.add(key)
        rest = after
        key, after = turn.content.keywords.leading(rest)
    return "anonymous" in flags, "private" in flags, clean_text(rest).strip()


def _translator(turn: Turn) -> Translator:
    """The person's language; for a newcomer, the language of the keyword they used."""
    if turn.contact.language is None:
        return turn.content.translator(_keyword_language(turn) or
                                       turn.settings.default_language)
    return turn.t


def _keyword_language(turn: Turn) -> str | None:
    head = normalise(turn.msg.text).partition(" ")[0]
    entries = turn.content.keyword_entries.get(KEYWORD, {})
    for code in turn.content.languages:  # content order: a real language before a placeholder
        words = (entries.get(code) or {}).get("words") or []
        if head in {normalise(w) for w in words}:
            return code
    return None


def _notice_if_new(turn: Turn, t: Translator) -> None:
    if turn.contact.notice_version is None:  # first contact: say what is kept, and how to stop
        turn.say_text(t(texts.PRIVACY_NOTICE, days=turn.settings.retention_days))
        turn.contact.notice_version = turn.settings.privacy_notice_version
        turn.contact.notice_at = turn.clock()


# --- the conversation --------------------------------------------------------------------------

def ask_text(turn: Turn) -> None:
    turn.say(Reply(turn.t(it.ASK_TEXT)))


def answer_text(turn: Turn) -> Next:
    text = clean_text(turn.msg.text).strip() if turn.msg.kind == "text" else ""
    if not text:
        turn.say_text(turn.t(it.TEXT_ONLY))
        return None
    turn.contact.state_data = {**turn.data, "idea_text": text}
    return Step.THEME


def ask_theme(turn: Turn) -> None:
    options = [Option(f"theme:{key}", turn.t(it.THEME_LABELS[key]))
               for key in (*THEMES, SENSITIVE)]
    options.append(Option("theme:", turn.t(it.SKIP)))
    turn.say(Reply(turn.t(it.ASK_THEME), options=options))


def answer_theme(turn: Turn) -> Next:
    if turn.choice is None or not turn.choice.startswith("theme:"):
        ask_theme(turn)
        return None
    theme = turn.choice.removeprefix("theme:") or None
    turn.contact.state_data = {**turn.data, "idea_theme": theme}
    return Step.SIGNATURE


def ask_signature(turn: Turn) -> None:
    turn.say(Reply(turn.t(it.ASK_SIGNATURE), options=[
        Option("sign:yes", turn.t(it.SIGNED)), Option("sign:no", turn.t(it.ANONYMOUS))]))


def answer_signature(turn: Turn) -> Next:
    if turn.choice not in ("sign:yes", "sign:no"):
        ask_signature(turn)
        return None
    data = turn.data
    signed, theme = turn.choice == "sign:yes", data.get("idea_theme")
    reference = store_idea(turn, str(data.get("idea_text") or ""), theme=theme, signed=signed)
    if theme == SENSITIVE:
        thanks = it.THANKS_SENSITIVE
    else:
        thanks = it.THANKS_SIGNED if signed else it.THANKS_ANONYMOUS
    turn.say(Reply(turn.t(thanks, ref=reference), menu_button=True))
    _leave(turn)
    return None  # back where it was, without asking again


def abandon(turn: Turn) -> None:
    """CANCEL during the conversation: nothing stored, back where the person was."""
    turn.say(Reply(turn.t(it.CANCELLED), menu_button=True))
    _leave(turn)


def _leave(turn: Turn) -> None:
    data = turn.data
    resume = data.get("idea_resume") or ["info", "start"]
    turn.contact.conversation, turn.contact.step = resume
    turn.contact.state_data = {k: v for k, v in data.items()
                               if not k.startswith("idea_") and k != "options"}
    return None  # back where it was, without asking again


# --- storing and answering ---------------------------------------------------------------------

def store_idea(turn: Turn, text: str, *, theme: str | None, signed: bool) -> str:
    """Store the idea (or confidential feedback) in the turn's transaction; return its ref."""
    session = turn.session
    now = turn.clock()
    reference = next_idea_reference(session, now.astimezone(turn.zone).year)
    common = {"reference": reference, "signed": signed, "channel": turn.msg.channel,
              "language": turn.contact.language or _keyword_language(turn)
              or turn.settings.default_language,
              "contact_id": turn.contact.id if signed else None, "created_at": now}
    text = text[:MAX_TEXT]
    if theme == SENSITIVE:
        session.add(SensitiveFeedback(text_enc=turn.vault.encrypt(text), **common))
        _alert_officers(session, turn.vault, turn.content, turn.settings, reference)
    else:
        session.add(Idea(text_enc=turn.vault.encrypt(text), theme=theme,
                         organisation_type=_organisation(session, turn), **common))
    return reference


def _organisation(session: Session, turn: Turn) -> str | None:
    """The sender's organisation type when they are enrolled (committees for now)."""
    from bot.features.committees.models import active_membership

    return "committee" if active_membership(session, turn.contact.id) else None


def _alert_officers(session: Session, vault: Vault, content: Content, settings: Settings,
                    reference: str) -> None:
    names = set(settings.idea_sensitive_officers or [])
    for recipient in recipients_for(session, "alerts"):
        if recipient.name in names:
            t = content.translator(recipient.language)
            enqueue_text(session, vault, recipient.channel, recipient.address_enc,
                         t(it.OFFICER_ALERT, ref=reference), PRIORITY_ALERT)


def enqueue_text(session: Session, vault: Vault, channel: str, address_enc: str, text: str,
                 priority: int, contact_id: int | None = None) -> None:
    enqueue(session, vault, channel=channel, address_enc=address_enc, message=Outgoing(text=text),
            priority=priority, contact_id=contact_id)


STEPS: dict[str, StepDef] = {
    Step.TEXT: StepDef(ask=ask_text, answer=answer_text),
    Step.THEME: StepDef(ask=ask_theme, answer=answer_theme),
    Step.SIGNATURE: StepDef(ask=ask_signature, answer=answer_signature),
}

CONVERSATION = Conversation(NAME, STEPS)
COMMAND = Command(run=run_command, keyword=KEYWORD, slash="/idea")
COMMANDS = (COMMAND,)

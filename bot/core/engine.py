"""The conversation engine: global words once, then the current step of the current conversation.

A conversation (in ``handlers/``) is a table of steps; each step has ``ask`` (say what it asks)
and ``answer`` (read the person's message, store what it learnt) which returns the step that
comes next, as a python-telegram-bot ``ConversationHandler`` callback returns its next state:
a step name of the same conversation, a ``Place`` in another one, or ``None`` to stay (having
said what it had to). The engine then asks the next step. State is on the contact row, so any
process can serve the next message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.core import texts
from bot.core.channel_registry import ChannelTraits
from bot.core.content import Content
from bot.core.i18n import Language, Translator
from bot.core.keywords import KeywordIndex
from bot.core.messages import MsgIn, Option, Reply
from bot.core.settings import Settings

if TYPE_CHECKING:  # annotations only: the conversations load without the ORM (content check)
    from sqlalchemy.orm import Session

    from bot.core.crypto import Vault
    from bot.core.models import Contact

# Words that work from any state, in every language (content/keywords.yaml).
GLOBAL_WORDS = ("stop", "start", "delete", "help", "menu", "back", "language", "point", "more")
# Button payloads for navigation, handled like the words above.
NAV_MENU, NAV_LANGUAGE, NAV_POINT = "nav:menu", "nav:language", "nav:point"
CONFIRM_DELETE = "confirm_delete"
# Chat commands ("/menu"): a chat app's command menu, typed on any channel. These are the
# global words'; each Command declares its own (``Command.slash``).
GLOBAL_SLASHES = {"/start": "start", "/menu": "menu", "/help": "help", "/language": "language",
                  "/place": "point", "/stop": "stop", "/delete": "delete", "/more": "more"}


@dataclass(frozen=True)
class Place:
    conversation: str
    step: str


@dataclass
class Turn:
    """One inbound message being handled: what steps read and where they put replies."""

    msg: MsgIn
    contact: Contact
    content: Content
    channel: ChannelTraits
    settings: Settings
    # The runtime's vault (current key, old ones during a rotation): handlers encrypt with it.
    vault: Vault
    # The inbox's transaction: what a handler stores commits with the replies, or not at all.
    session: Session
    replies: list[Reply] = field(default_factory=list)
    topics_served: list[str] = field(default_factory=list)
    forget: bool = False  # erase the contact once this turn is stored
    choice: str | None = None  # the option the message selected, if any
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # "now" for what a handler stamps
    # Set by ``Engine.handle``: enters a step (sets the contact's place, asks it).
    _enter: Callable[[Turn, Place], None] | None = field(default=None, repr=False)

    @property
    def zone(self) -> ZoneInfo:
        """The deployment's local time zone (Africa/Niamey): local days, years, digests."""
        return ZoneInfo(self.settings.timezone)

    def goto(self, place: Place) -> None:
        """Enter ``place`` and ask its question (from a command; an answer returns its next)."""
        if self._enter is None:
            raise RuntimeError("goto outside Engine.handle")
        self._enter(self, place)

    @property
    def language(self) -> Language:
        return self.content.languages.get(self.contact.language or "") or self.content.languages[
            self.settings.default_language]

    @property
    def t(self) -> Translator:
        return self.content.translator(self.contact.language or self.settings.default_language,
                                       self.contact.fallback_language)

    @property
    def data(self) -> dict[str, Any]:
        return self.contact.state_data

    def say(self, reply: Reply) -> None:
        self.replies.append(reply)
        if reply.options:
            self.contact.state_data = {**{k: v for k, v in self.data.items() if k != "extras"},
                                       "options": [o.key for o in reply.options]}
        if reply.extra_buttons and not self.channel.buttons:
            # No buttons (WhatsApp): numbered after the options in play ("10 Listen"), so
            # that the menu's numbers keep their meaning; ``_choice`` reads them back.
            reply.first_extra = len(self.data.get("options") or []) + 1
            self.contact.state_data = {**self.data,
                                       "extras": [o.key for o in reply.extra_buttons]}

    def say_text(self, text: str) -> None:
        self.replies.append(Reply(text))

    def keyword(self, key: str) -> str:
        return self.content.keywords.first_word(key, self.language.code, key.upper())


def _idea_hint(turn: Turn) -> str:
    """HELP names the idea box (its keyword in the person's language) when the content has one:
    the way a migrant learns it exists."""
    if "idea" not in turn.content.keyword_entries:
        return ""
    return "\n" + turn.t(texts.HELP_IDEA, idea=turn.keyword("idea"))


Step = Callable[[Turn], None]
# What an answer returns: the next step of the same conversation, a place in another, or None
# (stay where it is; the answer said what it had to, or moved the contact itself).
Next = str | Place | None
Answer = Callable[[Turn], Next]


@dataclass(frozen=True)
class StepDef:
    ask: Step
    answer: Answer
    # The step waits for free text (a description, an idea): a message that merely starts with
    # a command word ("Urgence médicale à ...") is text, not a command. A keyword alone still
    # works ("SOS", "CANCEL").
    free_text: bool = False


@dataclass(frozen=True)
class Conversation:
    name: str
    steps: Mapping[str, StepDef]

    def at(self, step: str) -> Place:
        return Place(self.name, str(step))


@dataclass(frozen=True)
class Command:
    """A message that starts with a keyword (``SOS``, ``JOIN <code>``, ``RAPPORT ...``).

    A conversation module in ``handlers/`` declares its commands (``COMMANDS``) and
    ``handlers/registry.py`` finds them: nothing else lists a command. ``run`` gets the turn
    and the text after the keyword. ``keyword`` is its key in content/keywords.yaml, whose
    words (every language) start it; ``words`` are the module's own, used for a key the
    content does not have yet. ``slash`` is its chat command ("/idea"), read as the keyword.
    ``start_argument``: a chat deep link (Telegram's t.me/<bot>?start=<code>) arrives as
    ``/start <code>`` and means this command. ``even_when_stopped`` lets an SOS through for
    someone who said STOP; ``needs_language`` defers to onboarding first.
    """

    run: Callable[[Turn, str], None]
    keyword: str = ""
    slash: str | None = None
    words: Mapping[str, Sequence[str]] = field(default_factory=dict)
    start_argument: bool = False
    even_when_stopped: bool = False
    needs_language: bool = False
    # Whether a message whose first word is this keyword with a typo ("RAPORT ...") is meant
    # as the command (given the turn and the rest); None: only the exact word is.
    near: Callable[[Turn, str], bool] | None = None


class Engine:
    """Routes a turn: commands and global words first, then the contact's current step."""

    def __init__(self, conversations: Mapping[str, Conversation], *, home: Place,
                 language: Place, point: Place, onboarding: Place,
                 commands: Mapping[str, Command] | None = None) -> None:
        self.conversations = dict(conversations)
        self.home, self.language_place, self.point_place = home, language, point
        self.onboarding = onboarding
        self.commands = dict(commands or {})
        self.slashes = {**GLOBAL_SLASHES, **{command.slash: key for key, command
                                             in self.commands.items() if command.slash}}
        self._start_argument = next((key for key, command in self.commands.items()
                                     if command.start_argument), None)
        # The commands' own words, for keys content/keywords.yaml does not have (yet).
        self._own_words = KeywordIndex({key: command.words for key, command
                                        in self.commands.items() if command.words})

    def goto(self, turn: Turn, place: Place) -> None:
        """A global word's move: the options offered before are forgotten, then ``_enter``."""
        turn.contact.state_data = {k: v for k, v in turn.data.items()
                                   if k not in ("options", "extras")}
        self._enter(turn, place)

    def _enter(self, turn: Turn, place: Place) -> None:
        """A step's move (``Turn.goto``, an answer's return): set the place, ask its question."""
        turn.contact.conversation, turn.contact.step = place.conversation, place.step
        self._step(place).ask(turn)

    def _step(self, place: Place) -> StepDef:
        return self.conversations[place.conversation].steps[place.step]

    def handle(self, turn: Turn) -> None:
        contact, msg = turn.contact, turn.msg
        turn._enter = self._enter
        if msg.kind == "blocked":  # the person blocked the bot: stop sending, say nothing
            contact.stopped = True
            return
        if msg.kind == "text" and msg.text.lstrip().startswith("/"):
            turn.msg = msg = replace(msg, text=self._unslash(turn, msg.text))
        command, rest = self._command(turn)
        if command is not None and rest and self._in_free_text(contact):
            command = None
        if command is not None and (command.even_when_stopped or not contact.stopped) and not (
                command.needs_language and contact.language is None):
            if contact.step == CONFIRM_DELETE:  # a command cancels a pending deletion
                contact.conversation, contact.step = turn.data.get("resume") or [
                    self.home.conversation, self.home.step]
            command.run(turn, rest)
            return
        key = self._global_key(turn)
        if contact.stopped:
            if key == "start":
                contact.stopped = False
                turn.say_text(turn.t(texts.RESTARTED))
                self.goto(turn, self._home_or_onboarding(contact))
            return  # a stopped person gets nothing else
        if contact.step == CONFIRM_DELETE:
            self._confirm_delete(turn, key)
            return
        if key is not None and self._global(turn, key):
            return
        turn.choice = self._choice(turn)
        if contact.language is None and contact.step == "start":
            self.goto(turn, self.onboarding)
            return
        place = Place(contact.conversation, contact.step)
        if place.conversation not in self.conversations or place.step not in self.conversations[
                place.conversation].steps:
            self.goto(turn, self._home_or_onboarding(contact))
            return
        following = self._step(place).answer(turn)
        if following is not None:
            self._enter(turn, following if isinstance(following, Place)
                        else Place(place.conversation, str(following)))

    def _unslash(self, turn: Turn, text: str) -> str:
        """"/idea x" (or "/idea@hanya_bot x") -> "IDEA x": a chat command is read as its word."""
        head, _, rest = text.strip().partition(" ")
        command = head.split("@", 1)[0].lower()
        if command == "/start" and rest.strip() and self._start_argument:  # a deep link
            return f"{self._word(turn, self._start_argument)} {rest.strip()}"
        key = self.slashes.get(command)
        if key is None:
            return text
        return f"{self._word(turn, key)} {rest}".strip()

    def _word(self, turn: Turn, key: str) -> str:
        return (turn.content.keywords.first_word(key, "en")
                or self._own_words.first_word(key, "en", key.upper()))

    def _in_free_text(self, contact: Contact) -> bool:
        steps = self.conversations.get(contact.conversation)
        step = steps.steps.get(contact.step) if steps else None
        return bool(step and step.free_text)

    def _command(self, turn: Turn) -> tuple[Command | None, str]:
        msg = turn.msg
        if msg.kind == "choice" and msg.choice and msg.choice.startswith("cmd:"):
            return self.commands.get(msg.choice.removeprefix("cmd:")), ""
        if msg.kind != "text" or not self.commands:
            return None, ""
        key, rest = turn.content.keywords.leading(msg.text)
        if key is None or key not in self.commands:
            key, rest = self._own_words.leading(msg.text)
        if key is None or key not in self.commands:
            key, rest = turn.content.keywords.near_leading(msg.text)
            command = self.commands.get(key or "")
            if command is None or command.near is None or not command.near(turn, rest):
                return None, ""
            return command, rest
        return self.commands[key], rest

    def _global_key(self, turn: Turn) -> str | None:
        msg = turn.msg
        if msg.kind == "choice":
            nav = {NAV_MENU: "menu", NAV_LANGUAGE: "language", NAV_POINT: "point"}
            if msg.choice in nav:
                return nav[msg.choice]
            return msg.choice if msg.choice in ("yes", "no") else None
        if msg.kind != "text":
            return None
        key = turn.content.keywords.whole(msg.text)
        if key in GLOBAL_WORDS or key in ("yes", "no"):
            return key
        return None

    def _global(self, turn: Turn, key: str) -> bool:
        contact = turn.contact
        if key == "stop":
            contact.stopped = True
            turn.say_text(turn.t(texts.STOPPED))
        elif key == "delete":
            contact.state_data = {**turn.data, "resume": [contact.conversation, contact.step]}
            contact.step = CONFIRM_DELETE
            turn.say(Reply(turn.t(texts.DELETE_CONFIRM),
                           options=[Option("yes", turn.keyword("yes")),
                                    Option("no", turn.keyword("no"))], numbered_hint=False))
        elif key == "help":
            turn.say_text(turn.t(texts.HELP) + _idea_hint(turn))
        elif key == "more":
            self._more(turn)
        elif key == "language":
            self.goto(turn, self.language_place)
        elif contact.language is None:
            return False  # nothing else makes sense before a language is chosen
        elif key == "point":
            self.goto(turn, self.point_place)
        elif key in ("menu", "back", "start"):
            self.goto(turn, self._home_or_onboarding(contact))
        else:
            return False
        return True

    def _more(self, turn: Turn) -> None:
        pages = list(turn.data.get("more") or [])
        if not pages:
            turn.say_text(turn.t(texts.NOTHING_MORE))
            return
        # Pages were rendered for SMS already; the renderer sends them untouched.
        turn.say(Reply(pages[0], preformatted=True))
        turn.contact.state_data = {**turn.data, "more": pages[1:]}

    def _confirm_delete(self, turn: Turn, key: str | None) -> None:
        contact = turn.contact
        key = key or self._choice(turn)
        if key == "yes" and turn.msg.kind == "text" and not turn.content.keywords.means_in(
                turn.msg.text, "yes", turn.language.code):
            # Another language's "yes" (Hausa I, Zarma OHO...) may be a word of this one: only
            # the confirming person's own word erases everything; anything else asks again.
            key = None
        if key == "yes":
            turn.say_text(turn.t(texts.DELETED))
            turn.forget = True
            return
        resume = turn.data.get("resume") or [self.home.conversation, self.home.step]
        contact.conversation, contact.step = resume
        if key == "no":
            turn.say_text(turn.t(texts.DELETE_CANCELLED))
            self.goto(turn, self._home_or_onboarding(contact))
        else:  # anything else: ask again, nothing deleted
            contact.step = CONFIRM_DELETE
            turn.say(Reply(turn.t(texts.DELETE_CONFIRM),
                           options=[Option("yes", turn.keyword("yes")),
                                    Option("no", turn.keyword("no"))], numbered_hint=False))

    def _home_or_onboarding(self, contact: Contact) -> Place:
        if contact.language is None:
            return self.onboarding
        if contact.point_id is None:
            return self.point_place
        return self.home

    @staticmethod
    def _choice(turn: Turn) -> str | None:
        """The offered option this message picks: a button payload or a number typed (the
        options', then the numbered extra buttons' of a chat without buttons)."""
        offered: list[str] = list(turn.data.get("options") or [])
        if turn.msg.kind == "text":
            offered += list(turn.data.get("extras") or [])
        msg = turn.msg
        if msg.kind == "choice":
            return msg.choice if msg.choice in offered else None
        digits = msg.text.strip().rstrip(".)")
        if msg.kind == "text" and digits.isdigit():
            index = int(digits) - 1
            if 0 <= index < len(offered):
                return offered[index]
        return None

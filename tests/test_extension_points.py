"""A newcomer's extension points stay one module each (issue 18): a conversation with its
/command and keyword is one module in ``handlers/``, and nothing else lists it."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import handlers
from bot.app.runtime import build_runtime
from bot.core.chat_session import ChatSession
from bot.core.settings import Settings
from bot.core.store import Store
from webhooks.channels import channel_traits

TOY_CONVERSATION = '''
"""A toy conversation: /ping (or PING) asks for a word and answers pong."""

from enum import StrEnum

from bot.core.engine import Command, Conversation, Next, StepDef, Turn

NAME = "toy_ping"


class Step(StrEnum):
    WORD = "word"


def run(turn: Turn, rest: str) -> None:
    if rest:
        turn.say_text(f"pong {rest}")
        return
    turn.goto(CONVERSATION.at(Step.WORD))


def ask_word(turn: Turn) -> None:
    turn.say_text("toy: which word?")


def answer_word(turn: Turn) -> Next:
    turn.say_text(f"pong {turn.msg.text}")
    return None


STEPS = {Step.WORD: StepDef(ask_word, answer_word, free_text=True)}
CONVERSATION = Conversation(NAME, STEPS)
COMMANDS = (Command(run, keyword="toy_ping", slash="/ping",
                    words={"en": ("PING",), "fr": ("PING",)}),)
'''


@pytest.fixture
def toy_handler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A module dropped into the handlers package (a directory added to its path)."""
    folder = tmp_path / "more_handlers"
    folder.mkdir()
    (folder / "toy_ping.py").write_text(textwrap.dedent(TOY_CONVERSATION), encoding="utf-8")
    monkeypatch.setattr(handlers, "__path__", [*handlers.__path__, str(folder)])
    yield "handlers.toy_ping"
    sys.modules.pop("handlers.toy_ping", None)


def texts(messages: list[object]) -> str:
    return "\n".join(getattr(message, "text", "") for message in messages)


def test_a_conversation_module_is_picked_up_with_its_command_and_keyword(
        toy_handler: str, settings: Settings, store: Store) -> None:
    runtime = build_runtime(settings, channel_traits(settings), store)
    assert "toy_ping" in runtime.inbox.engine.conversations
    # Telegram's /command and the keyword by SMS, by the same path as a real update.
    telegram = ChatSession(runtime, "telegram", echo=False)
    assert "toy: which word?" in texts(telegram.send("/ping"))
    assert "pong hello" in texts(telegram.send("hello"))
    sms = ChatSession(runtime, "sms", echo=False)
    assert "pong again" in texts(sms.send("PING again"))
    assert "pong there" in texts(sms.send("/ping@hanya_bot there"))


def test_without_the_module_ping_is_not_a_command(settings: Settings, store: Store) -> None:
    runtime = build_runtime(settings, channel_traits(settings), store)
    assert "toy_ping" not in runtime.inbox.engine.conversations
    telegram = ChatSession(runtime, "telegram", echo=False)
    assert "pong" not in texts(telegram.send("/ping"))


def test_every_declared_chat_command_reaches_its_command(settings: Settings,
                                                         store: Store) -> None:
    """`hanya chat --channel telegram` answers /idea and /report as a real update would."""
    runtime = build_runtime(settings, channel_traits(settings), store)
    engine = runtime.inbox.engine
    assert {"/idea", "/report", "/cancel", "/sos", "/menu"} <= set(engine.slashes)
    telegram = ChatSession(runtime, "telegram", echo=False)
    telegram.send("/start")
    idea = texts(telegram.send("/idea"))
    sos = texts(telegram.send("/sos"))
    report = texts(telegram.send("/report"))
    assert idea and sos and report
    assert len({idea, sos, report}) == 3  # three different answers, none "not understood"

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


# --- a digest kind is one module of bot/features/digests/kinds/ -------------------------------

TOY_DIGEST = '''
"""A toy digest kind: the 3 days before, at 08:00."""

from datetime import date

from bot.core.i18n import Translator
from bot.features.digests.kinds import DigestKind, register


def title(t: Translator, start: date, end: date) -> str:
    return f"Toy digest {start.isoformat()} to {end.isoformat()}"


TOY = register(DigestKind("toy", days=3, cron=lambda settings: "0 8 * * *", title=title))
'''


@pytest.fixture
def toy_digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from bot.core import recipients
    from bot.features.digests import kinds

    folder = tmp_path / "more_kinds"
    folder.mkdir()
    (folder / "toy.py").write_text(textwrap.dedent(TOY_DIGEST), encoding="utf-8")
    monkeypatch.setattr(kinds, "__path__", [*kinds.__path__, str(folder)])
    kinds.reload()
    yield "toy"
    kinds._KINDS.pop("toy", None)
    recipients.SUBSCRIPTIONS.remove("toy")
    sys.modules.pop("bot.features.digests.kinds.toy", None)


def test_a_digest_kind_module_is_scheduled_subscribed_and_sent(
        toy_digest: str, settings: Settings, store: Store) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import select

    from bot.core.messages import Outgoing
    from bot.core.models import OutboxMessage
    from bot.core.recipients import SUBSCRIPTIONS, add_recipient
    from bot.features.digests.scheduler import DigestJobs

    runtime = build_runtime(settings, channel_traits(settings), store)
    assert toy_digest in SUBSCRIPTIONS  # a recipient can subscribe to it
    with store.session() as session:
        add_recipient(session, runtime.vault, name="toy reader", address="telegram:424242",
                      language="fr", subscriptions=["alerts", "toy"])
    jobs = DigestJobs(runtime)
    assert {"daily", "weekly", "toy"} <= set(jobs.triggers)  # scheduled with the others
    now = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # 10:00 in Niamey: today's 08:00 has passed
    assert jobs.run("toy", now) == 1
    assert jobs.run("daily", now) == 0  # the reader did not subscribe to the daily digest
    with store.session() as session:
        [row] = session.scalars(select(OutboxMessage)).all()
        text = Outgoing.unseal(runtime.vault, row.payload_enc).text
    assert text.startswith("Toy digest 2026-03-07 to 2026-03-09")
    assert jobs.run("toy", now) == 0  # once per period and recipient, as every kind

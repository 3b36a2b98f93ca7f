"""`hanya dead-letters list|show|replay|drop`: a message that failed for good comes back
through the intake, once, and an operator sees only its metadata; `/readyz` and the
operations page count them."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import pytest
from rich.console import Console
from sqlalchemy import select
from starlette.testclient import TestClient
from typer.testing import CliRunner

import bot.app.cli_dead_letters
from bot.app.cli import app
from bot.core.models import DeadLetter, InboundMessage, IntakeMessage
from tests.conftest import WEBHOOK_SECRET
from tests.dashboard_support import signed_in
from tests.fakes.telegram_updates import text_update
from tests.test_intake import accepting_only, count, handle_all

HEADERS = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
CHAT = 8_470_000_001
runner = CliRunner()


@pytest.fixture
def cli(settings, monkeypatch):
    monkeypatch.setattr(bot.app.cli_dead_letters, "get_settings", lambda: settings)
    # As wide as any terminal whatever runs the tests (a table wraps to fit a narrow one).
    monkeypatch.setattr(bot.app.cli_dead_letters, "console", Console(width=200))

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, ["dead-letters", *args], env={"COLUMNS": "200"})
        assert result.exit_code == code, result.output
        return result.output
    return run


def dead_letter_a_poison(client) -> datetime:
    """Two messages of one person; handling the first raises (a bug), the second is handled.
    Returns when the first came."""
    for n, text in enumerate(["poison secret-words", "hi"]):
        assert client.post("/webhooks/telegram", headers=HEADERS, json=text_update(
            847_000_001 + n, CHAT, text)).status_code == 200
    runtime = client.app.state.runtime
    with runtime.store.session() as session:
        came = session.scalars(select(IntakeMessage.received_at)
                               .order_by(IntakeMessage.id)).first()
    handle = runtime.inbox.process

    def poisoned(msg, also=None):
        if msg.text.startswith("poison"):
            raise RuntimeError("a bug we have not found yet")
        return handle(msg, also)

    runtime.inbox.process = poisoned
    handle_all(runtime)
    runtime.inbox.process = handle  # the bug is fixed
    assert came is not None
    return came


def test_a_dead_letter_is_shown_by_its_metadata_and_replayed_once(settings, store, cli,
                                                                 caplog):
    caplog.set_level(logging.DEBUG)
    with accepting_only(settings) as client:
        came = dead_letter_a_poison(client)
        assert count(store, DeadLetter) == 1 and count(store, InboundMessage) == 1
        assert client.get("/readyz").json()["dead_letters"] == 1
        with store.session() as session:
            number = session.scalars(select(DeadLetter.id)).one()

        listed, shown = cli("list"), cli("show", str(number))
        for output in (listed, shown):
            assert "telegram" in output and "RuntimeError" in output and "text" in output
            assert came.strftime("%Y-%m-%d %H:%M:%S") in output
        assert "847000001" in shown and "characters: 19" in shown
        assert "1 dead letter(s)" in listed

        assert "1 dead letter(s) put back into the intake" in cli("replay", str(number))
        assert count(store, DeadLetter) == 0 and count(store, IntakeMessage) == 1
        assert "no such dead letter" in cli("replay", str(number), code=1)  # not twice
        with store.session() as session:
            assert session.scalars(select(IntakeMessage.received_at)).one() == came
        handle_all(client.app.state.runtime)
        assert client.get("/readyz").json()["dead_letters"] == 0
    with store.session() as session:
        handled = session.scalars(select(InboundMessage.external_id)
                                  .order_by(InboundMessage.id)).all()
    assert handled == ["847000002", "847000001"]  # once, after the fix
    everything = listed + shown + caplog.text
    assert str(CHAT) not in everything and "secret-words" not in everything


def test_a_letter_of_a_message_handled_meanwhile_is_not_handled_twice(settings, store, cli):
    with accepting_only(settings) as client:
        dead_letter_a_poison(client)
        runtime = client.app.state.runtime
        with store.session() as session:  # the same message, handled after all (a retry)
            letter = session.scalars(select(DeadLetter)).one()
            session.add(InboundMessage(channel="telegram", external_id=letter.external_id,
                                       kind="text"))
        cli("replay", "--all")
        handle_all(runtime)
    assert count(store, InboundMessage) == 2 and count(store, IntakeMessage) == 0


def test_a_letter_kept_as_the_provider_sent_it_is_replayed_too(settings, store, cli):
    """Letters written before they held the neutral message kept the raw Telegram update."""
    with accepting_only(settings) as client:
        vault = client.app.state.runtime.vault
        update = text_update(847_000_010, CHAT, "hello")
        with store.session() as session:
            session.add(DeadLetter(channel="telegram", external_id="847000010",
                                   payload_enc=vault.encrypt(json.dumps(update)),
                                   error="IntegrityError"))
        listed = cli("list")
        assert "IntegrityError" in listed and "?" not in listed  # read through its parser
        cli("replay", "--all")
        handle_all(client.app.state.runtime)
    assert count(store, InboundMessage) == 1 and count(store, DeadLetter) == 0


def test_drop_deletes_for_good_and_asks_which(settings, store, cli):
    with accepting_only(settings) as client:
        dead_letter_a_poison(client)
    with store.session() as session:
        number = session.scalars(select(DeadLetter.id)).one()
    assert "give dead-letter numbers, or --all" in cli("drop", code=2)
    cli("drop", str(number), code=1)  # not confirmed (no answer on stdin)
    assert count(store, DeadLetter) == 1
    assert "1 dead letter(s) deleted." in cli("drop", str(number), "--yes")
    assert count(store, DeadLetter) == 0 and "No dead letters." in cli("list")


def test_the_operations_page_counts_dead_letters(settings, store):
    from webhooks.app import create_app

    settings.run_intake = settings.run_sender = False
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        dead_letter_a_poison(client)
        signed_in(client, store, "officer-1", "officer")
        page = client.get("/dashboard/operations").text
    assert '<b>1</b><span>Messages en échec définitif</span>' in page

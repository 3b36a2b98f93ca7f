"""`hanya chat --store`: the committee and idea journeys on the configured store, where every
send is shown in the terminal, marked sent there, and never delivered by a real sender later."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import bot.app.cli
import bot.app.cli_committee
import bot.app.cli_digest
from bot.app.cli import app
from bot.core.models import OutboxMessage

runner = CliRunner()
TERMINAL_NUMBER = "+22799999999"  # the SMS channel's terminal address (webhooks/twilio_sms.py)


@pytest.fixture
def hanya(settings, store, monkeypatch):
    settings.telegram_bot_username = "hanya_niger_bot"
    for module in (bot.app.cli, bot.app.cli_committee, bot.app.cli_digest):
        monkeypatch.setattr(module, "get_settings", lambda: settings)

    def run(*args: str, input: str | None = None, code: int = 0) -> str:
        result = runner.invoke(app, list(args), input=input, env={"COLUMNS": "200"})
        assert result.exit_code == code, result.output
        return result.output
    return run


def _outbox(store) -> list[tuple[str, str | None, str | None, bool]]:
    with store.session() as session:
        return [(row.status, row.provider_id, row.delivery_status, row.sent_at is not None)
                for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_join_report_alert_and_idea_answer_are_shown_and_never_delivered(
        hanya, store, bot_api, twilio_api):
    hanya("committee", "create", "--point", "assamaka", "--name", "Comité d'Assamaka")
    code = re.search(r"JOIN (\w{8})", hanya("committee", "invite", "assamaka")).group(1)
    hanya("digest", "recipients", "add", "Permanence", "telegram:-1001234567890")

    output = hanya("chat", "--store", input=f"JOIN {code}\nRAPPORT SEGUEDINE BLOQUES ?\n"
                   "IDEE Un point d'eau a Assamaka\n")
    assert "Bienvenue dans le comité de veille Comité d'Assamaka (Assamaka)" in output
    assert "Recu R-2026-00001 : Séguédine" in output
    # The duty recipient's alert, shown with its masked address instead of being sent.
    assert "to telegram:…890 (alert or answer, telegram; shown here, not delivered)" in output
    assert "URGENT R-2026-00001 : Personnes bloquées ou abandonnées (désert)" in output
    assert "1234567890" not in output
    reference = re.search(r"(I-2026-\d{5})", output).group(1)

    # Every row is sent to the terminal: sent, a provider id no callback can match, dated.
    rows = _outbox(store)
    assert len(rows) == 4
    assert all(status == "sent" and provider_id.startswith("terminal-")
               and delivery == "terminal" and dated
               for status, provider_id, delivery, dated in rows), rows
    assert len({provider_id for _, provider_id, _, _ in rows}) == 4

    # A real sender on the same store, with the (fake) providers configured, sends none of it.
    hanya("outbox", "run", "--seconds", "1")
    assert bot_api.sent() == [] and twilio_api.messages == []

    # The SP/CCM answers the signed idea in another command: queued, not sent...
    assert "(submitter told)" in hanya("idea", "status", reference, "discussed",
                                       "--answer", "Vu en réunion du GTM")
    assert _outbox(store)[-1][0] == "pending"
    # ...and an empty line in the terminal shows it and takes it from the queue.
    shown = hanya("chat", "--store", input="\n")
    assert "to tel:…999 (alert or answer, sms; shown here, not delivered)" in shown
    assert "Réponse du SP/CCM : Vu en réunion du GTM" in shown
    assert _outbox(store)[-1][:2] == ("sent", f"terminal-{len(rows) + 1}")
    hanya("outbox", "run", "--seconds", "1")
    assert twilio_api.messages == []


def test_a_send_queued_after_the_terminal_is_still_delivered(hanya, store, twilio_api):
    """The control: the sender in these tests does deliver what the terminal did not take."""
    hanya("chat", "--store", input="IDEE Un point d'eau a Assamaka\n")
    with store.session() as session:
        [idea_row] = session.scalars(select(OutboxMessage)).all()
        assert idea_row.status == "sent"
    from bot.features.ideas.models import Idea
    with store.session() as session:
        reference = session.scalars(select(Idea.reference)).one()
    hanya("idea", "status", reference, "acted", "--answer", "Fait")
    hanya("outbox", "run", "--seconds", "1")
    [sms] = twilio_api.messages
    assert sms.to == TERMINAL_NUMBER and "Fait" in sms.body


def test_chat_refuses_a_production_store(hanya, settings, store):
    settings.production = True
    output = hanya("chat", "--store", input="INFO\n", code=2)
    assert "not on a production store (HANYA_PRODUCTION=true)" in output
    assert _outbox(store) == []


def test_without_store_the_conversation_stays_in_a_throwaway_database(hanya, store):
    output = hanya("chat", input="INFO\n")
    assert "1 Hausa" in output
    assert _outbox(store) == []

"""A handled message's own rows are written at the end of its turn (bot/core/turn_writes.py): on
PostgreSQL as one statement with the intake's deletion, on SQLite as one statement each; the
same rows either way, and a redelivery still rolls everything back."""

from __future__ import annotations

from sqlalchemy import event, select

from bot.core.inbox import Outcome
from bot.core.intake import Intake, decode
from bot.core.messages import Outgoing
from bot.core.models import Contact, InboundMessage, IntakeMessage, OutboxMessage
from bot.core.turn_writes import DeleteRow
from tests.fakes.telegram_updates import text_update
from tests.test_intake import HEADERS, accepting_only, count, handle_all


def _accept(client, update_id: int, chat: int, text: str) -> None:
    assert client.post("/webhooks/telegram", headers=HEADERS,
                       json=text_update(update_id, chat, text)).status_code == 200


def _statements(engine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def counted(_conn, _cursor, statement, _params, _context, _many) -> None:
        seen.append(statement.split(None, 1)[0].upper())

    return seen


def test_a_known_person_s_message_costs_a_read_and_one_write_on_postgres(settings, store):
    chat = 8_600_000_001
    with accepting_only(settings) as client:
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        _accept(client, 860_000_001, chat, "hi")
        handle_all(runtime)  # the contact now exists
        _accept(client, 860_000_002, chat, "1")  # a language, by its number
        intake = Intake(runtime.store, runtime.vault, runtime.inbox)
        row = intake._claim()[0]
        seen = _statements(runtime.store.engine)
        intake._process(row)
    assert count(store, IntakeMessage) == 0 and count(store, InboundMessage) == 2
    with store.session() as session:
        contact = session.scalars(select(Contact)).one()
        queued = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert contact.language is not None and contact.step != "start"  # the turn's change kept
    last = queued[-1]
    assert (last.status, last.attempts, last.priority) == ("pending", 0, 0)
    assert last.next_attempt_at is not None and last.created_at is not None
    assert last.contact_id == contact.id and last.route
    assert Outgoing.unseal(runtime.vault, last.payload_enc).text
    if store.is_postgres:
        # SELECT … FOR UPDATE, then one WITH … (record, contact, requests, replies, intake)
        assert seen == ["SELECT", "WITH"], seen
    else:
        assert "WITH" not in seen and seen.count("INSERT") >= 2  # one statement per table


def test_a_redelivered_message_rolls_back_the_whole_turn_on_every_backend(settings, store):
    chat = 8_600_000_002
    with accepting_only(settings) as client:
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        _accept(client, 860_000_011, chat, "hi")
        handle_all(runtime)
        before = count(store, OutboxMessage)
        _accept(client, 860_000_011, chat, "hi")  # handled already: the intake takes it again
        intake = Intake(runtime.store, runtime.vault, runtime.inbox)
        row = intake._claim()[0]
        # the inbox's own answer, before the intake would forget the row
        msg = decode(runtime.vault.decrypt(row.payload_enc), row.channel, row.external_id,
                     row.received_at)
        result = runtime.inbox.process(msg, also=DeleteRow(IntakeMessage.__table__, row.id))
    assert result.outcome is Outcome.DUPLICATE
    assert count(store, OutboxMessage) == before  # no second reply
    assert count(store, IntakeMessage) == 1  # its deletion rolled back with the rest
    assert count(store, InboundMessage) == 1

"""Received messages are kept before the webhook answers and handled right after
(bot/core/intake.py):
kept encrypted, committed together under load, handled in each person's order by any number of
threads and processes, and kept through a store outage or a poison message."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from bot.core.errors import StoreUnavailable
from bot.core.intake import Intake
from bot.core.models import DeadLetter, InboundMessage, IntakeMessage, OutboxMessage
from tests.conftest import WEBHOOK_SECRET
from tests.fakes.telegram_updates import text_update
from tests.reliability.servers import ROOT, environment

HEADERS = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}


def count(store, model) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def accepting_only(settings) -> TestClient:
    """The web app with its intake task (and sender) off: messages are accepted, not handled."""
    from webhooks.app import create_app

    settings.run_intake, settings.run_sender = False, False
    return TestClient(create_app(settings))


def handle_all(runtime, *, processes: int = 1, threads: int = 1, timeout: float = 30.0,
               **intake_options) -> list[Intake]:
    """Run ``processes`` intakes side by side (as separate processes would) until none waits."""
    async def main() -> list[Intake]:
        intakes = [Intake(runtime.store, runtime.vault, runtime.inbox, **intake_options)
                   for _ in range(processes)]
        tasks = [asyncio.create_task(i.run(anyio.CapacityLimiter(threads))) for i in intakes]
        deadline = time.monotonic() + timeout
        while await asyncio.to_thread(intakes[0].waiting) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        for intake in intakes:
            intake.stop()
        await asyncio.gather(*tasks)
        return intakes

    return asyncio.run(main())


def test_the_webhook_answers_once_the_message_is_kept_encrypted_and_it_is_handled_after(
        settings, store, bot_api):
    chat = 8_400_000_001
    with accepting_only(settings) as client:
        response = client.post("/webhooks/telegram", headers=HEADERS,
                               json=text_update(840_000_001, chat, "bonjour secret-words"))
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        assert response.status_code == 200
        with store.session() as session:
            kept = session.scalars(select(IntakeMessage)).one()
        assert str(chat) not in kept.payload_enc and "secret" not in kept.payload_enc
        assert str(chat) not in kept.route  # a keyed hash, as the outbox's
        assert count(store, InboundMessage) == 0 and count(store, OutboxMessage) == 0
        assert client.get("/readyz").json()["intake_waiting"] == 1  # what operators watch

        handle_all(runtime)
    assert count(store, IntakeMessage) == 0
    assert count(store, InboundMessage) == 1
    assert count(store, OutboxMessage) >= 1  # the language menu, queued for the sender


def test_webhooks_arriving_together_share_a_commit(settings, store):
    with accepting_only(settings) as client:
        engine = client.app.state.runtime.store.engine  # type: ignore[attr-defined]
        commits = 0  # one statement per batch: autocommit on PostgreSQL, a transaction on SQLite

        @event.listens_for(engine, "before_cursor_execute")
        def counted(_conn, _cursor, statement, _params, _context, _many) -> None:
            nonlocal commits
            commits += statement.startswith("INSERT INTO intake")

        def post(n: int) -> int:
            return client.post("/webhooks/telegram", headers=HEADERS,
                               json=text_update(841_000_000 + n, 8_410_000_000 + n, "hi")
                               ).status_code

        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(post, range(96)))
        event.remove(engine, "before_cursor_execute", counted)
    assert statuses == [200] * 96
    assert count(store, IntakeMessage) == 96
    assert commits >= 1
    print(f"[intake] 96 webhooks, {commits} commits")
    assert commits < 96 * 0.75, f"{commits} commits for 96 messages: no group commit"


def test_each_person_s_messages_are_handled_in_order_by_parallel_threads_and_processes(
        settings, store):
    # Fewer people than threads: a free thread would take a person's next message at once.
    people = [8_420_000_000 + p for p in range(2)]
    updates = [(person, text_update(842_000_000 + 10 * p + i, person, f"message {i}"))
               for i in range(5) for p, person in enumerate(people)]
    with accepting_only(settings) as client:
        for _, update in updates:
            assert client.post("/webhooks/telegram", headers=HEADERS,
                               json=update).status_code == 200
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        handle = runtime.inbox.process
        overlap, running, lock = 0, set(), threading.Lock()

        def slowed(msg, also=None):  # the first message of each person takes longest
            nonlocal overlap
            with lock:
                overlap = max(overlap, len(running) + 1)
                if msg.address in running:
                    raise AssertionError("two messages of one person handled at once")
                running.add(msg.address)
            try:
                time.sleep(0.05 if msg.text == "message 0" else 0.001)
                return handle(msg, also)
            finally:
                with lock:
                    running.discard(msg.address)

        runtime.inbox.process = slowed
        handle_all(runtime, processes=2, threads=3)
    assert overlap > 1, "the messages were not handled side by side: the test proves nothing"
    with store.session() as session:
        handled = list(session.execute(select(InboundMessage.external_id, InboundMessage.contact_id)
                                       .order_by(InboundMessage.id)))
    assert len(handled) == len(updates) and count(store, IntakeMessage) == 0
    for contact in {c for _, c in handled}:
        ids = [int(e) for e, c in handled if c == contact]
        assert ids == sorted(ids), f"a person's messages were handled out of order: {ids}"


def test_a_message_waits_through_a_store_outage_and_is_handled_once_it_is_back(settings, store):
    with accepting_only(settings) as client:
        assert client.post("/webhooks/telegram", headers=HEADERS,
                           json=text_update(843_000_001, 8_430_000_001, "hi")).status_code == 200
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        handle, failures = runtime.inbox.process, []

        def down_twice(msg, also=None):
            if len(failures) < 2:
                failures.append(msg.external_id)
                raise StoreUnavailable("connection refused")
            return handle(msg, also)

        runtime.inbox.process = down_twice
        handle_all(runtime, retry_after=0.05)
    assert failures == ["843000001", "843000001"]
    assert count(store, InboundMessage) == 1 and count(store, DeadLetter) == 0
    assert count(store, IntakeMessage) == 0


def test_a_poison_message_is_dead_lettered_encrypted_and_the_person_s_next_is_handled(
        settings, store):
    chat = 8_440_000_001
    with accepting_only(settings) as client:
        for n, text in enumerate(["poison", "hi"]):
            assert client.post("/webhooks/telegram", headers=HEADERS, json=text_update(
                844_000_001 + n, chat, text)).status_code == 200
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        handle = runtime.inbox.process

        def poisoned(msg, also=None):
            if msg.text == "poison":
                raise RuntimeError("a bug we have not found yet")
            return handle(msg, also)

        runtime.inbox.process = poisoned
        handle_all(runtime)
        with store.session() as session:
            letter = session.scalars(select(DeadLetter)).one()
        assert "poison" in runtime.vault.decrypt(letter.payload_enc)
        assert "poison" not in letter.payload_enc and letter.error == "RuntimeError"
    with store.session() as session:
        handled = session.scalars(select(InboundMessage.external_id)).all()
    assert handled == ["844000002"] and count(store, IntakeMessage) == 0


def test_hanya_intake_run_handles_what_web_processes_accepted(settings, store):
    with accepting_only(settings) as client:
        for n in range(3):
            assert client.post("/webhooks/telegram", headers=HEADERS, json=text_update(
                845_000_001 + n, 8_450_000_001 + n, "hi")).status_code == 200
    assert count(store, IntakeMessage) == 3
    hanya = str(Path(sys.executable).parent / "hanya")  # the installed command
    done = subprocess.run([hanya, "intake", "run", "--seconds", "4"],
                          cwd=ROOT, env=environment(settings), capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert count(store, IntakeMessage) == 0 and count(store, InboundMessage) == 3


def test_every_field_comes_back_from_the_row_and_its_short_payload():
    from datetime import UTC, datetime

    from bot.core.intake import decode, encode
    from bot.core.messages import MsgIn

    when = datetime(2026, 12, 2, 6, 30, 15, 123456, tzinfo=UTC)
    messages = [MsgIn("telegram", "telegram:42", "9001", received_at=when),
                MsgIn("telegram", "telegram:42", "9002", kind="callback", choice="topic:rights",
                      language_hint="ha", received_at=when),
                MsgIn("telegram", "telegram:42", "9003", kind="location",
                      location=(16.97, 7.99), received_at=when),
                MsgIn("sms", "tel:+22790000001", "SM1", text="Sannu « à » \u2014 ok",
                      media=("photo", "file-1"), received_at=when)]
    for msg in messages:
        payload = encode(msg)
        assert not {"channel", "external_id", "received_at"} & set(json.loads(payload))
        assert decode(payload, msg.channel, msg.external_id, when) == msg
    assert len(encode(messages[1])) < 90  # what is encrypted and written for a menu tap


def test_a_row_accepted_before_the_payload_was_shortened_is_still_read():
    from datetime import UTC, datetime

    from bot.core.intake import decode
    from bot.core.messages import MsgIn

    old = ('{"channel": "sms", "address": "tel:+22790000001", "external_id": "SM7", '
           '"kind": "text", "text": "INFO", "choice": null, "location": null, "media": null, '
           '"language_hint": null, "received_at": "2026-12-01T10:00:00+00:00"}')
    column_time = datetime(2026, 12, 1, 10, 0, 0, 500, tzinfo=UTC)
    assert decode(old, "sms", "SM7", column_time) == MsgIn(
        "sms", "tel:+22790000001", "SM7", text="INFO",
        received_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC))


def test_a_batch_keeps_every_column_and_drops_a_repeated_delivery(settings, store):
    from datetime import UTC, datetime, timedelta

    from bot.core.intake import decode
    from bot.core.messages import MsgIn

    first = datetime(2026, 12, 2, 7, 0, 0, 654321, tzinfo=UTC)
    messages = [MsgIn("telegram", f"telegram:{n}", f"u{n}", text=f"m{n}",
                      received_at=first + timedelta(seconds=n)) for n in range(5)]
    messages.append(MsgIn("telegram", "telegram:0", "u0", text="again"))  # a provider retry

    with accepting_only(settings) as client:
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        intake = Intake(runtime.store, runtime.vault, runtime.inbox)

        async def accept_together() -> None:
            await asyncio.gather(*(intake.accept(m) for m in messages))

        asyncio.run(accept_together())
    with store.session() as session:
        rows = session.scalars(select(IntakeMessage).order_by(IntakeMessage.id)).all()
    assert [r.external_id for r in rows] == [f"u{n}" for n in range(5)]
    for row, msg in zip(rows, messages, strict=False):
        assert row.received_at == msg.received_at
        assert decode(runtime.vault.decrypt(row.payload_enc), row.channel, row.external_id,
                      row.received_at) == msg


def test_a_waiting_message_is_re_keyed_by_a_rotation_and_read_under_the_new_key(settings, store):
    from bot.app.keys import rotate_all
    from bot.core.crypto import SEALED, Vault

    with accepting_only(settings) as client:
        assert client.post("/webhooks/telegram", headers=HEADERS,
                           json=text_update(842_000_001, 8_420_000_001, "hi")).status_code == 200
        old = client.app.state.runtime.vault  # type: ignore[attr-defined]
    with store.session() as session:
        before = session.scalars(select(IntakeMessage)).one().payload_enc
        assert before.startswith(SEALED)
        new = Vault(b"a-brand-new-key", (settings.secret_key_or_dev(),))
        assert rotate_all(session, new).columns["intake.payload_enc"] == 1
    with store.session() as session:
        after = session.scalars(select(IntakeMessage)).one().payload_enc
    assert after != before and after.startswith(SEALED)
    assert Vault(b"a-brand-new-key").decrypt(after) == old.decrypt(before)


POISONS = {  # a row the store itself refuses, past the webhooks' parse checks
    "no id": (None, False),  # NOT NULL, on both stores
    "an id too long for the key": (str(10**70), True),  # String(64): PostgreSQL only
}


@pytest.mark.parametrize("poison", POISONS, ids=list(POISONS))
def test_a_row_the_store_refuses_fails_alone_and_the_rest_of_its_batch_is_handled(
        settings, store, poison):
    from bot.core.messages import MsgIn

    bad_id, postgres_only = POISONS[poison]
    if postgres_only and not store.is_postgres:
        pytest.skip("SQLite does not enforce a string column's length")
    messages = [MsgIn("telegram", f"telegram:{8_460_000_000 + n}", str(846_000_000 + n),
                      text="SOS" if n == 81 else "hi") for n in range(160)]
    messages.insert(40, MsgIn("telegram", "telegram:8460009999", bad_id, text="hi"))

    with accepting_only(settings) as client:
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        intake = Intake(runtime.store, runtime.vault, runtime.inbox)

        async def accept_together() -> list[BaseException | None]:
            return await asyncio.gather(*(intake.accept(m) for m in messages),
                                        return_exceptions=True)

        started = time.perf_counter()
        answers = asyncio.run(accept_together())
        took = time.perf_counter() - started
        refused = [n for n, answer in enumerate(answers) if answer is not None]
        print(f"[intake] 161 accepted together, {len(refused)} refused, {took * 1000:.0f} ms")
        assert refused == [40], f"{len(refused)} of 161 refused: the bad row took others along"
        assert count(store, IntakeMessage) == 160
        handle_all(runtime)
    assert count(store, InboundMessage) == 160 and count(store, DeadLetter) == 0


def test_an_sos_is_claimed_before_the_burst_waiting_ahead_of_it_but_after_its_senders_own(
        settings, store, bot_api):
    # People answering a broadcast fill the intake; an SOS sent in the middle used to wait
    # behind all of them (make bench, U2: 20.8 s). Its sender's own earlier message still
    # comes first: one person's messages are handled in order; but that earlier message
    # jumps the burst with it (it waited behind the burst, and the SOS behind it).
    burst, late, caller = range(8_500_000_001, 8_500_000_041), 8_500_000_100, 8_500_000_200
    with accepting_only(settings) as client:
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        update = iter(range(850_000_001, 850_001_000))
        for chat in burst:
            client.post("/webhooks/telegram", headers=HEADERS,
                        json=text_update(next(update), chat, "bonjour"))
        client.post("/webhooks/telegram", headers=HEADERS,
                    json=text_update(next(update), late, "bonjour"))
        client.post("/webhooks/telegram", headers=HEADERS,
                    json=text_update(next(update), late, "SOS"))
        client.post("/webhooks/telegram", headers=HEADERS,
                    json=text_update(next(update), caller, "sos"))
        with store.session() as session:
            marked = session.scalars(select(IntakeMessage.external_id)
                                     .where(IntakeMessage.urgent.is_(True))).all()
        assert len(marked) == 2  # both SOS, in any case, and nothing else

        # Inside the app's life: its store is disposed when it stops.
        intake = Intake(runtime.store, runtime.vault, runtime.inbox, batch=3, sos_alone=60.0)
        with store.session() as session:
            ids = {r.id: r.external_id for r in session.execute(
                select(IntakeMessage.id, IntakeMessage.external_id))}
            ordered = [ids[i] for i in sorted(ids)]
        late_hello, late_sos, caller_sos = ordered[-3:]
        claimed = intake._claim()
        first = [row.external_id for row in claimed]
        # The caller's SOS and the late one's "bonjour", before 40 waiting messages; not the
        # late one's SOS yet (its "bonjour" is not handled), and nothing of the burst: the
        # next claim must come as soon as these two are handled.
        assert sorted(first) == sorted([late_hello, caller_sos])
        for row in claimed:
            intake._process(row)
        assert [row.external_id for row in intake._claim()] == [late_sos]
        # A flood of SOS cannot hold the others back: a claim is filled at least every
        # ``sos_alone`` s (0 here: every claim).
        filled = Intake(runtime.store, runtime.vault, runtime.inbox, batch=3, sos_alone=0.0)
        client.post("/webhooks/telegram", headers=HEADERS,
                    json=text_update(next(update), caller + 1, "sos"))
        assert len(filled._claim()) == 3
        handle_all(runtime)
    assert count(store, IntakeMessage) == 0 and count(store, InboundMessage) == 44

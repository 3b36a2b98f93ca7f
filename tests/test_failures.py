"""What providers see when our side fails, and that nothing is lost or doubled."""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.core.models import DeadLetter, InboundMessage
from tests.conftest import WEBHOOK_SECRET, wait_handled, wait_outbox_drained
from tests.fakes.telegram_updates import text_update
from tests.support import SmsUser, TelegramUser

CHAT = 7001002003
NUMBER = "+22791234567"


@contextmanager
def store_outage(client):
    """Every new session or transaction of the app's store fails as if the database server
    were gone."""
    store = client.app.state.runtime.store
    real = store._sessions

    def refuse():
        raise OperationalError("BEGIN", {}, ConnectionRefusedError("connection refused"))

    store._sessions = refuse
    store.engine.begin = refuse  # the intake's writes (Store.transaction)
    store._autocommit.connect = refuse  # and on PostgreSQL (Store.statement)
    try:
        yield
    finally:
        store._sessions = real
        del store.engine.begin  # the Engine's own methods again
        del store._autocommit.connect


def count(store, model) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_telegram_gets_503_with_retry_after_and_its_retry_is_processed_once(client, store,
                                                                           bot_api):
    user = TelegramUser(client, bot_api, store, CHAT)
    update = text_update(800_000_001, CHAT, "hello")
    with store_outage(client):
        response = user.post(update)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert count(store, InboundMessage) == 0
    assert user.post(update).status_code == 200  # Telegram's retry, store back
    assert user.post(update).status_code == 200  # and a stray second retry
    wait_outbox_drained(store)
    assert count(store, InboundMessage) == 1
    assert len(bot_api.sent(CHAT)) == 1


def test_sms_during_an_outage_is_spooled_then_ingested_once(client, store, twilio_api):
    user = SmsUser(client, twilio_api, store, NUMBER)
    runtime = client.app.state.runtime
    with store_outage(client):
        response = user.post("hello")
        assert response.status_code == 200  # Twilio must not see an error: it won't retry long
        assert len(runtime.spool.pending()) == 1
        assert runtime.spool.flush(lambda *_: runtime.inbox.process(None)) == 0  # still down
    from webhooks.app import spool_ingest

    ingest = spool_ingest(client.app.state.intake)
    assert runtime.spool.flush(ingest) == 1
    wait_handled(store)
    user.post("hello", sid=user.sids[0])  # Twilio retried after all: still one record
    assert runtime.spool.flush(ingest) == 0
    assert count(store, InboundMessage) == 1


def test_a_poison_update_is_dead_lettered_and_does_not_block_the_next(client, store, bot_api,
                                                                      monkeypatch):
    user = TelegramUser(client, bot_api, store, CHAT)
    engine = client.app.state.runtime.inbox.engine
    real_handle = engine.handle

    def handle(turn):
        if turn.msg.text == "poison":
            raise RuntimeError("a bug we have not found yet")
        return real_handle(turn)

    monkeypatch.setattr(engine, "handle", handle)
    response = user.post(text_update(800_000_010, CHAT, "poison"))
    assert response.status_code == 200  # accepted: the failure comes when it is handled
    wait_handled(store)
    assert count(store, DeadLetter) == 1
    replies = user.say("hello")
    assert replies, "the person's next message was blocked behind the poison one"


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


def test_readiness_says_503_when_the_store_is_down(client, monkeypatch):
    monkeypatch.setattr(client.app.state.runtime.store, "ping", lambda: False)
    assert client.get("/readyz").status_code == 503


def test_body_over_64_kb_is_refused_with_413(client):
    response = client.post("/webhooks/telegram", content=b"{" + b" " * 70_000 + b"}",
                           headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
                                    "Content-Type": "application/json"})
    assert response.status_code == 413


def test_no_phone_number_chat_id_body_or_secret_reaches_the_logs(client, store, bot_api,
                                                                 twilio_api, settings, caplog):
    caplog.set_level(logging.DEBUG)
    tg = TelegramUser(client, bot_api, store, CHAT)
    sms = SmsUser(client, twilio_api, store, NUMBER)
    for say in (tg.say, sms.say):
        say("Bonjour secret-body-words")
        say("3")
        say("agadez")
        say("4")
    tg.post(text_update(800_000_020, CHAT, "poison-free duplicate"))
    tg.post(text_update(800_000_020, CHAT, "poison-free duplicate"))
    wait_outbox_drained(store)
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    assert caplog.records, "nothing was logged: the test would prove nothing"
    forbidden = [str(CHAT), NUMBER, NUMBER.lstrip("+"), "secret-body-words", bot_api.token,
                 twilio_api.auth_token, WEBHOOK_SECRET, settings.secret_key.get_secret_value()]
    for needle in forbidden:
        assert needle not in logged, f"{needle!r} leaked into the logs"
    assert not re.search(r"\+227\d{8}", logged)


def test_a_chunked_body_over_64_kb_is_refused_with_413(client):
    def chunks():
        for _ in range(70):
            yield b" " * 1024

    response = client.post("/webhooks/telegram", content=chunks(),
                           headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
                                    "Content-Type": "application/json"})
    assert response.status_code == 413


def test_the_service_starts_and_answers_sms_when_telegram_is_unreachable(settings, store,
                                                                         twilio_api):
    from starlette.testclient import TestClient

    from tests.reliability.servers import free_port
    from webhooks.app import create_app

    down = settings.model_copy(update={"telegram_api_url": f"http://127.0.0.1:{free_port()}"})
    with TestClient(create_app(down)) as client:
        assert client.get("/healthz").status_code == 200
        assert SmsUser(client, twilio_api, store, NUMBER).say("INFO")

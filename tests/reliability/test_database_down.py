"""PostgreSQL really goes away (a proxy between the app and the server is cut) in the middle
of traffic: Telegram gets 503 + Retry-After and its retry is processed once; an SMS is spooled
and ingested once when the store is back; no half-written conversation state."""

from __future__ import annotations

import pytest
from sqlalchemy import func, make_url, select
from starlette.testclient import TestClient

from bot.core.models import Contact, InboundMessage
from tests.conftest import wait_outbox_drained
from tests.fakes.telegram_updates import callback_update
from tests.reliability.tcp_proxy import TcpProxy
from tests.support import SmsUser, TelegramUser

CHAT = 8600000001


@pytest.fixture
def proxied(settings, store):
    if not store.is_postgres:
        pytest.skip("an embedded SQLite database cannot go down; PostgreSQL only")
    url = make_url(settings.database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    from webhooks.app import create_app

    with TestClient(create_app(settings.model_copy(update={"database_url": through}))) as client:
        yield client, proxy
    proxy.close()


def count(store, model) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_telegram_during_a_real_outage(proxied, store, bot_api):
    client, proxy = proxied
    user = TelegramUser(client, bot_api, store, CHAT)
    user.say("bonjour")
    choose = callback_update(860_000_001, CHAT, "lang:fr")
    proxy.cut()
    response = user.post(choose)
    assert response.status_code == 503 and response.headers["Retry-After"]
    proxy.restore()
    assert user.post(choose).status_code == 200  # Telegram's retry
    wait_outbox_drained(store)
    with store.session() as session:
        contact = session.scalars(select(Contact)).one()
        assert contact.language == "fr" and contact.step == "choose_point"  # whole, not half
    assert count(store, InboundMessage) == 2


def test_sms_during_a_real_outage_is_spooled_and_ingested_once(proxied, store, twilio_api):
    client, proxy = proxied
    user = SmsUser(client, twilio_api, store, "+22796000001")
    runtime = client.app.state.runtime
    proxy.cut()
    assert user.post("INFO").status_code == 200
    assert len(runtime.spool.pending()) == 1
    proxy.restore()
    from webhooks.app import spool_ingest

    ingest = spool_ingest(client.app.state.intake)  # what the app's flush does every 5 s
    assert runtime.spool.flush(ingest) == 1
    assert runtime.spool.flush(ingest) == 0
    wait_outbox_drained(store)
    assert count(store, InboundMessage) == 1
    assert len(twilio_api.sent("+22796000001")) == 1

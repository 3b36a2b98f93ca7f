"""The same provider message delivered 100 times — in sequence, at once, to several server
processes — makes one record and one reply."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from bot.core.models import InboundMessage, OutboxMessage
from tests.conftest import PUBLIC_URL, SERVICE_NUMBER, WEBHOOK_SECRET, wait_outbox_drained
from tests.fakes.telegram_updates import text_update
from tests.fakes.twilio_signing import signed_sms_form
from tests.reliability.servers import server

CHAT = 8200000001
NUMBER = "+22792000001"
TG_HEADERS = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}


def count(store, model) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_one_telegram_update_posted_100_times_in_sequence(client, store, bot_api):
    update = text_update(820_000_001, CHAT, "bonjour")
    statuses = {client.post("/webhooks/telegram", json=update, headers=TG_HEADERS).status_code
                for _ in range(100)}
    assert statuses == {200}
    wait_outbox_drained(store)
    assert count(store, InboundMessage) == 1
    assert count(store, OutboxMessage) == 1
    assert len(bot_api.sent(CHAT)) == 1


def test_one_twilio_message_posted_100_times_in_sequence(client, store, twilio_api):
    url = f"{PUBLIC_URL}/webhooks/twilio/sms"
    form, headers = signed_sms_form(url, twilio_api.auth_token, from_=NUMBER, to=SERVICE_NUMBER,
                                    body="INFO", message_sid="SM" + "b" * 32)
    statuses = {client.post("/webhooks/twilio/sms", data=form, headers=headers).status_code
                for _ in range(100)}
    assert statuses == {200}
    wait_outbox_drained(store)
    assert count(store, InboundMessage) == 1
    assert len(twilio_api.sent(NUMBER)) == 1


def test_a_captured_sms_re_posted_with_fields_folded_into_its_sid_makes_no_second_report(
        client, store, twilio_api):
    from tests.test_twilio_signature import folded

    url = f"{PUBLIC_URL}/webhooks/twilio/sms"
    form, headers = signed_sms_form(url, twilio_api.auth_token, from_=NUMBER, to=SERVICE_NUMBER,
                                    body="SOS", message_sid="SM" + "d" * 32)
    assert client.post("/webhooks/twilio/sms", data=form, headers=headers).status_code == 200
    replay = client.post("/webhooks/twilio/sms", data=folded(form), headers=headers)
    assert replay.status_code == 400  # the signature held; the MessageSid check refused it
    wait_outbox_drained(store)
    assert count(store, InboundMessage) == 1
    assert len(twilio_api.sent(NUMBER)) == 1


def _post_many(urls: list[str], n: int, make_request) -> list[int]:
    with httpx.Client(timeout=30) as http, ThreadPoolExecutor(max_workers=20) as pool:
        return list(pool.map(lambda i: make_request(http, urls[i % len(urls)]).status_code,
                             range(n)))


def test_the_same_messages_posted_at_once_to_two_server_processes(settings, store, bot_api,
                                                                   twilio_api):
    update = text_update(820_000_002, CHAT, "bonjour")
    sms_url = f"{PUBLIC_URL}/webhooks/twilio/sms"
    form, headers = signed_sms_form(sms_url, twilio_api.auth_token, from_=NUMBER,
                                    to=SERVICE_NUMBER, body="INFO", message_sid="SM" + "c" * 32)
    with server(settings) as first, server(settings) as second:
        urls = [first.url, second.url]
        tg = _post_many(urls, 100, lambda http, url: http.post(
            f"{url}/webhooks/telegram", json=update, headers=TG_HEADERS))
        sms = _post_many(urls, 100, lambda http, url: http.post(
            f"{url}/webhooks/twilio/sms", data=form, headers=headers))
        assert set(tg) == {200} and set(sms) == {200}
        wait_outbox_drained(store, timeout=30)
    assert count(store, InboundMessage) == 2
    assert len(bot_api.sent(CHAT)) == 1
    assert len(twilio_api.sent(NUMBER)) == 1

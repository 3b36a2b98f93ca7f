"""Provider trouble not covered in tests/test_outbox_faults.py: a provider that hangs past the
client's timeout (an ambiguous send) and a recipient who replied STOP to the carrier."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from bot.core.crypto import Vault
from bot.core.models import Contact, OutboxMessage
from bot.core.outbox import Sender
from tests.test_outbox_faults import FAST, deliver_all, queue, row, twilio
from webhooks.telegram import TelegramSender


@pytest.fixture
def vault(settings) -> Vault:
    return Vault(settings.secret_key_or_dev())


def test_a_send_that_times_out_is_retried_and_costs_at_most_one_extra_copy(store, vault,
                                                                          bot_api, caplog):
    caplog.set_level(logging.WARNING)
    row_id = queue(store, vault, "telegram:8700000001", "are you there?")
    slow_client = TelegramSender(bot_api.token, bot_api.url, timeout=0.5)
    sender = Sender(store, vault, {"telegram": slow_client}, limits=FAST, base_backoff=0.1)

    async def run() -> None:
        await slow_client.start()  # getMe answered in time
        slow_client.start = _noop  # type: ignore[method-assign]
        # The fake records the first send, then answers after the client has given up; the
        # provider is fast again for the retry.
        bot_api.delay = 1.5
        threading.Thread(target=_fast_after_first_send, args=(bot_api,), daemon=True).start()
        await deliver_all(sender, store)

    asyncio.run(run())
    copies = [m for m in bot_api.sent(8700000001) if m["text"] == "are you there?"]
    done = row(store, row_id)
    assert done.status == "sent" and done.attempts == 2
    assert len(copies) == 2  # the ambiguous one did arrive: exactly one extra copy, no more
    assert any("may have been delivered" in r.getMessage() for r in caplog.records)


def test_twilio_21610_recipient_unsubscribed_stops_the_contact_without_retry(store, vault,
                                                                             twilio_api):
    twilio_api.unsubscribe("+22797000001")
    row_id = queue(store, vault, "tel:+22797000001", "bonjour", contact=True)
    sender = Sender(store, vault, {"sms": twilio(twilio_api)}, limits=FAST)
    asyncio.run(deliver_all(sender, store))
    failed: OutboxMessage = row(store, row_id)
    assert failed.status == "failed" and failed.attempts == 1
    with store.session() as session:
        assert session.get(Contact, failed.contact_id).stopped is True


async def _noop() -> None:
    return None


def _fast_after_first_send(bot_api) -> None:
    bot_api.wait_sent(1, timeout=10)
    bot_api.delay = 0

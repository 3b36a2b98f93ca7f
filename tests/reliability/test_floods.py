"""Floods, reply loops and SMS pumping: throttled politely, SOS never, others unaffected."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.core.models import InboundMessage
from tests.fakes.telegram_updates import text_update
from tests.support import SmsUser, TelegramUser, texts

FLOODER, NEIGHBOUR = 8100000001, 8100000002
THROTTLED = "Vous envoyez beaucoup de messages"


def count(store, model) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_two_hundred_messages_get_one_polite_notice_and_sos_still_works(client, bot_api, store,
                                                                         settings):
    flooder = TelegramUser(client, bot_api, store, FLOODER)
    neighbour = TelegramUser(client, bot_api, store, NEIGHBOUR)
    flooder.say("bonjour")
    flooder.tap("lang:fr")
    flooder.tap("point:agadez")
    for i in range(200):
        flooder.post(text_update(810_000_000 + i, FLOODER, str(1 + i % 7)))  # menu topics
    replies = flooder._replies()
    notices = [m for m in replies if THROTTLED in m["text"]]
    assert len(notices) == 1
    # 3 set-up messages, then topics until the window's limit, then one notice, then silence.
    # (The loop guard may trim a topic repeated past its own limit, never the notice.)
    assert settings.flood_max_messages - 3 - 7 <= len(replies) - 1 <= settings.flood_max_messages
    assert count(store, InboundMessage) == 203  # every message recorded, none lost
    assert neighbour.say("bonjour"), "another person was slowed down by the flood"
    assert flooder.say("SOS"), "an SOS was throttled"


@pytest.fixture
def tight_loop_guard(settings):
    settings.loop_max_repeats = 5
    return settings


def test_the_same_reply_stops_after_the_loop_limit(tight_loop_guard, client, bot_api, store):
    user = TelegramUser(client, bot_api, store, FLOODER)
    user.say("bonjour")
    helps = [texts(user.say("HELP")) for _ in range(8)]
    assert sum(1 for h in helps if h) == 5  # the sixth identical HELP reply is not sent
    assert count(store, InboundMessage) == 9


@pytest.fixture
def small_foreign_budget(settings):
    settings.sms_foreign_daily_segments = 6
    return settings


def test_sms_pumping_from_a_foreign_prefix_is_capped_per_day(small_foreign_budget, client,
                                                            twilio_api, store):
    pumped = 0
    for i in range(10):
        user = SmsUser(client, twilio_api, store, f"+4477009000{i:02d}")
        pumped += len(user.say("INFO"))
    assert 1 <= pumped <= 3  # the language menu costs 2 segments: at most 3 fit in 6
    home = SmsUser(client, twilio_api, store, "+22790000777")
    assert home.say("INFO"), "a number in Niger was refused because of foreign pumping"

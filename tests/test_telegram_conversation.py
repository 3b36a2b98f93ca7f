"""The information point over Telegram, end to end: webhook in, fake Bot API out."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.core.models import Contact, InboundMessage, OutboxMessage
from tests.conftest import WEBHOOK_SECRET
from tests.fakes.telegram_updates import fixture_update, text_update
from tests.support import TelegramUser, buttons, texts

CHAT = 5123456789


@pytest.fixture
def user(client, bot_api, store) -> TelegramUser:
    return TelegramUser(client, bot_api, store, CHAT)


def count(store, model) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_first_message_lists_every_language_in_its_own_name(user):
    replies = user.say("salut")
    assert len(replies) == 1
    labels = [label for label, _ in buttons(replies[0])]
    assert labels == ["Hausa", "Zarmaciine", "Français", "English", "العربية", "Fulfulde",
                      "Kànùrí → Hausa", "Tamajaq → Français"]  # their texts, for now
    assert all(len(data.encode()) <= 64 for _, data in buttons(replies[0]))


def test_french_walk_to_help_near_you_at_assamaka(user):
    user.say("/start")
    replies = user.tap("lang:fr")
    assert "STOP" in replies[0]["text"]  # the privacy notice names the opt-out words
    assert any(label == "Assamaka" for label, _ in buttons(replies[1]))
    replies = user.tap("point:assamaka")
    menu = replies[-1]
    assert "Assamaka" in menu["text"]
    replies = user.tap("topic:help_near_you")
    text = texts(replies)
    assert "Alarme Phone Sahara" in text
    assert "non vérifié" in text  # no sample number is presented as checked
    with user.store.session() as session:
        contact = session.scalars(select(Contact)).one()
        assert (contact.language, contact.point_id) == ("fr", "assamaka")


def test_first_prompt_follows_the_phone_language_when_we_know_it(user):
    from tests.fakes.telegram_updates import text_update

    user.post(text_update(900_000_400, CHAT, "hi", language_code="en"))
    assert "Choose your language" in user._replies()[0]["text"]


def test_shared_location_picks_the_nearest_point(user):
    user.say("/start")
    user.tap("lang:en")
    replies = user.share_location(16.97, 7.99)  # Agadez town
    assert "Agadez" in replies[0]["text"]
    assert "Agadez" in replies[-1]["text"]


def test_shared_location_far_from_every_point_asks_for_a_place(user):
    user.say("/start")
    user.tap("lang:en")
    replies = user.share_location(48.85, 2.35)  # Paris
    assert "No information point is near you" in replies[0]["text"]


def test_stop_then_start(user):
    user.say("/start")
    user.tap("lang:en")
    user.tap("point:agadez")
    replies = user.say("STOP")
    assert "START" in replies[0]["text"]
    assert user.say("menu") == []  # a stopped person gets nothing
    replies = user.say("START")
    assert "Welcome back" in replies[0]["text"]
    assert "Agadez" in replies[-1]["text"]  # remembered place


def test_delete_asks_then_forgets_the_person(user, store):
    user.say("/start")
    user.tap("lang:en")
    user.tap("point:agadez")
    replies = user.say("DELETE")
    assert [d for _, d in buttons(replies[0])] == ["yes", "no"]
    assert count(store, Contact) == 1
    replies = user.tap("yes")
    assert "deleted" in replies[0]["text"]
    assert count(store, Contact) == 0
    with store.session() as session:  # no message row keeps a link to the person
        assert session.scalar(select(func.count()).select_from(InboundMessage)
                              .where(InboundMessage.contact_id.is_not(None))) == 0
    replies = user.say("hello")  # a new start, as a stranger (phone set to French)
    assert "Choisissez votre langue" in replies[0]["text"]


def test_delete_then_no_keeps_everything(user, store):
    user.say("/start")
    user.tap("lang:en")
    user.tap("point:agadez")
    user.say("DELETE")
    replies = user.tap("no")
    assert "Nothing was deleted" in replies[0]["text"]
    assert count(store, Contact) == 1


def test_same_update_delivered_twice_is_processed_and_answered_once(user, store, bot_api):
    update = text_update(900_000_001, CHAT, "hello")
    first = user.post(update)
    second = user.post(update)
    assert (first.status_code, second.status_code) == (200, 200)
    user._replies()
    assert len(bot_api.sent(CHAT)) == 1
    assert count(store, InboundMessage) == 1


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
def test_missing_or_wrong_secret_is_refused_and_nothing_stored(user, store, bot_api, secret):
    response = user.post(text_update(900_000_002, CHAT, "hello"), secret=secret)
    assert response.status_code == 403
    assert count(store, InboundMessage) == 0
    assert count(store, OutboxMessage) == 0


@pytest.mark.parametrize(("kind", "chat"), [
    ("edited_message", CHAT), ("channel_post", -1001234567890),
    ("group_message", -1001234567890)])
def test_update_kinds_we_do_not_serve_get_200_and_are_ignored(user, store, kind, chat):
    response = user.post(fixture_update(kind, 900_000_100, chat))
    assert response.status_code == 200
    assert response.json()["ignored"]
    assert count(store, InboundMessage) == 0


def test_voice_note_to_the_information_point_asks_for_text(user):
    user.say("/start")
    user.tap("lang:en")
    user.post(fixture_update("message_voice", 900_000_150, CHAT))
    replies = user._replies()
    assert "Please send text" in replies[0]["text"]


def test_user_who_blocked_the_bot_is_marked_stopped(user, store):
    user.say("hello")
    user.post(fixture_update("my_chat_member_kicked", 900_000_200, CHAT))
    with store.session() as session:
        assert session.scalars(select(Contact)).one().stopped is True


def test_callback_query_is_answered_in_the_webhook_response(user):
    user.say("hello")
    from tests.fakes.telegram_updates import callback_update

    response = user.post(callback_update(900_000_300, CHAT, "lang:fr"))
    assert response.json()["method"] == "answerCallbackQuery"


def test_malformed_json_is_a_400_not_a_500(client):
    response = client.post("/webhooks/telegram", content=b"{not json",
                           headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
                                    "Content-Type": "application/json"})
    assert response.status_code == 400

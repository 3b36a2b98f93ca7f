"""Conversations that used to lose or confuse a person (issue 21): CANCEL in the idea box, the
SOS reply in the phone's language."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from bot.core.models import Contact
from bot.features.committees import texts as txt
from bot.features.ideas import texts as it
from bot.features.ideas.models import Idea
from tests.fakes.telegram_updates import text_update
from tests.support import SmsUser, TelegramUser

_ids = itertools.count(930_000_000)


def content(client):
    return client.app.state.runtime.content.current


# --- CANCEL leaves the idea box ---------------------------------------------------------------

@pytest.mark.parametrize("word", ["CANCEL", "/cancel", "annuler", "SOKE", "ACCU", "إلغاء"])
def test_cancel_in_any_language_leaves_the_idea_box_with_a_translated_confirmation(
        client, bot_api, store, word):
    user = TelegramUser(client, bot_api, store, 8200001)
    user.say("/start")
    user.tap("lang:en")
    user.tap("point:agadez")
    [ask] = user.say("/idea")
    assert "Write your idea" in ask["text"]
    [left] = user.say(word)
    assert left["text"] == content(client).translator("en")(it.CANCELLED)
    assert "committee" not in left["text"]
    with store.session() as session:
        person = session.scalars(select(Contact)).one()
        assert (person.conversation, person.step) == ("info", "menu")
        assert not any(k.startswith("idea_") for k in person.state_data)
        assert session.scalars(select(Idea)).first() is None
    # Out of the flow: the next words are the menu's again, not an idea.
    [menu] = user.say("MENU")
    assert "Agadez" in menu["text"]


def test_cancel_after_the_theme_question_stores_nothing_either(client, bot_api, store):
    user = TelegramUser(client, bot_api, store, 8200002)
    user.say("/idea")
    user.say("Un point d'eau à Séguédine")
    [left] = user.say("ANNULER")
    assert left["text"] == "Idée annulée : rien n'a été enregistré."
    with store.session() as session:
        assert session.scalars(select(Idea)).first() is None


# --- SOS in the phone's language --------------------------------------------------------------

def test_sos_from_a_new_telegram_user_whose_phone_is_in_arabic_comes_in_arabic(
        client, bot_api, store):
    user = TelegramUser(client, bot_api, store, 8200003)
    user.post(text_update(next(_ids), 8200003, "SOS", language_code="ar"))
    replies = user._replies()
    arabic = content(client).translator("ar")(txt.SOS_CALL)
    french = content(client).translator("fr")(txt.SOS_CALL)
    assert arabic != french
    assert replies and replies[0]["text"].startswith(arabic)
    assert french not in replies[0]["text"]


def test_sos_without_a_language_hint_stays_in_the_default_language(client, twilio_api, store):
    user = SmsUser(client, twilio_api, store, "+22790002101")
    [reply] = user.say("SOS")
    assert reply.startswith("Numéros d'urgence")

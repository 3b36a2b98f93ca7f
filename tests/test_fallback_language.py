"""Texts missing in a person's language (issue 20, issue 21): the fallback says so in the
person's language, the person may choose English instead of French (FALLBACK EN), and a French
fallback inside a Hausa, Kanuri or Tamajaq SMS is transliterated as in a French SMS."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core import texts
from bot.core.models import Contact
from bot.core.sms_encoding import paginate, sms_cost
from tests.support import SmsUser, TelegramUser

ORDER = ["ha", "dje", "fr", "en", "ar", "ff", "kr", "tmh"]
MENU = ["rights", "dangers", "health", "help_near_you", "going_home", "women_children",
        "after_expulsion", "protection_papers", "emergency"]


def content(client):
    return client.app.state.runtime.content.current


def sms_user(client, twilio_api, store, number: str, language: str, place: str) -> SmsUser:
    user = SmsUser(client, twilio_api, store, number)
    user.say("INFO")
    user.say(str(ORDER.index(language) + 1))
    user.say(place)
    return user


def chosen(store) -> str | None:
    with store.session() as session:
        return session.scalars(select(Contact)).one().fallback_language


def topic_start(client, language: str, key: str) -> str:
    return content(client).topic(language, key).sms.split("\n")[0][:40]


# --- the fallback says so, and English may replace French -----------------------------------

def test_a_zarma_reader_gets_french_with_a_notice_then_english_after_fallback_en(
        client, twilio_api, store):
    user = sms_user(client, twilio_api, store, "+22790002501", "dje", "agadez")
    assert content(client).topic("dje", "after_expulsion").language == "fr"  # no Zarma text
    zarma = content(client).languages["dje"]  # its SMS spell French's name "Francais" (GSM-7)
    notice_fr = zarma.sms_spelling(content(client).translator("dje")(texts.FALLBACK_NOTICE,
                                                                      language="Français"))
    first = user.say(str(MENU.index("after_expulsion") + 1))[0]
    assert first.startswith(notice_fr)
    assert first.count(notice_fr) == 1  # once for the topic
    assert topic_start(client, "fr", "after_expulsion") in first

    [howto] = user.say("FALLBACK")
    assert "Francais" in howto and "FALLBACK EN" in howto
    [done] = user.say("FALLBACK EN")
    assert "English" in done
    assert chosen(store) == "en"

    notice_en = content(client).translator("dje")(texts.FALLBACK_NOTICE, language="English")
    user.say("MENU")
    again = user.say(str(MENU.index("after_expulsion") + 1))[0]
    assert again.startswith(notice_en)
    assert topic_start(client, "en", "after_expulsion") in again
    assert topic_start(client, "fr", "after_expulsion") not in again
    # The person's own texts stay theirs: Zarma's help near you is still Zarma.
    assert content(client).topic("dje", "help_near_you", "en").language == "dje"
    user.say("MENU")
    own = user.say(str(MENU.index("help_near_you") + 1))[0]
    assert topic_start(client, "dje", "help_near_you") in own


def test_french_again_with_the_french_word_and_name(client, twilio_api, store):
    user = sms_user(client, twilio_api, store, "+22790002502", "ff", "agadez")
    user.say("FALLBACK ENGLISH")
    assert chosen(store) == "en"
    [back] = user.say("REPLI FRANCAIS")
    assert chosen(store) is None
    assert "Français" in back or "Francais" in back


def test_an_unknown_choice_changes_nothing_and_says_how(client, twilio_api, store):
    user = sms_user(client, twilio_api, store, "+22790002503", "dje", "agadez")
    [howto] = user.say("FALLBACK KLINGON")
    assert chosen(store) is None and "EN" in howto and "FR" in howto


def test_on_telegram_the_choice_is_kept_and_used(client, bot_api, store):
    user = TelegramUser(client, bot_api, store, 8200501)
    user.say("/start")
    user.tap("lang:ff")
    user.tap("point:agadez")
    user.say("FALLBACK EN")
    assert chosen(store) == "en"
    [topic] = user.tap("topic:protection_papers")
    english = content(client).topic("en", "protection_papers").text.split("\n")[0][:40]
    assert english in topic["text"]
    assert "English" in topic["text"].split("\n")[0]


# --- a French fallback in a Hausa, Kanuri or Tamajaq SMS ------------------------------------

@pytest.mark.parametrize("language", ["ha", "kr", "tmh"])
def test_a_french_service_name_is_transliterated_in_every_sms_as_in_french(
        client, twilio_api, store, settings, language):
    """Agadez's hospital has a French name only: "Hôpital" made the Hausa SMS UCS-2."""
    hospital = "Hopital régional d'Agadez"  # as in French: é is GSM-7, ô is not
    french = sms_user(client, twilio_api, store, "+22790002510", "fr", "agadez")
    assert hospital in french.say_all(str(MENU.index("help_near_you") + 1))
    user = sms_user(client, twilio_api, store, "+22790002511", language, "agadez")
    text = user.say_all(str(MENU.index("help_near_you") + 1))
    assert hospital in text and "Hôpital" not in text
    line = next(line for line in text.splitlines() if hospital in line)
    assert sms_cost(line).encoding == "GSM-7"
    for page in twilio_api.sent(user.number):
        assert sms_cost(page.body).segments <= settings.sms_max_segments


def test_the_same_line_costs_what_it_costs_in_french():
    line = "- Hôpital régional d'Agadez: soins (non vérifié)"
    from bot.core.sms_encoding import transliterate
    assert sms_cost(line).encoding == "UCS-2"
    assert sms_cost(transliterate(line)).encoding == "GSM-7"
    assert sms_cost(transliterate(line) * 3).segments < sms_cost(line * 3).segments


def test_a_page_break_never_leaves_a_lone_bullet():
    text = "x" * 150 + "\n- Hopital regional d'Agadez: soins"
    pages = paginate(text, 1, "MORE")
    assert len(pages) == 2
    for page in pages:
        assert all(line.strip() != "-" for line in page.splitlines())
        assert sms_cost(page).segments == 1
    assert pages[1].startswith("- Hopital")

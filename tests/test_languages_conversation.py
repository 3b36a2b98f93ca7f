"""The information point in Hausa, Arabic, and the two languages CLDR does not know."""

from __future__ import annotations

import pytest

from bot.core.sms_encoding import sms_cost
from tests.support import SmsUser, TelegramUser, buttons, texts

ORDER = ["ha", "dje", "fr", "en", "ar", "ff", "kr", "tmh"]


def number_of(code: str) -> str:
    return str(ORDER.index(code) + 1)


@pytest.fixture
def sms(client, twilio_api, store) -> SmsUser:
    return SmsUser(client, twilio_api, store, "+22796554433")


@pytest.fixture
def tg(client, bot_api, store) -> TelegramUser:
    return TelegramUser(client, bot_api, store, 6001002003)


def test_hausa_by_sms_help_near_you_at_assamaka(sms, settings):
    sms.say("INFO")
    places = sms.say_all(number_of("ha"))  # notice + places: more than one page in Hausa
    assert "DAINA" in places  # the Hausa privacy notice names the Hausa STOP word
    assert "Assamaka" in places
    [menu] = sms.say("Assamaka")
    assert "Bayanai na Assamaka" in menu
    replies = sms.say("4")
    text = "\n".join(replies)
    assert "Ayyukan taimako" in text
    assert "ba a tabbatar ba" in text  # "not verified", in Hausa
    assert all(sms_cost(r).segments <= settings.sms_max_segments for r in replies)


def test_arabic_by_sms_is_sent_in_ucs2_within_budget(sms, settings):
    sms.say("INFO")
    sms.say(number_of("ar"))
    [menu] = sms.say("assamaka")
    assert "معلومات عن" in menu
    cost = sms_cost(menu)
    assert cost.encoding == "UCS-2"
    assert cost.segments <= settings.sms_max_segments


def test_arabic_on_telegram_lists_services_with_unverified_marks(tg):
    tg.say("/start")
    tg.tap("lang:ar")
    tg.tap("point:assamaka")
    replies = tg.tap("topic:help_near_you")
    text = texts(replies)
    assert "الخدمات" in text
    assert "لم يتم التحقق منه" in text
    content = tg.client.app.state.runtime.content.current
    menu_label = content.translator("ar")("Menu")
    assert menu_label != "Menu"  # the button is labelled in Arabic
    assert buttons(replies[-1]) == [(menu_label, "nav:menu")]


@pytest.mark.parametrize("code", ["kr", "tmh"])
def test_languages_unknown_to_cldr_serve_the_whole_walk(tg, code):
    tg.say("/start")
    replies = tg.tap(f"lang:{code}")
    assert replies, "no reply after choosing the language"
    tg.tap("point:agadez")
    replies = tg.tap("topic:emergency")
    assert "+227 89 98 33 39" in texts(replies)  # Alarme Phone Sahara, whatever the language


def test_kanuri_falls_back_through_hausa_for_missing_texts(tg, client):
    content = client.app.state.runtime.content.current
    assert content.chain("kr")[:2] == ["kr", "ha"]
    translator = content.translator("kr")
    # Plural forms come from the catalog header: Babel has no rule for Kanuri.
    one = translator.ngettext(("{count} service at {point}:", "{count} services at {point}:"),
                              1, point="Agadez")
    many = translator.ngettext(("{count} service at {point}:", "{count} services at {point}:"),
                               7, point="Agadez")
    assert "1" in one and "7" in many


def test_french_uses_cldr_three_plural_forms(client):
    # CLDR (Babel 2.19+) gives French a third form for exact millions ("1 000 000 de
    # personnes"); 0 and 1 take the singular, as French does.
    translator = client.app.state.runtime.content.current.translator("fr")
    pair = ("{count} person", "{count} people")
    assert [translator.ngettext(pair, n) for n in (0, 1, 2, 1_000_000)] == [
        "0 personne", "1 personne", "2 personnes", "1000000 de personnes"]


def test_unknown_language_code_never_crashes_a_reply(client):
    content = client.app.state.runtime.content.current
    translator = content.translator("xx")
    assert translator.gettext("Choose your language:") == "Choisissez votre langue :"  # French
    from datetime import date

    for code in ("xx", "kr", "tmh"):  # Babel knows none of them: dates borrow a locale
        assert "2026" in content.translator(code).date(date(2026, 11, 23))


def test_sms_gets_the_short_privacy_notice_telegram_the_full_one(sms, tg):
    sms.say("INFO")
    [first] = sms.say(number_of("en"))
    assert "90 days" in first and "STOP" in first and "DELETE" in first
    assert "to answer you" not in first  # the long notice's wording stays on Telegram
    tg.say("/start")
    assert "to answer you" in tg.tap("lang:en")[0]["text"]


def test_a_language_without_a_short_notice_gets_its_own_long_one_not_french(sms):
    sms.say("INFO")
    page = sms.say_all(number_of("dje"))  # Zarma has no short SMS notice yet
    assert "KAY" in page  # its own STOP word: the Zarma notice, not a French fallback
    assert "Hanya garde" not in page

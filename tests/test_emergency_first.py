"""Emergency first, in all 8 languages, over SMS and Telegram: the numbers are on the first SMS
(or message) of the Emergency topic and of the SOS reply, real content is 3 replies away, and a
location in the open desert gets the numbers and the coordinates to read out."""

from __future__ import annotations

import re

import pytest

from bot.core.sms_encoding import sms_cost
from tests.committee_helpers import add_duty
from tests.support import SmsUser, TelegramUser, texts
from tests.test_content_check import check, edit, tree  # noqa: F401 - the fixture

ORDER = ["ha", "dje", "fr", "en", "ar", "ff", "kr", "tmh"]
NUMBERS = ["17", "15", "18", "+227 89 98 33 39", "+227 83 44 65 34"]


def has_every_number(text: str) -> bool:
    return all(re.search(rf"(?<![\d+]){re.escape(n)}(?!\d)", text) for n in NUMBERS)


def numbered(page: str, label: str) -> str:
    """The number of ``label`` in an SMS menu ("2 Agadez"), which must be on this page."""
    found = re.search(rf"^(\d+) {re.escape(label)}$", page, re.MULTILINE)
    assert found, f"{label!r} is not on the first SMS:\n{page}"
    return found.group(1)


@pytest.fixture
def sms(client, twilio_api, store) -> SmsUser:
    return SmsUser(client, twilio_api, store, "+22796001122")


@pytest.fixture
def tg(client, bot_api, store) -> TelegramUser:
    return TelegramUser(client, bot_api, store, 6009001001)


@pytest.mark.parametrize("code", ORDER)
def test_sms_emergency_in_three_replies_with_the_numbers_on_its_first_sms(sms, settings, code):
    [languages] = sms.say("INFO")
    *_notice, places = sms.say(numbered(languages, _sms_name(sms, code)))  # reply 1
    [menu] = sms.say(numbered(places, "Agadez"))                       # reply 2
    topic = sms.client.app.state.runtime.content.current.topic(code, "emergency")
    title = topic.sms_title or topic.title
    [first, *_] = sms.say(numbered(menu, title))                     # reply 3
    assert has_every_number(first), first
    assert sms_cost(first).segments <= settings.sms_max_segments
    [sos, *_] = sms.say("SOS")
    assert has_every_number(sos), sos


@pytest.mark.parametrize("code", ORDER)
def test_telegram_emergency_in_three_replies_with_the_numbers_first(tg, code):
    tg.say("/start")
    tg.tap(f"lang:{code}")                                              # reply 1
    tg.tap("point:agadez")                                              # reply 2
    [first, *_] = tg.tap("topic:emergency")                            # reply 3
    assert has_every_number(first["text"]), first["text"]
    [sos, *_] = tg.tap("cmd:sos")
    assert has_every_number(sos["text"]), sos["text"]


def test_sos_reply_says_plainly_what_happens_next(tg, store, settings):
    add_duty(store, settings)  # someone to tell, so the reply says what happens next
    tg.say("/start")
    tg.tap("lang:en")
    text = texts(tg.tap("cmd:sos"))
    assert "What happens now" in text and "cannot call you back" in text
    assert "duty team" not in text


def test_welcome_and_help_name_sos_in_every_language(client):
    content = client.app.state.runtime.content.current
    for code in ORDER:
        t = content.translator(code)
        welcome = t("Welcome to Hanya, the information point for people on the road. In danger? "
                    "Send SOS at any time.")
        words = t("Words you can send at any time: SOS in danger, MENU, BACK, LANGUAGE, PLACE, "
                  "STOP, DELETE.")
        assert "SOS" in welcome and "SOS" in words, code


def test_a_location_in_the_open_desert_gets_numbers_and_coordinates(tg):
    tg.say("/start")
    tg.tap("lang:en")
    text = texts(tg.share_location(20.9, 10.5))
    assert "20.90000, 10.50000" in text
    assert has_every_number(text)
    assert "not verified" in text


def test_arabic_isolates_spaced_numbers(tg):
    tg.say("/start")
    tg.tap("lang:ar")
    tg.tap("point:agadez")
    text = tg.tap("topic:emergency")[0]["text"]
    assert "\u2066+227 89 98 33 39\u2069" in text


def test_check_refuses_numbers_pushed_behind_more(tree):  # noqa: F811
    path = tree / "locales/ar/LC_MESSAGES/messages.po"
    edit(path, 'msgstr "أرقام الطوارئ:"', 'msgstr "' + "أرقام الطوارئ " * 20 + ':"')
    found = [str(f) for f in check(tree).errors if "the first SMS lacks" in f.message]
    assert found and "[ar]" in found[0], found


def _sms_name(sms: SmsUser, code: str) -> str:
    return sms.client.app.state.runtime.content.current.menu_name(code, sms=True)


def test_a_french_fallback_is_announced_in_the_persons_language(tg):
    tg.say("/start")
    tg.tap("lang:ha")
    tg.tap("point:agadez")
    [first, *_] = tg.tap("topic:rights")
    assert first["text"].startswith("Babu wannan rubutu a harshenku tukuna. Ga shi da Français.")
    [own, *_] = tg.tap("topic:help_near_you")  # written in Hausa: nothing to announce
    assert "Français" not in own["text"]


def test_check_refuses_a_menu_or_place_list_cut_behind_more(tree):  # noqa: F811
    edit(tree / "content/ar/topics.yaml", '  sms_title: "مساعدة قريبة"\n', "")
    edit(tree / "content/ar/topics.yaml", '  sms_title: "العودة"\n', "")
    edit(tree / "locales/dje/LC_MESSAGES/messages.po",
         'msgstr "Man no ni go? Nongu kan ga maan ni suuba:"',
         'msgstr "Man no ni go? Nongu kaŋ ga maan ni suuba:"')
    found = {(f.language, f.message.split(" does")[0]) for f in check(tree).errors
             if "before reaching any content" in f.message}
    assert found == {("ar", "the main menu"), ("dje", "the place list")}


def test_a_place_without_services_points_to_the_nearest_that_has_some(tg):
    tg.say("/start")
    tg.tap("lang:en")
    tg.tap("point:gaya")
    text = tg.tap("topic:help_near_you")[0]["text"]
    assert "No service is recorded at Gaya yet." in text
    assert "Nearest place with known services: Niamey (about 233 km)." in text


def test_services_say_what_they_give_and_how_old_that_is_on_sms(sms):
    sms.say("INFO")
    sms.say(str(ORDER.index("en") + 1))
    sms.say("arlit")
    text = "\n".join(sms.say("4"))  # help near you
    assert "IOM transit centre: open centre for people who want to go home" in text
    assert "(2018-19, not verified)" in text

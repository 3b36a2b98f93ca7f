"""Places typed by migrants with a typo (issue 21): matched with the same tolerant matching as
the committees' report words (``bot.core.keywords.near``), a confirmation when unsure. Over
SMS, signed by the twilio library, in French, English and Hausa."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core.keywords import near
from bot.core.models import Contact
from bot.core.sms_encoding import sms_cost
from tests.support import SmsUser

ORDER = ["ha", "dje", "fr", "en", "ar", "ff", "kr", "tmh"]
NUMBER = "+22790002401"


def start(client, twilio_api, store, language: str) -> SmsUser:
    user = SmsUser(client, twilio_api, store, NUMBER)
    user.say("INFO")
    user.say(str(ORDER.index(language) + 1))
    return user


def place_of(store) -> str | None:
    with store.session() as session:
        return session.scalars(select(Contact)).one().point_id


@pytest.mark.parametrize(("language", "typed", "point", "shown"), [
    ("fr", "asamaka", "assamaka", "Assamaka"),
    ("en", "ASAMAKA", "assamaka", "Assamaka"),
    ("ha", "niamy", "niamey", "Yamai"),
    ("fr", "Agadès", "agadez", "Agadez"),  # an alias, as before
])
def test_a_place_typed_one_letter_off_opens_its_menu(client, twilio_api, store, language,
                                                      typed, point, shown):
    user = start(client, twilio_api, store, language)
    [menu] = user.say(typed)  # the menu: not "not understood" and the 15 places again
    assert shown in menu.splitlines()[0] and "\n1 " in menu
    assert place_of(store) == point
    assert sms_cost(menu).segments <= 2 and "Arlit" not in menu  # no list of places


@pytest.mark.parametrize(("language", "yes", "question"), [
    ("fr", "OUI", "Vouliez-vous dire Makalondi ?"),
    ("en", "1", "Did you mean Makalondi?"),
    ("ha", "I", "Kuna nufin Makalondi?"),
])
def test_an_unsure_match_asks_first_and_yes_takes_it(client, twilio_api, store, language, yes,
                                                     question):
    user = start(client, twilio_api, store, language)
    [ask] = user.say("makalandy")  # two letters off: asked, not taken
    assert ask.startswith(question) and "\n1 " in ask and "\n2 " in ask
    assert place_of(store) is None
    [menu] = user.say(yes)
    assert "Makalondi" in menu.splitlines()[0]
    assert place_of(store) == "makalondi"


def test_no_brings_the_list_of_places_back(client, twilio_api, store):
    user = start(client, twilio_api, store, "fr")
    user.say("makalandy")
    [places] = user.say("NON")
    assert "Assamaka" in places and place_of(store) is None
    [menu] = user.say("arlit")  # and the person can answer it
    assert place_of(store) == "arlit" and "Arlit" in menu


def test_another_place_typed_instead_of_yes_is_read_as_the_place(client, twilio_api, store):
    user = start(client, twilio_api, store, "en")
    user.say("makalandy")
    user.say("agadez")
    assert place_of(store) == "agadez"


def test_a_word_near_nothing_is_still_not_understood(client, twilio_api, store):
    user = start(client, twilio_api, store, "fr")
    replies = user.say("bonjour")
    assert "Désolé" in replies[0]
    assert place_of(store) is None


def test_the_report_parser_and_the_places_share_one_matching():
    """The parser's typo tolerance is ``near``: the same word, the same answer."""
    places = {"assamaka": "assamaka", "niamey": "niamey", "arlit": "arlit"}
    assert near("asamaka", places).value == "assamaka"  # type: ignore[union-attr]
    assert near("niamy", places).value == "niamey"  # type: ignore[union-attr]
    assert near("arlt", places) is None  # under five letters: no guess
    assert near("asamaka", {"assamaka": 1, "asamakx": 2}) is None  # two meanings: no guess

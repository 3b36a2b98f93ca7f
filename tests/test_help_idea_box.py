"""HELP tells a migrant the idea box exists, with the idea keyword of their own language, and
that keyword does reach the idea box (issue 21: the idea box was in no menu and no help)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core.sms_encoding import sms_cost
from bot.features.ideas.models import Idea
from tests.support import SmsUser

ORDER = ["ha", "dje", "fr", "en", "ar", "ff", "kr", "tmh"]
IDEA_WORD = {"fr": "IDEE", "en": "IDEA", "ha": "SHAWARA", "dje": "LAAKAL", "ar": "فكرة",
             "ff": "MIIJO", "kr": "SHAWARA", "tmh": "IDEE"}  # content/keywords.yaml, first word


@pytest.mark.parametrize("code", ORDER)
def test_help_names_the_idea_box_in_the_persons_language_and_the_word_works(
        code, client, twilio_api, store, settings):
    person = SmsUser(client, twilio_api, store, f"+2279612340{ORDER.index(code)}")
    person.say("INFO")
    person.say_all(str(ORDER.index(code) + 1))
    help_text = person.say_all("HELP")
    assert "SOS" in help_text
    assert IDEA_WORD[code] in help_text.splitlines()[-1], help_text
    person.say(f"{IDEA_WORD[code]} un point d'eau a Arlit")
    with store.session() as session:
        [idea] = session.scalars(select(Idea)).all()
        assert (idea.language, idea.signed) == (code, True)


@pytest.mark.parametrize(("code", "line"), [
    ("fr", "Une idée, une suggestion ? Envoyez IDEE et votre message."),
    ("en", "An idea or a suggestion? Send IDEA and your message.")])
def test_help_with_the_idea_line_still_fits_one_sms(code, line, client, twilio_api, store):
    person = SmsUser(client, twilio_api, store, "+22796123499")
    person.say("INFO")
    person.say_all(str(ORDER.index(code) + 1))
    [help_text] = person.say("HELP")
    assert help_text.endswith("\n" + line)
    assert sms_cost(help_text).segments == 1

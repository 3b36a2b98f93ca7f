"""Whole journeys over WhatsApp (issue 19): an information-point conversation and a committee
report, each in three languages, through the signed webhook and the fake Twilio API; a
member's photo or voice note kept as Twilio's media URL, as Telegram's file id is."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.features.committees.models import Report
from tests.committee_helpers import invite, make_committee, vault
from tests.conftest import PUBLIC_URL, wait_handled, wait_outbox_drained
from tests.fakes.twilio_signing import signed_sms_form
from tests.test_whatsapp import LANGUAGES, PATH, SENDER, WhatsAppUser

PHOTO = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"


@pytest.fixture
def app(settings, store):
    from starlette.testclient import TestClient

    from webhooks.app import create_app

    with TestClient(create_app(settings.model_copy(
            update={"twilio_whatsapp_number": SENDER}))) as client:
        yield client


def user(app, twilio_api, store, number: str = "whatsapp:+22790112233") -> WhatsAppUser:
    return WhatsAppUser(app, twilio_api, store, number)


def send_media(person: WhatsAppUser, url: str, content_type: str, caption: str = "") -> list[str]:
    form, headers = signed_sms_form(f"{PUBLIC_URL}{PATH}", person.api.auth_token,
                                    from_=person.address, to=SENDER, body=caption,
                                    NumMedia="1", MediaUrl0=url, MediaContentType0=content_type)
    person.api.whatsapp_inbound(person.address)
    assert person.client.post(PATH, data=form, headers=headers).status_code == 200
    wait_handled(person.store)
    wait_outbox_drained(person.store)
    sent = person.api.sent(person.address)
    new, person.seen = sent[person.seen:], len(sent)
    return [m.body for m in new]


def number_of(language: str) -> str:
    return str(LANGUAGES.index(language) + 1)


@pytest.mark.parametrize(("language", "menu_hint"), [
    ("fr", "Répondez par un numéro."), ("en", "Reply with a number."),
    ("ha", "Ku amsa da lamba.")])
def test_a_whole_information_point_conversation(app, twilio_api, store, language, menu_hint):
    person = user(app, twilio_api, store)
    [languages] = person.say("salut")
    assert "1 Hausa" in languages
    places = "\n".join(person.say(number_of(language)))
    assert "\n2 Agadez" in places and menu_hint in places  # numbered text, in the language
    menu = "\n".join(person.say("assamaka"))
    assert "Assamaka" in menu and "\n1 " in menu and menu_hint in menu
    help_near = person.say("4")  # help near you: services at Assamaka
    assert help_near and all(len(reply) <= 1600 for reply in help_near)
    assert person.say("MENU")  # back to the topics, numbered
    [stopped] = person.say("STOP")
    assert stopped and person.say("1") == []  # stopped: nothing more is sent


@pytest.mark.parametrize(("language", "sms", "receipt"), [
    ("fr", "RAPPORT ASSAMAKA EXPULSION 120 F25 E15 sans eau",  # not SMS: ç kept
     "Reçu R-2026-00001 : Assamaka, expulsion, 120 personnes dont 25 F, 15 E. "
     "Pour le retirer : ANNULER R-2026-00001"),
    ("en", "REPORT AGADEZ STRANDED 30 W10 C5 no water",
     "Received R-2026-00001: Agadez, people stranded or abandoned (desert), 30 people incl. "
     "10 W, 5 C. To withdraw it: CANCEL R-2026-00001"),
    ("ha", "RAHOTO ASSAMAKA KORA 120 MATA 25 YARA 15 babu ruwa",
     "An karba R-2026-00001: Assamaka, kora, mutane 120 ciki har da mata 25, yara 15. "
     "Don janye shi: SOKE R-2026-00001"),
])
def test_a_committee_report_in_one_message(app, twilio_api, store, settings, language, sms,
                                           receipt):
    committee = make_committee(store)
    person = user(app, twilio_api, store)
    if language != "fr":
        person.say("INFO")
        person.say(number_of(language))
    person.say(f"JOIN {invite(store, settings, committee)}")
    assert person.say(sms) == [receipt]
    with store.session() as session:
        report = session.scalars(select(Report)).one()
        assert (report.channel, report.language) == ("whatsapp", language)



def test_a_voice_note_is_kept_too(app, twilio_api, store, settings):
    committee = make_committee(store)
    person = user(app, twilio_api, store)
    person.say(f"JOIN {invite(store, settings, committee)}")
    person.say("RAPPORT")
    for answer in ("1", "1", "1", "30", "0", "0", "Passer"):
        person.say(answer)
    voice = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM2/Media/ME2"
    [summary] = send_media(person, voice, "audio/ogg")
    assert "\n1 Envoyer" in summary
    person.say("1")
    with store.session() as session:
        report = session.scalars(select(Report)).one()
        assert (report.media_kind, report.media_file_id) == ("voice", voice)


def test_a_guided_report_keeps_the_members_photo(app, twilio_api, store, settings):
    """WhatsApp is a chat: REPORT opens the guided form, its choices numbered (no buttons)."""
    committee = make_committee(store)
    person = user(app, twilio_api, store)
    person.say(f"JOIN {invite(store, settings, committee)}")
    [ask] = person.say("RAPPORT")
    assert "1 Expulsion" in ask  # the form's choices, numbered
    person.say("1")  # expulsion
    person.say("1")  # at the committee's point
    person.say("1")  # now
    person.say("120")
    person.say("25")
    person.say("15")
    # A photo with its caption answers the description and the photo steps at once.
    [summary] = send_media(person, PHOTO, "image/jpeg", caption="Arrivés à pied, sans eau")
    assert "Photo jointe" in summary and "\n1 Envoyer" in summary
    [done] = person.say("1")  # send
    assert done.startswith("Merci. Rapport reçu : R-2026-00001.")
    with store.session() as session:
        report = session.scalars(select(Report)).one()
        assert (report.channel, report.media_kind, report.media_file_id) == (
            "whatsapp", "photo", PHOTO)
        assert vault(settings).decrypt(report.description_enc) == "Arrivés à pied, sans eau"


def test_hanya_chat_speaks_as_whatsapp():
    from typer.testing import CliRunner

    from bot.app.cli import app

    result = CliRunner().invoke(app, ["chat", "--channel", "whatsapp"], input="salut\n4\n")
    assert result.exit_code == 0, result.output
    assert "1 Hausa" in result.output and "Where are you?" in result.output

"""WhatsApp through Twilio (webhooks/twilio_whatsapp.py): requests signed by the twilio library,
replies received by the fake Twilio API from the WhatsApp sender."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from bot.core.models import InboundMessage
from tests.conftest import PUBLIC_URL, wait_handled, wait_outbox_drained
from tests.fakes.twilio_signing import signed_sms_form
from webhooks.app import spool_ingest
from webhooks.twilio_sms import parse_sms

PATH = "/webhooks/twilio/whatsapp"
SENDER = "whatsapp:+14155238886"
PERSON = "whatsapp:+22790112233"
LANGUAGES = ["ha", "dje", "fr", "en", "ar", "ff", "kr", "tmh"]


@dataclass
class WhatsAppUser:
    client: TestClient
    api: object
    store: object
    address: str
    seen: int = 0
    sids: list[str] = field(default_factory=list)

    def post(self, body: str, *, token: str | None = None, **extra: str):
        form, headers = signed_sms_form(f"{PUBLIC_URL}{PATH}", token or self.api.auth_token,
                                        from_=self.address, to=SENDER, body=body, **extra)
        self.sids.append(form["MessageSid"])
        self.api.whatsapp_inbound(self.address)  # Twilio opens the person's 24-hour window
        response = self.client.post(PATH, data=form, headers=headers)
        wait_handled(self.store)
        return response

    def say(self, body: str) -> list[str]:
        response = self.post(body)
        assert response.status_code == 200, response.text
        wait_outbox_drained(self.store)
        sent = self.api.sent(self.address)
        assert all(m.from_ == SENDER for m in sent)
        new, self.seen = sent[self.seen:], len(sent)
        return [m.body for m in new]


@pytest.fixture
def whatsapp(settings, store):
    from webhooks.app import create_app

    with TestClient(create_app(settings.model_copy(
            update={"twilio_whatsapp_number": SENDER}))) as client:
        yield client


@pytest.fixture
def person(whatsapp, twilio_api, store) -> WhatsAppUser:
    return WhatsAppUser(whatsapp, twilio_api, store, PERSON)


def test_a_conversation_with_numbered_menus_answered_from_the_whatsapp_number(person):
    [languages] = person.say("salut")
    assert "1 Hausa" in languages and "Répondez par un numéro." in languages
    places = "\n".join(person.say(str(LANGUAGES.index("en") + 1)))
    assert "DELETE" in places and "1 Niamey" in places
    menu = "\n".join(person.say("assamaka"))
    assert "Assamaka" in menu and "Reply with a number." in menu
    replies = person.say("4")  # help near you
    assert replies and all(len(reply) <= 1600 for reply in replies)


def test_a_forged_request_is_refused_and_an_sms_posted_here_is_a_400(person, store):
    assert person.post("INFO", token="0" * 32).status_code == 403
    sms = WhatsAppUser(person.client, person.api, store, "+22790112233")
    assert sms.post("INFO").status_code == 400
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0


def test_a_redelivery_is_handled_once(person, store, twilio_api):
    person.say("INFO")
    person.post("INFO", message_sid=person.sids[0])
    wait_outbox_drained(store)
    assert len(twilio_api.sent(PERSON)) == 1


def test_a_photo_or_voice_note_is_kept_as_twilios_media_url():
    photo = parse_sms({"MessageSid": "MM" + "1" * 32, "From": PERSON, "Body": "Assamaka ce matin",
                       "NumMedia": "1", "MediaUrl0": "https://api.twilio.com/2010-04-01/x/Media/ME1",
                       "MediaContentType0": "image/jpeg"})
    assert (photo.channel, photo.address, photo.kind, photo.media, photo.text) == (
        "whatsapp", PERSON, "media", ("photo", "https://api.twilio.com/2010-04-01/x/Media/ME1"),
        "Assamaka ce matin")
    voice = parse_sms({"MessageSid": "MM" + "2" * 32, "From": PERSON, "NumMedia": "1",
                       "MediaUrl0": "https://x/ME2", "MediaContentType0": "audio/ogg"})
    assert voice.media == ("voice", "https://x/ME2")
    sms = parse_sms({"MessageSid": "SM" + "3" * 32, "From": "+22790112233", "Body": "INFO"})
    assert (sms.channel, sms.address) == ("sms", "tel:+22790112233")


def test_the_store_down_spools_it_and_the_spool_replays_it_as_whatsapp(person, store):
    from tests.test_failures import store_outage

    runtime = person.client.app.state.runtime
    with store_outage(person.client):
        assert person.post("hello").status_code == 200
        assert len(runtime.spool.pending()) == 1
    # Replayed through the intake, as the app's own flusher does (webhooks/app.py)
    assert runtime.spool.flush(spool_ingest(person.client.app.state.intake)) == 1
    wait_outbox_drained(store)
    [reply] = person.api.sent(PERSON)
    assert "1 Hausa" in reply.body

"""Recorded answers on WhatsApp (issues 19 and 24): a person who chose "listen" gets the
recording as a WhatsApp voice note, sent by Twilio's ``MediaUrl``: a signed address on
HANYA_PUBLIC_URL that expires (webhooks/recording_links.py). The app runs on a real uvicorn
server and the fake Twilio fetches each MediaUrl as Twilio does, so these tests prove the
address works end to end, and that a forged, expired or stale one is refused.

Recordings are generated with espeak-ng and ffmpeg (tests/test_audio_answers.py).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bot.core.crypto import Vault
from tests.conftest import PUBLIC_URL, wait_outbox_drained
from tests.fakes.twilio_signing import signed_sms_form
from tests.reliability.servers import in_thread
from tests.test_audio_answers import (  # noqa: F401 - the recordings' fixtures
    TOOLS,
    set_fr_emergency_text,
    sounds,
    tree,
)
from webhooks.recording_links import recording_url

pytestmark = pytest.mark.skipif(
    bool(TOOLS), reason=f"needs {' and '.join(TOOLS)} to generate recordings")

PATH = "/webhooks/twilio/whatsapp"
SENDER = "whatsapp:+14155238886"
PERSON = "whatsapp:+22790245501"
FRENCH = "3"  # Français, in the language menu


class Person:
    """Someone on WhatsApp, writing through Twilio's signed webhook to the real server."""

    def __init__(self, local: str, api, store, public: str = PUBLIC_URL) -> None:
        self.local, self.api, self.store, self.public = local, api, store, public
        self.address, self.seen = PERSON, 0

    def say(self, body: str) -> list:
        form, headers = signed_sms_form(f"{self.public}{PATH}", self.api.auth_token,
                                        from_=self.address, to=SENDER, body=body)
        self.api.whatsapp_inbound(self.address)
        answer = httpx.post(f"{self.local}{PATH}", data=form, headers=headers)
        assert answer.status_code == 200, answer.text
        wait_outbox_drained(self.store)
        sent = self.api.sent(self.address)
        new, self.seen = sent[self.seen:], len(sent)
        return new

    def french_at_agadez(self) -> str:
        self.say("salut")
        self.say(FRENCH)
        [menu] = self.say("agadez")
        return menu.body


def number_of(text: str, label: str) -> str:
    """The number a numbered line gives ``label``."""
    found = re.search(rf"^(\d+) [^\n]*{re.escape(label)}", text, re.MULTILINE)
    assert found, f"no line for {label!r} in:\n{text}"
    return found[1]


@pytest.fixture
def voiced(settings, tree):  # noqa: F811 - the recordings' fixture
    """Settings with recordings and a WhatsApp sender; HANYA_PUBLIC_URL is the test's public
    host, which the fake Twilio reaches on the local server."""
    return settings.model_copy(update={
        "content_dir": tree, "locales_dir": tree.parent / "locales",
        "twilio_whatsapp_number": SENDER, "content_reload_seconds": 0.2})


@pytest.fixture
def server(voiced, store, twilio_api) -> Iterator[str]:
    with in_thread(voiced) as local:
        twilio_api.media_hosts = {PUBLIC_URL: local}
        yield local


def test_listen_sends_the_recording_by_a_signed_url_that_twilio_fetches(server, twilio_api,
                                                                        store, voiced):
    person = Person(server, twilio_api, store)
    menu = person.french_at_agadez()
    [topic] = person.say(number_of(menu, "Urgence"))
    listen = number_of(topic.body, "Écouter")
    assert int(listen) > menu.count("\n") - 2  # after the menu's numbers, which keep theirs
    assert twilio_api.media_fetches == []  # nothing heard until asked
    voice, text = person.say(listen)
    assert voice.body == "" and len(voice.media_url) == 1  # WhatsApp: no caption on audio
    assert voice.media_url[0].startswith(f"{PUBLIC_URL}/media/recordings/")
    assert "Urgence" in text.body and not text.media_url  # the text just after
    [fetched] = twilio_api.wait_fetched(1)
    assert fetched.status == 200 and fetched.content_type == "audio/ogg"
    assert fetched.cache_control == "no-store"
    assert fetched.body == (voiced.content_dir / "fr" / "audio" / "emergency.ogg").read_bytes()
    assert twilio_api.resource(voice.sid)["error_code"] is None  # Twilio delivers it


def test_a_forged_expired_or_stale_address_is_refused(server, twilio_api, store, voiced):
    person = Person(server, twilio_api, store)
    menu = person.french_at_agadez()
    [topic] = person.say(number_of(menu, "Urgence"))
    voice, _ = person.say(number_of(topic.body, "Écouter"))
    good = voice.media_url[0]
    query = parse_qs(urlsplit(good).query)
    digest = urlsplit(good).path.rsplit("/", 1)[1].removesuffix(".ogg")
    local = good.replace(PUBLIC_URL, server)
    forged = local.replace(query["signature"][0], "0" * 64)
    later = local.replace(query["expires"][0], str(int(query["expires"][0]) + 3600))
    vault = Vault(voiced.secret_key_or_dev())
    expired = recording_url(server, vault, digest, now=time.time() - 3601)
    other_key = recording_url(server, Vault(b"another-secret-key"), digest)
    for refused in (forged, later, expired, other_key, f"{server}/media/recordings/",
                    f"{server}/media/recordings/..%2f..%2fcontent%2ffr%2ftopics.yaml",
                    local.replace(f"{digest}.ogg", "..%2f" * 3 + "pyproject.toml")):
        answer = httpx.get(refused)
        assert answer.status_code in (403, 404), refused
        assert answer.headers["content-type"] != "audio/ogg" and b"OggS" not in answer.content
    assert httpx.get(forged).status_code == 403
    assert httpx.get(local).status_code == 200
    # Twilio itself, handed a forged address, gets a 403 and fails the message (11200).
    sent = twilio_api.client().messages.create(to=PERSON, from_=SENDER,
                                               media_url=[forged.replace(server, PUBLIC_URL)])
    fetches = twilio_api.wait_fetched(2)
    assert fetches[-1].status == 403 and fetches[-1].body != fetches[0].body
    assert twilio_api.resource(sent.sid)["error_code"] == 11200
    person.seen += 1
    # The text changes: the recording is stale, its signed address no longer plays it and
    # "listen" is no longer offered.
    set_fr_emergency_text(voiced.content_dir, "Un texte d'urgence changé depuis l'enregistrement.")
    deadline = time.monotonic() + 10
    while httpx.get(local).status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert httpx.get(local).status_code == 404
    [again] = person.say(number_of(menu, "Urgence"))
    assert "Écouter" not in again.body and not again.media_url


def test_always_listen_is_kept_and_the_menu_is_heard(server, twilio_api, store):
    person = Person(server, twilio_api, store)
    menu = person.french_at_agadez()
    [topic] = person.say(number_of(menu, "Urgence"))
    said, voice, text = person.say(number_of(topic.body, "Toujours écouter"))
    assert "Vous entendrez désormais" in said.body  # told it is kept
    assert voice.media_url and not text.media_url
    heard = person.say("menu")
    assert heard[0].media_url and not heard[-1].media_url  # the menu, heard, then read
    assert "Agadez" in heard[-1].body
    answer = person.say(number_of(heard[-1].body, "Urgence"))
    assert answer[0].media_url  # every recorded answer now comes as a voice note
    off = number_of(answer[-1].body, "Texte seulement")
    person.say(off)
    assert all(not m.media_url for m in person.say(number_of(heard[-1].body, "Urgence")))
    assert len(twilio_api.wait_fetched(3)) == 3


def test_without_a_public_url_whatsapp_stays_text_only_and_the_check_says_why(
        voiced, store, twilio_api):
    local_only = voiced.model_copy(update={"public_url": "http://127.0.0.1:8000"})
    with in_thread(local_only) as server:
        person = Person(server, twilio_api, store, public=local_only.public_url)
        menu = person.french_at_agadez()
        [topic] = person.say(number_of(menu, "Urgence"))
        assert "Écouter" not in topic.body and not topic.media_url
    from bot.app.channels_check import check

    lines = [f for f in check(local_only) if f.check == "whatsapp"]
    assert any(f.level == "warning" and "HANYA_PUBLIC_URL" in f.text for f in lines)
    reachable = [f for f in check(voiced) if f.check == "whatsapp"]
    assert not any("HANYA_PUBLIC_URL" in f.text for f in reachable if f.level != "ok")


def test_a_listener_hears_the_menu_then_gets_the_editors_list(voiced, store, twilio_api):
    from bot.core.provider_templates import FILE

    menu_fr = "HX" + "d" * 32
    (voiced.content_dir / FILE).write_text(
        f"templates:\n  menu:\n    fr: {{sid: {menu_fr}, variables: [text, options], "
        "items: 9}\n", encoding="utf-8")
    with in_thread(voiced) as server:
        twilio_api.media_hosts = {PUBLIC_URL: server}
        person = Person(server, twilio_api, store)
        person.say("salut")
        person.say(FRENCH)
        [listed] = person.say("agadez")
        assert listed.params["ContentSid"] == menu_fr  # the list, not the numbered text
        [topic] = person.say("9")  # the ninth item: Urgence (a tap's ListId reads the same)
        person.say(number_of(topic.body, "Toujours écouter"))
        voice, menu = person.say("menu")
        assert voice.media_url and not voice.params.get("ContentSid")  # heard first
        assert menu.params["ContentSid"] == menu_fr and not menu.media_url  # then the list
        assert twilio_api.wait_fetched(2)[-1].status == 200


def test_a_recording_gone_stale_in_the_outbox_is_not_sent(voiced, twilio_api):
    import asyncio
    from types import SimpleNamespace

    from bot.core.content import load_content
    from bot.core.errors import PermanentSendError
    from bot.core.messages import Outgoing
    from webhooks.twilio_whatsapp import sender_from

    recording = load_content(voiced.content_dir, voiced.locales_dir).recording("fr",
                                                                               "emergency")
    sender = sender_from(voiced)
    set_fr_emergency_text(voiced.content_dir, "Un texte changé après la mise en file.")
    sender.content = SimpleNamespace(current=load_content(voiced.content_dir,
                                                          voiced.locales_dir))
    twilio_api.whatsapp_inbound(PERSON)
    alone = Outgoing(text="", voice_path=str(recording.path), voice_digest=recording.digest)
    with pytest.raises(PermanentSendError):
        asyncio.run(sender.send(PERSON, alone))
    asyncio.run(sender.send(PERSON, Outgoing(text="Urgence", voice_path=str(recording.path),
                                             voice_digest=recording.digest)))
    [sent] = twilio_api.sent(PERSON)
    assert sent.body == "Urgence" and sent.media_url == ()  # its text, never the old voice

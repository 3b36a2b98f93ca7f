"""The main menu as the editors' WhatsApp list picker (issue 19): where
content/whatsapp_templates.yaml names a ``menu`` template for the person's language, the menu
goes as that template (``ContentSid`` + ``ContentVariables``: its title and options, in the
person's language), and a tap comes back as ``ListId`` / ``ButtonPayload``: the option's
number. Otherwise numbered text, as before. Through the signed webhook and the fake Twilio."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml
from starlette.testclient import TestClient

from bot.core.provider_templates import FILE, problems
from tests.conftest import PUBLIC_URL, wait_outbox_drained
from tests.fakes.twilio_signing import signed_sms_form

PATH = "/webhooks/twilio/whatsapp"
SENDER = "whatsapp:+14155238886"
MENU_FR = "HX" + "c" * 32
TEMPLATES = f"""templates:
  menu:
    fr: {{sid: {MENU_FR}, variables: [text, options], items: 9}}
"""
LANGUAGES = ["ha", "dje", "fr", "en", "ar", "ff", "kr", "tmh"]


@pytest.fixture
def app(settings, store, tmp_path):
    from webhooks.app import create_app

    content = tmp_path / "content"
    shutil.copytree(settings.content_dir, content)
    (content / FILE).write_text(TEMPLATES, encoding="utf-8")
    configured = settings.model_copy(update={"twilio_whatsapp_number": SENDER,
                                             "content_dir": content})
    with TestClient(create_app(configured)) as client:
        yield client


class Person:
    def __init__(self, client, api, address: str) -> None:
        self.client, self.api, self.address, self.seen = client, api, address, 0

    def post(self, body: str, **tap: str) -> list:
        form, headers = signed_sms_form(f"{PUBLIC_URL}{PATH}", self.api.auth_token,
                                        from_=self.address, to=SENDER, body=body, **tap)
        self.api.whatsapp_inbound(self.address)
        assert self.client.post(PATH, data=form, headers=headers).status_code == 200
        wait_outbox_drained(self.client.app.state.runtime.store)
        sent = self.api.sent(self.address)
        new, self.seen = sent[self.seen:], len(sent)
        return new

    def at_agadez(self, language: str) -> list:
        self.post("salut")
        self.post(str(LANGUAGES.index(language) + 1))
        return self.post("agadez")


def variables(message) -> dict[str, str]:
    return json.loads(message.params["ContentVariables"])


def test_the_menu_goes_as_the_list_picker_filled_in_the_persons_language(app, twilio_api):
    person = Person(app, twilio_api, "whatsapp:+22790246601")
    [menu] = person.at_agadez("fr")
    assert menu.params["ContentSid"] == MENU_FR and menu.body == ""
    filled = variables(menu)
    assert "Agadez" in filled["1"]  # the title
    topics = yaml.safe_load((app.app.state.runtime.settings.content_dir / "fr" /
                             "topics.yaml").read_text("utf-8"))
    assert filled["10"] == topics["emergency"]["title"][:24]  # the 9th item, in French
    assert len(filled) == 10 and all(len(filled[str(i)]) <= 24 for i in range(2, 11))
    # The options after the nine listed are numbered after the title, to be typed.
    assert "10 " in filled["1"] and "11 " in filled["1"] and "\n" not in filled["1"]


def test_a_tap_on_an_item_or_a_quick_reply_is_the_numbered_choice(app, twilio_api):
    person = Person(app, twilio_api, "whatsapp:+22790246602")
    person.at_agadez("fr")
    [emergency] = person.post("Urgence", ListId="9", ListTitle="Urgence")
    assert "17" in emergency.body  # the emergency numbers come first
    [rights] = person.post("Droits", ButtonPayload="1", ButtonText="Droits")
    assert rights.body and rights.body != emergency.body
    [places] = person.post("11")  # typed, after the title: change place
    assert "Niamey" in places.body


def test_without_a_template_for_the_language_the_menu_is_numbered_text(app, twilio_api):
    person = Person(app, twilio_api, "whatsapp:+22790246603")
    [menu] = person.at_agadez("en")
    assert "ContentSid" not in menu.params
    assert "1 " in menu.body and "Reply with a number." in menu.body
    [emergency] = person.post("9")
    assert "17" in emergency.body


def test_the_check_refuses_a_menu_template_without_its_options_or_count(tmp_path):
    path = tmp_path / FILE
    path.write_text(f"templates:\n  menu:\n    fr: {{sid: {MENU_FR}, variables: [text]}}\n",
                    encoding="utf-8")
    [problem] = problems(path, {"fr", "en"})
    assert "menu/fr" in problem and "items" in problem
    path.write_text(TEMPLATES, encoding="utf-8")
    assert problems(path, {"fr", "en"}) == []

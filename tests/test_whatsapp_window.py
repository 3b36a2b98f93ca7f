"""WhatsApp's 24-hour window (webhooks/twilio_whatsapp.py, bot/core/reroute.py): an alert, a
digest or an idea's answer outside it goes as the editors' template, else as SMS to the same
number; Twilio's 63016, in the answer or in the status callback, is handed on the same way and
counted, never a silent failure. Against the fake Twilio API, which enforces the window."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient
from twilio.base.exceptions import TwilioRestException

from bot.core import metrics
from bot.core.models import Contact, OutboxMessage, utcnow
from bot.core.provider_templates import FILE, problems
from bot.core.recipients import PRIORITY_DIGEST, add_recipient
from bot.features.committees import alerts
from bot.features.committees.models import Committee
from bot.features.digests.digest import send_digest
from bot.features.digests.render import DigestRenderer
from tests.committee_helpers import vault
from tests.conftest import PUBLIC_URL, SERVICE_NUMBER, wait_outbox_drained
from tests.dashboard_support import signed_in
from tests.fakes.twilio_signing import signed_sms_form, signed_status_form

SENDER = "whatsapp:+14155238886"
DUTY = "whatsapp:+22790556677"
ALERT_FR = "HX" + "a" * 32
IDEA_EN = "HX" + "b" * 32
TEMPLATES = f"""templates:
  alert:
    fr: {{sid: {ALERT_FR}, variables: [text]}}
  idea:
    en: {{sid: {IDEA_EN}, variables: [text]}}
"""


def _app_settings(settings, tmp_path, templates: str | None):
    content = tmp_path / "content"
    shutil.copytree(settings.content_dir, content)
    if templates is not None:
        (content / FILE).write_text(templates, encoding="utf-8")
    return settings.model_copy(update={"twilio_whatsapp_number": SENDER, "content_dir": content})


@pytest.fixture
def app(settings, store, tmp_path, request):
    from webhooks.app import create_app

    templates = getattr(request, "param", TEMPLATES)
    with TestClient(create_app(_app_settings(settings, tmp_path, templates)),
                    client=("127.0.0.1", 50000)) as client:  # /metrics: local only
        yield client


def write(client, api, address: str, body: str) -> None:
    """``address`` writes on WhatsApp (Twilio opens its window)."""
    path = "/webhooks/twilio/whatsapp"
    form, headers = signed_sms_form(f"{PUBLIC_URL}{path}", api.auth_token, from_=address,
                                    to=SENDER, body=body)
    api.whatsapp_inbound(address)
    assert client.post(path, data=form, headers=headers).status_code == 200
    wait_outbox_drained(client.app.state.runtime.store)


def days_ago(store, api, address: str, days: float) -> None:
    """The person's last message was ``days`` ago, for us and for Twilio."""
    with store.session() as session:
        session.execute(update(Contact).values(last_seen_at=utcnow() - timedelta(days=days)))
    api.whatsapp_inbound(address, at=(utcnow() - timedelta(days=days)).timestamp())


def duty_alert(client, settings, store, language: str = "fr") -> None:
    with store.session() as session:
        add_recipient(session, vault(settings), name="Permanence", address=DUTY,
                      language=language, subscriptions=["alerts"])
        runtime = client.app.state.runtime
        alerts.fan_out(session, runtime.vault, runtime.content.current,
                       lambda t, lang: "Alerte Assamaka:\n12 personnes refoulées")
    client.app.state.sender.wake()
    wait_outbox_drained(store)


def section(page: str, start: str) -> str:
    begin = page.index(start)
    return page[begin:page.index("</table>", begin)]


def rows(store) -> list[OutboxMessage]:
    with store.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def rerouted(channel: str, code: str, to: str) -> float:
    return metrics.rerouted.labels(channel, code, to)._value.get()


# --- the fake keeps WhatsApp's rule ------------------------------------------------------------

def test_the_fake_refuses_free_form_outside_the_window_and_takes_a_template(twilio_api):
    client = twilio_api.client()
    late = client.messages.create(to=DUTY, from_=SENDER, body="hello")
    assert late.status == "queued"  # accepted, then failed, as Twilio does
    assert twilio_api.resource(late.sid)["error_code"] == 63016
    assert [m.sid for m in twilio_api.window_refused] == [late.sid]
    twilio_api.whatsapp_inbound(DUTY)
    inside = client.messages.create(to=DUTY, from_=SENDER, body="hello")
    assert twilio_api.resource(inside.sid)["status"] == "queued"
    other = "whatsapp:+22790000009"
    template = client.messages.create(to=other, from_=SENDER, content_sid=ALERT_FR,
                                      content_variables=json.dumps({"1": "x"}))
    assert twilio_api.resource(template.sid)["status"] == "queued"
    with pytest.raises(TwilioRestException) as bad:
        client.messages.create(to=other, from_=SENDER, content_sid="HX12",
                               content_variables="{}")
    assert bad.value.code == 21656
    twilio_api.window_failure = "response"
    with pytest.raises(TwilioRestException) as refused:
        client.messages.create(to=other, from_=SENDER, body="hello")
    assert refused.value.code == 63016


# --- the app keeps it ------------------------------------------------------------------------

def test_inside_the_window_an_alert_goes_free_form(app, settings, store, twilio_api):
    write(app, twilio_api, DUTY, "salut")
    duty_alert(app, settings, store)
    alert = twilio_api.sent(DUTY)[-1]
    assert alert.body.startswith("Alerte Assamaka") and not twilio_api.window_refused


def test_outside_the_window_an_alert_goes_as_its_template(app, settings, store, twilio_api):
    write(app, twilio_api, DUTY, "salut")
    days_ago(store, twilio_api, DUTY, 2)
    duty_alert(app, settings, store)
    alert = twilio_api.sent(DUTY)[-1]
    assert alert.params["ContentSid"] == ALERT_FR and not alert.body
    assert json.loads(alert.params["ContentVariables"]) == {
        "1": "Alerte Assamaka: · 12 personnes refoulées"}  # one line: WhatsApp's rule
    assert not twilio_api.window_refused and rows(store)[-1].status == "sent"


def test_a_language_without_its_template_takes_the_french_one(app, settings, store, twilio_api):
    before = rerouted("whatsapp", "no-template", "sms")
    write(app, twilio_api, DUTY, "salut")
    days_ago(store, twilio_api, DUTY, 3)
    duty_alert(app, settings, store, language="en")  # the alert's template exists in fr only
    alert = twilio_api.sent(DUTY)[-1]
    assert alert.params["ContentSid"] == ALERT_FR
    assert rerouted("whatsapp", "no-template", "sms") == before


@pytest.mark.parametrize("app", ["templates: {}\n"], indirect=True)
def test_with_no_template_at_all_the_alert_goes_by_sms_and_is_counted(app, settings, store,
                                                                      twilio_api):
    before = rerouted("whatsapp", "no-template", "sms")
    write(app, twilio_api, DUTY, "salut")
    days_ago(store, twilio_api, DUTY, 2)
    duty_alert(app, settings, store)
    number = DUTY.removeprefix("whatsapp:")
    [sms] = twilio_api.sent(number)
    assert sms.from_ == SERVICE_NUMBER and sms.body.startswith("Alerte Assamaka")
    refused, handed = rows(store)[-2:]
    assert (refused.channel, refused.status) == ("whatsapp", "rerouted")
    assert refused.last_error == "rerouted (no-template) to sms"
    assert (handed.channel, handed.status) == ("sms", "sent")
    assert rerouted("whatsapp", "no-template", "sms") == before + 1
    page = app.get("/metrics").text
    assert 'hanya_rerouted_total{channel="whatsapp",code="no-template",to="sms"}' in page
    dash = TestClient(app.app, base_url="https://testserver")  # the same app, signed in
    signed_in(dash, store, "ops-officer", "officer")
    channels = section(dash.get("/dashboard/operations").text, 'id="channels"')
    assert re.search(r"<td>whatsapp</td><td>confié à un autre canal</td><td class=\"n\">1</td>",
                     channels), channels


def test_a_63016_in_the_status_callback_sends_the_template_once(app, settings, store,
                                                              twilio_api):
    # We believe the window open (the person wrote 23 h ago), Twilio counts otherwise.
    write(app, twilio_api, DUTY, "salut")
    with store.session() as session:
        session.execute(update(Contact).values(last_seen_at=utcnow() - timedelta(hours=20)))
    twilio_api.whatsapp_inbound(DUTY, at=(utcnow() - timedelta(hours=25)).timestamp())
    duty_alert(app, settings, store)
    [refused] = twilio_api.window_refused
    path = "/webhooks/twilio/status"
    form, headers = signed_status_form(f"{PUBLIC_URL}{path}", twilio_api.auth_token,
                                       message_sid=refused.sid, status="failed",
                                       error_code=63016, to=DUTY, from_=SENDER)
    for _ in range(2):  # Twilio may call back twice: handed on once
        assert app.post(path, data=form, headers=headers).status_code == 204
        app.app.state.sender.wake()
        wait_outbox_drained(store)
    templates = [m for m in twilio_api.sent(DUTY) if m.params.get("ContentSid")]
    assert [m.params["ContentSid"] for m in templates] == [ALERT_FR]
    first = [row for row in rows(store) if row.provider_id == refused.sid][0]
    assert (first.status, first.delivery_status) == ("rerouted", "failed")
    assert first.last_error == "rerouted (63016) to whatsapp"


def test_a_63016_in_the_answer_is_followed_by_the_template_at_once(app, settings, store,
                                                                 twilio_api):
    twilio_api.window_failure = "response"
    write(app, twilio_api, DUTY, "salut")
    with store.session() as session:
        session.execute(update(Contact).values(last_seen_at=utcnow() - timedelta(hours=1)))
    twilio_api.whatsapp_inbound(DUTY, at=(utcnow() - timedelta(days=2)).timestamp())
    duty_alert(app, settings, store)
    alert = twilio_api.sent(DUTY)[-1]
    assert alert.params["ContentSid"] == ALERT_FR
    assert rows(store)[-1].status == "sent"


def test_a_busy_days_digest_reaches_a_whatsapp_recipient_in_messages_twilio_takes(
        app, settings, store, twilio_api):
    """Twenty urgent reports make a daily digest of some 2,300 characters: on WhatsApp (1600 at
    most a message, else Twilio's 21617) it goes in several messages, none lost."""
    from tests.test_digest_content import TZ, at, report

    with store.session() as session:
        add_recipient(session, vault(settings), name="Permanence", address=DUTY,
                      language="fr", subscriptions=["daily"])
        committees = [Committee(slug=point, name=f"Comité {point}", point_id=point,
                                region="NE001", created_at=at(30))
                      for point in ("arlit", "assamaka", "agadez", "dirkou", "zinder")]
        session.add_all(committees)
        session.flush()
        for number in range(20):
            report(session, number + 1, committees[number % 5], "stranded", 1,
                   (30 + number, 5, 3), urgent=True, reporter=f"rep-{number}")
    write(app, twilio_api, DUTY, "salut")  # inside the window: free-form
    runtime = app.app.state.runtime
    renderer = DigestRenderer(runtime.content.current, settings.digest_small_cell,
                              settings.chart_dir, settings.sms_max_segments)
    assert send_digest(store, runtime.vault, runtime.content.current, "daily",
                       datetime.now(TZ).date(), TZ, renderer) == 1
    app.app.state.sender.wake()
    wait_outbox_drained(store)
    digest = [row for row in rows(store) if row.priority == PRIORITY_DIGEST]
    assert len(digest) >= 2 and {row.status for row in digest} == {"sent"}
    texts = [m.body for m in twilio_api.sent(DUTY)[1:]]
    assert all(len(text) <= 1600 for text in texts)
    assert all(f"R-2026-{n:05d}" in "\n".join(texts) for n in range(1, 21))


DIGEST_FR = "HX" + "c" * 32


@pytest.mark.parametrize("app", [TEMPLATES + f"""  digest:
    fr: {{sid: {DIGEST_FR}, variables: [text]}}
"""], indirect=True)
def test_a_busy_days_digest_outside_the_window_goes_whole_in_templates(app, settings, store,
                                                                      twilio_api):
    """The same busy day's digest days after the recipient last wrote: each part goes as the
    editors' digest template, whose one variable holds 1024 characters; none is cut."""
    from tests.test_digest_content import TZ, at, report

    with store.session() as session:
        add_recipient(session, vault(settings), name="Permanence", address=DUTY,
                      language="fr", subscriptions=["daily"])
        committees = [Committee(slug=point, name=f"Comité {point}", point_id=point,
                                region="NE001", created_at=at(30))
                      for point in ("arlit", "assamaka", "agadez", "dirkou", "zinder")]
        session.add_all(committees)
        session.flush()
        for number in range(20):
            report(session, number + 1, committees[number % 5], "stranded", 1,
                   (30 + number, 5, 3), urgent=True, reporter=f"rep-{number}")
    write(app, twilio_api, DUTY, "salut")
    days_ago(store, twilio_api, DUTY, 3)
    runtime = app.app.state.runtime
    renderer = DigestRenderer(runtime.content.current, settings.digest_small_cell,
                              settings.chart_dir, settings.sms_max_segments)
    assert send_digest(store, runtime.vault, runtime.content.current, "daily",
                       datetime.now(TZ).date(), TZ, renderer) == 1
    app.app.state.sender.wake()
    wait_outbox_drained(store)
    sent = [m for m in twilio_api.sent(DUTY)[1:]]
    assert len(sent) >= 3 and {m.params["ContentSid"] for m in sent} == {DIGEST_FR}
    texts = [json.loads(m.params["ContentVariables"])["1"] for m in sent]
    assert all(len(text) <= 1024 and not text.endswith("…") for text in texts)
    assert all(f"R-2026-{n:05d}" in " ".join(texts) for n in range(1, 21))


def test_the_content_check_refuses_a_wrong_templates_file(tmp_path):
    path = tmp_path / FILE
    path.write_text("templates:\n  alerts:\n    fr: {sid: HX1, variables: [name]}\n"
                    "  digest:\n    xx: {sid: HX1}\n")
    found = problems(path, {"fr", "en"})
    assert any("unknown message kind 'alerts'" in p for p in found)
    assert any("'xx' is not a language" in p for p in found)
    assert any("ContentSid" in p for p in found)
    path.write_text(TEMPLATES)
    assert problems(path, {"fr", "en"}) == []
    assert problems(tmp_path / "absent.yaml", {"fr"}) == []

"""Twilio's newer webhook signature: a SharedKey, the algorithm named in
X-Twilio-Webhooks-Signature-Settings (HMAC-SHA256), checked as twilio's RequestValidator does,
on SMS and WhatsApp alike."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from bot.core.errors import Rejected
from tests.conftest import PUBLIC_URL, SERVICE_NUMBER, wait_outbox_drained
from tests.fakes.twilio_signing import signed_sms_form
from webhooks.twilio_sms import verify_signature

KEY = "sharedkey-secret-for-tests-0123456789"
SETTINGS_HEADER = "key=webhooks_sharedkey_0123,algorithm=HMAC_SHA256"
URL = "https://hanya.example.org/webhooks/twilio/sms"
FORM = {"MessageSid": "SM" + "2" * 32, "From": "+22790000001", "Body": "Bonjour àé &=?"}


def sha256_signature(url: str, form: dict[str, str], key: str = KEY) -> str:
    return str(RequestValidator(key).compute_signature(url, form, "HMAC_SHA256"))


@pytest.mark.parametrize(("url", "signature"), [
    (URL, sha256_signature(URL, FORM)),
    (URL.replace(".org/", ".org:443/"), sha256_signature(URL, FORM)),
    (URL, sha256_signature(URL, FORM, "another-key")),
    (URL, str(RequestValidator(KEY).compute_signature(URL, FORM))),  # SHA-1 passed off as 256
])
def test_the_same_answer_as_twilios_validator(url, signature):
    expected = RequestValidator(KEY).validate(url, dict(FORM), signature, "HMAC_SHA256")
    try:
        verify_signature(KEY, url, FORM, signature, algorithm="HMAC_SHA256")
        ours = True
    except Rejected:
        ours = False
    assert ours is expected


@pytest.fixture
def shared_key_client(settings, store):
    from webhooks.app import create_app

    keyed = settings.model_copy(update={"twilio_webhook_shared_key": SecretStr(KEY),
                                        "twilio_whatsapp_number": "whatsapp:+14155238886"})
    with TestClient(create_app(keyed)) as client:
        yield client


def _post(client, path: str, sender: str, key: str = KEY, header: str = SETTINGS_HEADER):
    form, _ = signed_sms_form(f"{PUBLIC_URL}{path}", "unused", from_=sender,
                              to=SERVICE_NUMBER, body="INFO")
    headers = {"X-Twilio-Signature": sha256_signature(f"{PUBLIC_URL}{path}", form, key),
               "X-Twilio-Webhooks-Signature-Settings": header}
    return client.post(path, data=form, headers=headers)


@pytest.mark.parametrize(("path", "sender", "to"), [
    ("/webhooks/twilio/sms", "+22790000001", "+22790000001"),
    ("/webhooks/twilio/whatsapp", "whatsapp:+22790000002", "whatsapp:+22790000002"),
])
def test_sms_and_whatsapp_signed_with_a_shared_key_are_answered(shared_key_client, store,
                                                                twilio_api, path, sender, to):
    assert _post(shared_key_client, path, sender).status_code == 200
    wait_outbox_drained(store)
    assert len(twilio_api.sent(to)) == 1


def test_a_wrong_key_or_an_unknown_algorithm_is_refused(shared_key_client):
    path = "/webhooks/twilio/sms"
    assert _post(shared_key_client, path, "+22790000003", key="wrong").status_code == 403
    assert _post(shared_key_client, path, "+22790000003",
                 header="key=k,algorithm=HMAC_MD5").status_code == 403


def test_a_shared_key_signature_without_a_key_set_is_refused(client):
    response = _post(client, "/webhooks/twilio/sms", "+22790000004")
    assert (response.status_code, response.json()) == (
        403, {"detail": "signed with a Twilio SharedKey, and none is set"})

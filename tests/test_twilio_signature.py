"""Our signature check gives twilio's own ``RequestValidator.validate`` answer, every time.

verify_signature computes the URL-without-port candidate first and the with-port one only if
needed; validate() always computes both. The oracle is validate() itself.
"""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from bot.core.errors import Rejected
from tests.fakes.twilio_signing import sign
from webhooks.twilio_sms import verify_signature

TOKEN = "12345678901234567890123456789012"
FORM = {"MessageSid": "SM" + "1" * 32, "From": "+22790000001", "To": "+22780000000",
        "Body": "Bonjour + àé &=?", "NumMedia": "0", "Empty": ""}
URL = "https://hanya.example.org/webhooks/twilio/sms"
URL_PORT = "https://hanya.example.org:443/webhooks/twilio/sms"
HTTP_URL = "http://hanya.example.org/webhooks/twilio/sms?channel=a%20b"


def accepted(url: str, form: dict[str, str], signature: str, token: str = TOKEN) -> bool:
    try:
        verify_signature(token, url, form, signature)
    except Rejected:
        return False
    return True


CASES = [
    ("signed without the port", URL, FORM, sign(URL, FORM, TOKEN)),
    ("signed with the port", URL, FORM, sign(URL_PORT, FORM, TOKEN)),
    ("called with the port, signed without", URL_PORT, FORM, sign(URL, FORM, TOKEN)),
    ("http and a query string", HTTP_URL, FORM, sign(HTTP_URL, FORM, TOKEN)),
    ("another token", URL, FORM, sign(URL, FORM, "x" * 32)),
    ("a field changed after signing", URL, {**FORM, "Body": "DELETE"}, sign(URL, FORM, TOKEN)),
    ("a field added after signing", URL, {**FORM, "X": "1"}, sign(URL, FORM, TOKEN)),
    ("another path", URL.replace("sms", "status"), FORM, sign(URL, FORM, TOKEN)),
    ("garbage", URL, FORM, "not-a-signature"),
    ("not ASCII", URL, FORM, "sïgnature=="),
]


@pytest.mark.parametrize(("url", "form", "signature"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_the_same_answer_as_twilios_validator(url, form, signature):
    expected = RequestValidator(TOKEN).validate(url, dict(form), signature)
    assert accepted(url, form, signature) is expected


def test_the_cases_cover_both_answers():
    answers = {RequestValidator(TOKEN).validate(u, dict(f), s) for _, u, f, s in CASES}
    assert answers == {True, False}


def test_no_token_or_no_signature_is_refused():
    with pytest.raises(Rejected):
        verify_signature(None, URL, FORM, sign(URL, FORM, TOKEN))
    with pytest.raises(Rejected):
        verify_signature(TOKEN, URL, FORM, None)
    with pytest.raises(Rejected):
        verify_signature(TOKEN, URL, FORM, "")


def folded(form: dict[str, str]) -> dict[str, str]:
    """``form`` with every field that sorts after MessageSid folded into its value: Twilio's
    signature joins sorted names and values with no separator, so the signature still holds."""
    after = [name for name in sorted(form) if name > "MessageSid"]
    refolded = {name: value for name, value in form.items() if name not in after}
    refolded["MessageSid"] += "".join(name + form[name] for name in after)
    return refolded


def test_a_signed_sms_folded_into_its_message_sid_verifies_but_is_refused():
    from tests.fakes.twilio_signing import signed_sms_form
    from webhooks.twilio_sms import parse_sms

    form, headers = signed_sms_form(URL, TOKEN, from_="+22790000001", to="+22780000000",
                                    body="SOS")
    forged = folded(form)
    signature = headers["X-Twilio-Signature"]
    assert forged["MessageSid"] != form["MessageSid"] and "To" not in forged
    assert RequestValidator(TOKEN).validate(URL, forged, signature)  # twilio's own verdict
    assert accepted(URL, forged, signature)  # so no signature check can refuse it...
    assert parse_sms(form).external_id == form["MessageSid"]
    with pytest.raises(Rejected) as refused:  # ...but its MessageSid is not Twilio's
        parse_sms(forged)
    assert refused.value.status_code == 400

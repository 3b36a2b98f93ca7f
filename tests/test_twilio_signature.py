"""Our signature check gives twilio's own ``RequestValidator.validate`` answer, every time.

verify_signature computes the URL-without-port candidate first and the with-port one only if
needed; validate() always computes both. The oracle is validate() itself.
"""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from bot.errors import Rejected
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

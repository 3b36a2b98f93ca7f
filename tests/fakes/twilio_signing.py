"""Build Twilio webhook requests (incoming SMS, message status callbacks) signed like Twilio.

The signature is computed by the twilio library itself,
``RequestValidator(auth_token).compute_signature(url, params)``: HMAC-SHA1 over the full URL
Twilio requested (scheme, host, path *and* query string) followed by every POST parameter
``name + value`` sorted by name, base64-encoded, in the ``X-Twilio-Signature`` header.
``RequestValidator.validate`` accepts the URL with or without the default port, nothing else:
the app must rebuild exactly the public URL Twilio was configured with (mind reverse proxies
and ``http`` vs ``https``). With FastAPI's TestClient that is ``"http://testserver/<path>"``.

Usage::

    form, headers = signed_sms_form("http://testserver/twilio/sms", TOKEN,
                                    from_="+22790000001", to="+15005550006", body="MENU")
    client.post("/twilio/sms", data=form, headers=headers)

The field order and values follow real Twilio posts (see tests/fixtures/twilio/README.md).
"""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import urlencode

import phonenumbers
from twilio.request_validator import RequestValidator

from tests.fakes.twilio_api import API_VERSION, TEST_ACCOUNT_SID, segments

__all__ = [
    "form_body",
    "sign",
    "signed_sms_form",
    "signed_status_form",
]


def _country(number: str) -> str:
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return ""
    return "" if region in (None, "ZZ") else str(region)


def sign(url: str, params: dict[str, Any], auth_token: str) -> str:
    """``X-Twilio-Signature`` for a POST of ``params`` to ``url``."""
    return str(RequestValidator(auth_token).compute_signature(url, params))


def form_body(params: dict[str, Any]) -> str:
    """``application/x-www-form-urlencoded`` body in the given order (as Twilio sends it)."""
    return urlencode(params, doseq=True)


def signed_sms_form(
    url: str,
    auth_token: str,
    *,
    from_: str,
    to: str,
    body: str,
    message_sid: str | None = None,
    account_sid: str = TEST_ACCOUNT_SID,
    messaging_service_sid: str | None = None,
    media_urls: list[str] | None = None,
    **extra: str,
) -> tuple[dict[str, str], dict[str, str]]:
    """Form params of an incoming SMS as Twilio posts them, and the signed headers.

    ``extra`` adds or overrides Twilio field names (``ToState="CA"``, ``FromCity=...``).
    ``media_urls`` makes it an MMS (``NumMedia``, ``MediaUrl0``, ``MediaContentType0``, ...).
    """
    sid = message_sid or ("MM" if media_urls else "SM") + secrets.token_hex(16)
    media_urls = media_urls or []
    params: dict[str, str] = {
        "ToCountry": _country(to),
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": str(len(media_urls)),
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": _country(from_),
        "To": to,
    }
    if messaging_service_sid:
        params["MessagingServiceSid"] = messaging_service_sid
    params.update(
        {
            "ToZip": "",
            "NumSegments": str(segments(body)),
            "MessageSid": sid,
            "AccountSid": account_sid,
            "From": from_,
            "ApiVersion": API_VERSION,
        }
    )
    for i, media in enumerate(media_urls):
        params[f"MediaContentType{i}"] = "image/jpeg"
        params[f"MediaUrl{i}"] = media
    params.update(extra)
    return params, {"X-Twilio-Signature": sign(url, params, auth_token)}


def signed_status_form(
    url: str,
    auth_token: str,
    *,
    message_sid: str,
    status: str,
    error_code: int | str | None = None,
    to: str = "+22790000001",
    from_: str | None = "+15005550006",
    account_sid: str = TEST_ACCOUNT_SID,
    messaging_service_sid: str | None = None,
    **extra: str,
) -> tuple[dict[str, str], dict[str, str]]:
    """Form params of an outbound-message status callback and the signed headers.

    ``status``: queued, sending, sent, delivered, undelivered, failed (also accepted, read).
    ``error_code`` (e.g. 30003 unreachable, 30005 unknown handset, 30007 filtered) is posted
    as ``ErrorCode`` first, as Twilio does for failed/undelivered messages.
    """
    params: dict[str, str] = {}
    if error_code is not None:
        params["ErrorCode"] = str(error_code)
    params.update(
        {
            "SmsSid": message_sid,
            "SmsStatus": status,
            "MessageStatus": status,
            "To": to,
        }
    )
    if messaging_service_sid:
        params["MessagingServiceSid"] = messaging_service_sid
    params["MessageSid"] = message_sid
    params["AccountSid"] = account_sid
    if from_ is not None:
        params["From"] = from_
    params["ApiVersion"] = API_VERSION
    if status in ("delivered", "undelivered"):
        params["RawDlrDoneDate"] = time.strftime("%y%m%d%H%M", time.gmtime())
    params.update(extra)
    return params, {"X-Twilio-Signature": sign(url, params, auth_token)}

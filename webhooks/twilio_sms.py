"""SMS through Twilio: verify the signature with twilio's RequestValidator, parse the form,
send with twilio's Client. Any other SMS provider (a local aggregator, an Android gateway) is
another module with the same three jobs; nothing in handlers/ changes.

A sample inbound form (tests/fixtures/twilio/inbound_sms.txt):
    MessageSid=SM...&AccountSid=AC...&From=%2B22790000000&To=%2B22780000000&Body=INFO&NumSegments=1
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import (
    HMAC_SHA1,
    HMAC_SHA256,
    RequestValidator,
    add_port,
    get_signature_algorithm,
    remove_port,
)
from twilio.rest import Client

from bot.core import channel_registry
from bot.core.errors import (
    ContactStopped,
    OutOfReach,
    PermanentSendError,
    Rejected,
    TemporarySendError,
    Throttled,
)
from bot.core.messages import MsgIn, Outgoing
from bot.core.outbox import Limits, Rule
from webhooks import channels

log = logging.getLogger(__name__)
CHANNEL = channels.SMS
SIGNATURE_HEADER = "X-Twilio-Signature"
# An inbound message's id: SM (SMS) or MM (MMS) and 32 lower-case hexadecimal digits.
MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-f]{32}")
# Twilio error codes: https://www.twilio.com/docs/api/errors
RATE_LIMITED = {20429, 14107}
_BACKOFF_FIRST, _BACKOFF_MAX = 0.1, 8.0  # seconds, after a 429
RECIPIENT_STOPPED = {21610}
# Not a valid or not a mobile number: retrying can never work, so the contact is marked too.
ADDRESS_INVALID = {21211, 21614}
# WhatsApp: a free-form message outside the 24-hour window (in the answer or, as Twilio
# usually tells it, in the status callback).
OUTSIDE_WINDOW = {63016}
PERMANENT = {21211, 21612, 21614, 21408, 21606, 30003, 30005, 30006}


SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"


def verify_request(settings: Any, url: str, form: Mapping[str, str],
                   headers: Mapping[str, str]) -> None:
    """Twilio's signature: HMAC-SHA1 under the auth token, or, when the request names its
    algorithm in X-Twilio-Webhooks-Signature-Settings (a SharedKey), that algorithm under
    ``HANYA_TWILIO_WEBHOOK_SHARED_KEY``, as twilio's RequestValidator takes them."""
    named = headers.get(SETTINGS_HEADER)
    if named:
        key = settings.twilio_webhook_shared_key
        if key is None:
            raise Rejected("signed with a Twilio SharedKey, and none is set")
        verify_signature(key.get_secret_value(), url, form, headers.get(SIGNATURE_HEADER),
                         algorithm=get_signature_algorithm(named))
        return
    token = settings.twilio_auth_token
    verify_signature(token.get_secret_value() if token else None, url, form,
                     headers.get(SIGNATURE_HEADER))


def verify_signature(auth_token: str | None, url: str, form: Mapping[str, str],
                     signature: str | None, algorithm: str = HMAC_SHA1) -> None:
    """Reject unless ``signature`` is Twilio's HMAC of ``url`` and ``form`` under our token."""
    if not auth_token:
        raise Rejected("SMS webhook is not configured (no Twilio auth token)")
    if algorithm.upper() not in (HMAC_SHA1, HMAC_SHA256):
        raise Rejected("unsupported Twilio signature algorithm")
    if not signature or not _signed(_validator(auth_token), url, form, signature,
                                    algorithm.upper()):
        raise Rejected("bad Twilio signature")


@functools.lru_cache(maxsize=4)
def _validator(auth_token: str) -> RequestValidator:
    return RequestValidator(auth_token)


def _signed(validator: RequestValidator, url: str, form: Mapping[str, str],
            signature: str, algorithm: str = HMAC_SHA1) -> bool:
    """``validator.validate()`` for a form, computing the second candidate only when the first
    fails: Twilio signs the URL without its port or, inconsistently, with it, and validate()
    always computes both (two-thirds of an SMS webhook's CPU went there)."""
    given = signature.encode("utf-8", "replace")
    parsed = urlparse(url)
    return any(hmac.compare_digest(
        validator.compute_signature(candidate, form, algorithm).encode(), given)
               for candidate in (remove_port(parsed), add_port(parsed)))


def parse_sms(form: Mapping[str, str]) -> MsgIn:
    """The neutral message of an inbound SMS or MMS form, or of a WhatsApp message (``From``
    reads ``whatsapp:+227...``): one parser for both, as courier's Twilio handler, so that the
    spool replays either.

    Its MessageSid must be Twilio's (SM or MM and 32 hexadecimal digits), else the form is
    rejected (400, as courier rejects a form that fails validation): the signature joins
    names and values without separators, so the fields after MessageSid could be folded into
    its value and still verify, making a new message of a replay; and a longer id failed a
    whole group commit on the store's key. A 4xx shows the mistake in the provider's
    debugger; a 200 would hide it, and there is nothing to process.
    """
    sid, sender = form.get("MessageSid") or form.get("SmsSid"), form.get("From")
    if not sid or not sender:
        raise Rejected("missing MessageSid or From", status_code=400)
    if not MESSAGE_SID.fullmatch(sid):
        raise Rejected("malformed MessageSid", status_code=400)
    if sender.startswith(WHATSAPP_PREFIX):
        return _whatsapp(form, sid, sender)
    return MsgIn(CHANNEL, f"tel:{sender}", sid, text=form.get("Body", ""))


WHATSAPP, WHATSAPP_PREFIX = channels.WHATSAPP, "whatsapp:"
# A committee member's photo or voice note, kept as Twilio's media URL (as Telegram's file id).
_MEDIA_KINDS = {"image": "photo", "audio": "voice"}


def _whatsapp(form: Mapping[str, str], sid: str, sender: str) -> MsgIn:
    kind = _MEDIA_KINDS.get(form.get("MediaContentType0", "").split("/", 1)[0])
    if kind and form.get("MediaUrl0"):
        return MsgIn(WHATSAPP, sender, sid, kind="media", media=(kind, form["MediaUrl0"]),
                     text=form.get("Body", ""))
    # A tap on a list picker's item (ListId) or a quick reply (ButtonPayload): its id, the
    # option's number in our menu templates (bot/core/provider_templates.py), is read as the
    # number typed; Body holds the label the person saw, in their language.
    tapped = (form.get("ListId") or form.get("ButtonPayload") or "").strip()
    return MsgIn(WHATSAPP, sender, sid, text=tapped or form.get("Body", ""))


EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class TwilioSender:
    """Sends outbox messages through Twilio's Messages API (``api_url`` for tests)."""

    def __init__(self, account_sid: str, auth_token: str, number: str, api_url: str,
                 status_callback: str | None = None) -> None:
        self.client = Client(account_sid, auth_token)
        # Every REST call of the Api domain is built from this base (twilio/base/domain.py).
        self.client.api.base_url = api_url
        # Edge/region (also read from TWILIO_EDGE/TWILIO_REGION) rewrite the host by its dots.
        self.client.edge = self.client.region = None
        self.number, self.status_callback = number, status_callback
        self._throttled_in_a_row = 0  # 429s since the last accepted send

    async def send(self, address: str, message: Outgoing) -> str | None:
        to = address.removeprefix("tel:")
        # twilio's Client is synchronous; keep the event loop free.
        return await asyncio.to_thread(self._send, to, message.text)

    def _send(self, to: str, body: str, **content: Any) -> str | None:
        """One message: ``body``, or a template (``content_sid``, ``content_variables``), or
        media (``media_url``)."""
        kwargs = {"to": to, "from_": self.number, **(content or {"body": body})}
        if self.status_callback:
            kwargs["status_callback"] = self.status_callback
        try:
            created = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            code = int(exc.code or 0)
            if code in OUTSIDE_WINDOW:
                raise OutOfReach("outside WhatsApp's 24-hour window", code=code) from exc
            if code in RATE_LIMITED or exc.status == 429:
                raise Throttled("twilio rate limit", retry_after=self._backoff(),
                                code=code) from exc
            if code in RECIPIENT_STOPPED or code in ADDRESS_INVALID:
                raise ContactStopped("recipient unsubscribed", code=code) from exc
            if code in PERMANENT or 400 <= exc.status < 500:
                raise PermanentSendError(f"twilio error {code}", code=code) from exc
            raise TemporarySendError(f"twilio error {code or exc.status}", code=code) from exc
        except OSError as exc:  # network errors from requests are OSError subclasses
            if "timeout" in type(exc).__name__.lower():  # it may have been accepted
                log.warning("twilio send timed out: it may have been accepted; retrying may "
                            "send one extra copy")
            raise TemporarySendError(f"twilio network: {type(exc).__name__}") from exc
        self._throttled_in_a_row = 0
        return created.sid

    def _backoff(self) -> float:
        """Twilio's 429 (20429, too many concurrent requests) carries no Retry-After; its
        documentation asks for a short wait and exponential backoff: 0.1 s, doubled on each
        429 in a row, at most 8 s. A flat second held the whole SMS channel (its only key in
        the pacer) ten times longer than the bench's fake needed to free its window."""
        self._throttled_in_a_row += 1
        return min(_BACKOFF_MAX, _BACKOFF_FIRST * 2 ** (self._throttled_in_a_row - 1))


# --- the channel, as the core sees it (bot/core/channel_registry.py) ----------------------------

def rate_rules(limits: Limits, address: str) -> list[Rule]:
    """Twilio limits each sending number; a deployment has one."""
    return [Rule(CHANNEL, limits.gap(limits.sms_per_number))]


def sender_from(settings: Any) -> TwilioSender | None:
    if not (settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_number):
        return None
    return TwilioSender(settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value(),
                        settings.twilio_number, settings.twilio_api_url,
                        status_callback=f"{settings.public_url}/webhooks/twilio/status")


# Imported by the registry when the core first needs it (webhooks/channels.py names it).
ADAPTER = channel_registry.Adapter(
    rules=rate_rules, overall_rate=lambda limits: limits.sms_per_number, sender=sender_from)

"""SMS through Android phones with a local SIM, running SMS Gateway for Android
(capcom6/android-sms-gateway, Apache-2.0): the app posts what its phone receives to
``POST /webhooks/android-sms`` and sends what we ask through its API, at local prices.

A webhook as the app posts it (tests/fixtures/android_sms/sms_received.json; the app's
documentation, docs/features/webhooks.md):
    {"deviceId": "ffffffffceb0b1db0000018e937c815b", "event": "sms:received",
     "id": "Ey6ECgOkVVFjz3CL48B8C", "webhookId": "...",
     "payload": {"messageId": "abc123", "message": "INFO", "phoneNumber": "+22790000000",
                 "simNumber": 1, "receivedAt": "2024-06-22T15:46:11.000+07:00"}}
signed with the headers ``X-Timestamp`` (Unix seconds) and ``X-Signature``: lowercase hex
HMAC-SHA256, keyed with the signing key set in the app, of the raw body followed by the
timestamp. Events: ``sms:received`` (a message to answer), ``sms:sent``, ``sms:delivered``,
``sms:failed`` (what became of one we sent, as Twilio's status callback), ``system:ping``.

Answers, as courier's: rejected (403 forged or stale, 400 malformed: the app retries, a
forger learns nothing) or ignored (200 with a reason: an event we do not use, a sender that
is not a phone number, which the app must not send again). A store outage answers 503: the
app retries after 10 s, 20 s, 40 s ... for about two days.

Sending goes through the project's client (``android-sms-gateway`` on PyPI,
``AsyncAPIClient`` on aiohttp, the sender's HTTP library), phone by phone: the person's
operator's phone first, the others when it is offline or refuses.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import phonenumbers
from android_sms_gateway import AsyncAPIClient, Message, TextMessage
from android_sms_gateway.ahttp import AiohttpAsyncHttpClient
from android_sms_gateway.errors import APIError
from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import select, update

from bot.core import channel_registry
from bot.core.errors import (
    Ignored,
    InboundError,
    PermanentSendError,
    Rejected,
    StoreUnavailable,
    TemporarySendError,
)
from bot.core.messages import MsgIn, Outgoing
from bot.core.models import OutboxMessage, utcnow
from bot.core.outbox import Limits, Rule
from bot.core.settings import AndroidPhone
from webhooks import channels
from webhooks.android_sms_liveness import LIVENESS, Liveness
from webhooks.android_sms_watch import watch
from webhooks.inbound import _OK, _dead_letter, _inbound_error, _json_body

log = logging.getLogger(__name__)
CHANNEL = channels.ANDROID_SMS
PATH = "/webhooks/android-sms"
SIGNATURE_HEADER, TIMESTAMP_HEADER = "X-Signature", "X-Timestamp"
MAX_SKEW = 300  # seconds: the app's documentation advises refusing a timestamp further off
HOME_REGION = "NE"  # a number the phone shows without its country code is a Niger number
STATUSES = {"sms:sent": "sent", "sms:delivered": "delivered", "sms:failed": "failed"}


# --- inbound: verify, then parse -----------------------------------------------------------

def verify(phones: Sequence[AndroidPhone], body: bytes, timestamp: str | None,
           signature: str | None, now: float | None = None) -> AndroidPhone:
    """The phone whose signing key signed ``body`` at ``timestamp``; Rejected otherwise."""
    keyed = [phone for phone in phones if phone.signing_key]
    if not keyed:
        raise Rejected("Android SMS webhook is not configured (no signing key)")
    if not timestamp or not signature or not timestamp.isdigit():
        raise Rejected("missing or malformed X-Timestamp / X-Signature")
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_SKEW:
        raise Rejected("timestamp more than 5 minutes off")  # a replay, or a phone's bad clock
    given = signature.strip().lower().encode("ascii", "replace")
    signed = body + timestamp.encode()
    for phone in keyed:
        expected = hmac.new(phone.signing_key.encode(), signed, hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected.encode(), given):
            return phone
    raise Rejected("bad Android SMS signature")


@dataclass(frozen=True)
class StatusUpdate:
    """What became of a message we sent: ``sent``, ``delivered`` or ``failed``."""

    message_id: str
    status: str
    reason: str | None = None


def parse_event(data: Any) -> MsgIn | StatusUpdate:
    """A received SMS as a ``MsgIn``, or a delivery status; Ignored/Rejected otherwise."""
    if not isinstance(data, dict) or not isinstance(data.get("payload"), dict):
        raise Rejected("not a gateway event", status_code=400)
    event, payload = data.get("event"), data["payload"]
    message_id = payload.get("messageId")
    if event == "system:ping":
        raise Ignored("ping")
    if event not in STATUSES and event != "sms:received":
        raise Ignored(f"event {str(event)[:32]} not used")
    if not isinstance(message_id, str) or not message_id:
        raise Rejected("missing payload.messageId", status_code=400)
    if event in STATUSES:
        reason = payload.get("reason")
        return StatusUpdate(message_id, STATUSES[event], str(reason)[:120] if reason else None)
    return _received(payload, message_id)


def _received(payload: dict[str, Any], message_id: str) -> MsgIn:
    text, number = payload.get("message"), payload.get("phoneNumber")
    if not isinstance(text, str) or not isinstance(number, str):
        raise Rejected("missing payload.message or payload.phoneNumber", status_code=400)
    address = phone_address(number)
    if address is None:  # an operator's notice ("Airtel", "123"): nobody to answer
        raise Ignored("sender is not a phone number")
    # The app derives messageId from the message (its documentation: not guaranteed unique);
    # with the time it was received it names one SMS, the same on every redelivery.
    received = str(payload.get("receivedAt") or "")[:40]
    return MsgIn(CHANNEL, address, f"{message_id}@{received}"[:64], text=text)


def phone_address(number: str) -> str | None:
    """``tel:+E.164`` for the number as the phone shows it (with or without +227)."""
    try:
        parsed = phonenumbers.parse(number, HOME_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return "tel:" + phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# --- outbound: the sender, phone by phone ---------------------------------------------------

class AndroidSmsSender:
    """Sends through the gateway phones: the person's operator's phone first, then the
    others; a phone that is offline or refuses rests ``rest`` seconds before it is tried
    again (while another serves), and when none answers the outbox retries later."""

    def __init__(self, phones: Sequence[AndroidPhone], *, rest: float = 60.0,
                 timeout: float = 15.0, liveness: Liveness = LIVENESS) -> None:
        self.phones, self.rest, self.liveness = list(phones), rest, liveness
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._resting_until: dict[str, float] = {}
        self._session: aiohttp.ClientSession | None = None
        self._clients: dict[str, AsyncAPIClient] = {}

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
            http = AiohttpAsyncHttpClient(self._session)
            self._clients = {phone.name: AsyncAPIClient(
                phone.username or None, phone.password, base_url=phone.url, http_client=http)
                for phone in self.phones}

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def order(self, address: str) -> list[AndroidPhone]:
        """The person's operator's phones, then phones for any number, then the others;
        resting phones last (tried only when every other one failed)."""
        number = address.removeprefix("tel:")

        def rank(phone: AndroidPhone) -> tuple[bool, int]:
            fit = 0 if any(number.startswith(p) for p in phone.prefixes) else (
                1 if not phone.prefixes else 2)
            return self._resting(phone), fit

        return sorted(self.phones, key=rank)

    async def send(self, address: str, message: Outgoing) -> str | None:
        await self.start()
        to = address.removeprefix("tel:")
        for phone in self.order(address):
            try:
                state = await self._clients[phone.name].send(
                    Message(phone_numbers=[to], text_message=TextMessage(message.text),
                            with_delivery_report=True))
            except APIError as exc:
                status = exc.status_code or 0
                if status == 400:  # the app found the number or the text wrong: no phone can
                    raise PermanentSendError("android-sms: refused (400)", code=400) from exc
                self._down(phone, f"HTTP {status}")
            except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
                self._down(phone, type(exc).__name__)
            else:
                self._resting_until.pop(phone.name, None)
                await _alive(self.liveness, phone.name)
                return state.id
        raise TemporarySendError("android-sms: no gateway phone answered")

    def rest_phone(self, name: str) -> None:
        """Try phone ``name`` last for ``rest`` seconds (it reported an SMS it could not
        send: the webhook says so to this process's sender)."""
        self._resting_until[name] = time.monotonic() + self.rest

    def _resting(self, phone: AndroidPhone) -> bool:
        return self._resting_until.get(phone.name, 0.0) > time.monotonic()

    def _down(self, phone: AndroidPhone, what: str) -> None:
        log.warning("gateway phone %s failed (%s): trying another", phone.name, what)
        self._resting_until[phone.name] = time.monotonic() + self.rest
        self.liveness.failure(phone.name, what)


async def _alive(liveness: Liveness, name: str) -> None:
    """A sign of life: in memory at once, in the store (now and then) off the event loop."""
    if liveness.due(name):
        await asyncio.to_thread(liveness.alive, name)
    else:
        liveness.alive(name)


# --- the webhook -----------------------------------------------------------------------------

def install(app: Any, settings: Any) -> None:
    """Declare ``POST /webhooks/android-sms`` and put it on the app's direct webhook path."""
    phones = settings.android_sms_phone_list()
    tries = settings.outbox_max_attempts

    async def android_sms_webhook(request: Request) -> Response:
        body = await request.body()
        try:
            phone = verify(phones, body, request.headers.get(TIMESTAMP_HEADER),
                           request.headers.get(SIGNATURE_HEADER))
            await _alive(LIVENESS, phone.name)
            event = parse_event(_json_body(body))
        except InboundError as exc:
            return _inbound_error(exc)
        runtime = request.app.state.runtime
        try:
            if isinstance(event, StatusUpdate):
                if event.status == "failed":  # alive, yet not sending: /readyz, the ops page
                    await run_in_threadpool(LIVENESS.failure, phone.name, failure_of(event))
                    _rest(request.app.state.sender, phone.name)  # its SMS go elsewhere first
                again = await run_in_threadpool(record_status, runtime.store, event, tries,
                                                settings.outbox_backoff_base)
                if again:
                    request.app.state.sender.wake()
                return Response(status_code=204)
            await request.app.state.intake.accept(event)
        except StoreUnavailable:  # the app retries: 10 s, 20 s, 40 s ... for two days
            return JSONResponse({"detail": "store unavailable"}, status_code=503,
                                headers={"Retry-After": "10"})
        except Exception as exc:  # noqa: BLE001 - kept aside rather than answered with a 500
            if isinstance(event, StatusUpdate):  # a report on a message: no one waits for it
                log.exception("android-sms status not recorded")
                return Response(status_code=204)
            return await _dead_letter(runtime, event, exc)
        return Response(_OK, media_type="application/json")

    app.post(PATH, openapi_extra=EVENT_BODY)(android_sms_webhook)
    app.direct.endpoints[PATH] = android_sms_webhook


def _rest(outbox: Any, name: str) -> None:
    """Tell this process's sender (``hanya serve`` runs it beside the webhook) to try phone
    ``name`` last for a while; a sender in another process (``hanya outbox run``) tries it
    again first, within the row's tries."""
    sender = getattr(outbox, "channels", {}).get(CHANNEL)
    if isinstance(sender, AndroidSmsSender):
        sender.rest_phone(name)


def failure_of(update_: StatusUpdate) -> str:
    """What a phone's failed SMS says of the phone (its Android result code, e.g.
    RESULT_ERROR_NO_SERVICE or RESULT_ERROR_LIMIT_EXCEEDED), never the person's number."""
    found = re.search(r"[A-Z][A-Z0-9_]{3,59}", update_.reason or "")
    return f"sms:failed {found.group() if found else 'without a code'}"


def record_status(store: Any, update_: StatusUpdate, tries: int = 1,
                  backoff: float = 2.0) -> bool:
    """Keep what the phone said about a message we sent (no number, no text).

    ``sms:failed`` means the phone took the SMS and could not send it (no credit, no service,
    Android's limit): nobody received it, so it goes back to the outbox, sent again in
    ``backoff`` s (doubling), by another phone first (the failure ranks this one last, see
    ``AndroidSmsSender.order``), until the row has had ``tries`` tries. Returns whether it
    was queued again. Without this a reply was lost as soon as a SIM ran out of credit.
    """
    error = f"{CHANNEL} {update_.reason}"[:200] if update_.reason else None
    with store.session() as session:
        session.execute(update(OutboxMessage)
                        .where(OutboxMessage.provider_id == update_.message_id)
                        .values(delivery_status=update_.status, last_error=error))
        if update_.status != "failed":
            return False
        row = session.scalars(select(OutboxMessage).where(
            OutboxMessage.provider_id == update_.message_id, OutboxMessage.channel == CHANNEL,
            OutboxMessage.status == "sent")).first()
        if row is None or row.attempts >= tries:
            return False  # not ours, sent again already, or out of tries: stays as reported
        row.status, row.provider_id, row.sent_at = "pending", None, None
        row.next_attempt_at = utcnow() + timedelta(
            seconds=min(900.0, backoff * 2 ** max(0, row.attempts - 1)))
        row.last_error = f"{error or CHANNEL + ' sms:failed'}: to be sent again"[:200]
        log.info("outbox %s: a gateway phone could not send it, queued again", row.id)
        return True


EVENT_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {
        "type": "object", "required": ["event", "payload"],
        "properties": {"event": {"type": "string"}, "deviceId": {"type": "string"},
                       "id": {"type": "string"}, "webhookId": {"type": "string"},
                       "payload": {"type": "object"}}}}}}}


# --- the channel, as the core sees it (bot/core/channel_registry.py) ----------------------------

def preferred_phone(limits: Limits, address: str) -> str:
    """The phone a send to ``address`` is paced on: its operator's, else the first."""
    number = address.removeprefix("tel:")
    for name, prefixes in limits.android_sms_phones:
        if any(number.startswith(p) for p in prefixes):
            return name
    return limits.android_sms_phones[0][0] if limits.android_sms_phones else "phone"


def rate_rules(limits: Limits, address: str) -> list[Rule]:
    """All phones together, then the phone that will send (Android limits each app).

    The phones send side by side, each at its own pace: all together may send at once (a
    burst of one a phone). Spaced evenly instead, the phones had to keep to alternate slots,
    and a phone a little late pushed the other's next send by half a gap (0.86 of the pace).
    """
    phones = max(1, len(limits.android_sms_phones))
    return [Rule(CHANNEL, limits.gap(overall_rate(limits)), burst=phones),
            Rule(f"{CHANNEL}:{preferred_phone(limits, address)}",
                 limits.gap(limits.android_sms_per_phone))]


def overall_rate(limits: Limits) -> float:
    return limits.android_sms_per_phone * max(1, len(limits.android_sms_phones))


def sender_from(settings: Any) -> AndroidSmsSender | None:
    phones = settings.android_sms_phone_list()
    if not phones:
        return None  # no URL: the channel is off
    return AndroidSmsSender(phones, rest=settings.android_sms_phone_rest_seconds)


def background(runtime: Any, settings: Any, wake: Any, stopping: Any) -> Any:
    """Until the app stops: the phones' signs of life go to the store, where every process
    reads them, and the silence watch runs (webhooks/android_sms_watch.py) when it is on.
    At the stop the store is let go before it is disposed: a sign written after would open a
    connection that nobody closes."""
    LIVENESS.bind(runtime.store)
    job = watch(runtime, settings, wake, stopping)

    async def until_stopped() -> None:
        try:
            await (job if job is not None else stopping.wait())
        finally:
            LIVENESS.bind(None)

    return until_stopped()


def readiness(settings: Any) -> dict[str, Any]:
    phones = settings.android_sms_phone_list()
    return {"android_sms_phones": LIVENESS.report(phones)} if phones else {}


# Imported by the registry when the core first needs it (webhooks/channels.py names it).
ADAPTER = channel_registry.Adapter(
    rules=rate_rules, overall_rate=overall_rate, sender=sender_from, readiness=readiness,
    background=background)

__all__ = ["AndroidSmsSender", "CHANNEL", "LIVENESS", "StatusUpdate", "install", "parse_event",
           "phone_address", "verify"]

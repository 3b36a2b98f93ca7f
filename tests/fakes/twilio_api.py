"""FakeTwilio: a local Twilio REST API (Messages) server speaking the real wire format.

Pointing the twilio 9.x library at the fake -- recipe (checked in tests/test_fakes.py)
-------------------------------------------------------------------------------------
Every resource URL is built as ``client.<domain>.base_url + "/2010-04-01/..."``
(``twilio/base/domain.py: Domain.absolute_url``; the Api domain is created lazily with
``base_url="https://api.twilio.com"`` in ``twilio/rest/api/ApiBase.py`` and cached on the
client), so overriding the Api domain's ``base_url`` is enough for ``client.messages``::

    from twilio.rest import Client

    client = Client(account_sid, auth_token)
    if settings.twilio_api_url:                    # e.g. fake.url == "http://127.0.0.1:PORT"
        client.api.base_url = settings.twilio_api_url
        client.edge = client.region = None         # see below

    client.messages.create(to="+22790000001", from_="+15005550006", body="...")

``client.edge``/``client.region`` (also read from the env vars ``TWILIO_EDGE`` /
``TWILIO_REGION``) must be unset: ``ClientBase.get_hostname`` rewrites the host by splitting
it on dots, and ``127.0.0.1:PORT`` has four dot-separated pieces, so it would be mangled
(``region="ie1"`` turns it into ``127.ie1.0.1:PORT``). ``Client(..., environment={})``
does **not** shield you from those env vars: an empty mapping is falsy and the client falls
back to ``os.environ``. ``fake.client()`` returns a Client configured exactly like this.

The same override works for ``create_async`` with ``http_client=AsyncTwilioHttpClient()``,
but with aiohttp 3.14 that client trips two aiohttp DeprecationWarnings (``BasicAuth`` and the
``auth=`` parameter), fatal under this repo's ``filterwarnings = error``: prefer the sync
client (e.g. in a thread) or add targeted ignores. Alternative recipe: pass ``http_client=`` a
``TwilioHttpClient`` subclass whose ``request()`` replaces the ``https://api.twilio.com``
prefix -- more code, same effect.

Wire format (``twilio/rest/api/v2010/account/message/__init__.py``, ``http/http_client.py``):
``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, ``application/x-www-form-urlencoded``
with ``To``, ``From`` or ``MessagingServiceSid``, ``Body``, ``StatusCallback``, ``MediaUrl``
..., ``Accept: application/json``, HTTP basic auth ``account_sid:auth_token`` (requests).
Success is ``201`` with the Message resource; errors are Twilio's legacy JSON
``{"code", "message", "more_info", "status"}`` which the library turns into
``TwilioRestException(status, uri, msg, code)`` (``twilio/base/version.py: exception``).

Behaviour:

* Validation like Twilio: To not E.164 -> 400/21211, no From and no MessagingServiceSid ->
  400/21603, no Body/MediaUrl/ContentSid -> 400/21602, To in ``unsubscribe()``-d set ->
  400/21610, wrong credentials -> 401/20003, other account in the path -> 404/20404.
* ``status`` is ``"queued"`` with a From, ``"accepted"`` with only a MessagingServiceSid
  (``from`` is then ``null``), as Twilio answers. ``num_segments`` follows GSM-7 (160/153,
  extension chars count twice) or UCS-2 (70/67).
* ``rate=`` is a per-sender (From, else MessagingServiceSid) sliding-window log
  (:class:`tests.fakes._server.SlidingWindow`); past it -> 429/20429. Real Twilio queues
  instead; the 429 exists to test the app's back-off path.
* ``delay``: the message is created and recorded first, then the answer is held back.
* WhatsApp's 24-hour window: a free-form ``Body`` to ``whatsapp:+...`` is taken only within
  24 hours of that person's last message (``whatsapp_inbound(address)`` records one; tests
  call it when they post an inbound message). Outside, as Twilio documents, the message is
  created (201, ``queued``) and then fails with error 63016: its resource reads ``failed`` /
  63016 and ``window_refused`` lists it, for the test to post the status callback; with
  ``window_failure = "response"`` the create itself answers 400/63016. A template
  (``ContentSid`` HX + 32 hex, ``ContentVariables`` a JSON object of strings, else 400/21656)
  goes at any time. ``enforce_whatsapp_window = False`` turns the rule off.
* Media, as Twilio sends it: each ``MediaUrl`` is fetched (after the 201, from a thread)
  and what came back recorded in ``media_fetches`` (``wait_fetched(n)``): status, headers,
  bytes. ``media_hosts`` maps a public base (``https://hanya.example.org``) to the local
  server that answers for it (DNS and the TLS proxy, in short); any other host is not
  reached (status 0). Anything but a 200 of a WhatsApp audio type fails the message with
  11200, as Twilio's status callback would say.
* ``GET .../Messages/{Sid}.json`` returns a stored message; ``fake.set_status(sid, ...)``
  changes what it reports.
* ``GET /2010-04-01/Accounts/{Sid}.json``: the account (``status`` from ``account_status``,
  "active" unless a test suspends it), as ``hanya channels check`` reads it.
* ``GET /v2/Channels/Senders?Channel=whatsapp`` (Twilio's Messaging API, on this same base URL):
  the WhatsApp senders set with ``whatsapp_sender(sender_id, callback_url, status)``
  (``{"senders": [{"sid", "sender_id", "status", "webhook": {"callback_url", ...}}], "meta"}``).
* ``GET .../IncomingPhoneNumbers.json?PhoneNumber=+...`` lists the account's numbers set with
  ``own_number(number, sms_url)`` (Twilio's page shape: ``incoming_phone_numbers`` with
  ``phone_number`` and ``sms_url``), as ``hanya doctor`` reads them.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import itertools
import json
import math
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes._server import (
    FakeServerBase,
    QuietHandler,
    SlidingWindow,
    parse_body,
    truncate,
)

__all__ = ["FakeTwilio", "MediaFetch", "SentSms", "TwilioCall", "TEST_ACCOUNT_SID",
           "TEST_AUTH_TOKEN"]

TEST_ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
TEST_AUTH_TOKEN = "f" * 32
API_VERSION = "2010-04-01"

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_ALNUM_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
_SHORTCODE = re.compile(r"^\d{3,8}$")
_CREATE_RE = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json$")
_ACCOUNT_RE = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)\.json$")
_FETCH_RE = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages/(?P<msid>[^/]+)\.json$")
_NUMBERS_RE = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/IncomingPhoneNumbers\.json$")

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

ERROR_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    63016: "Failed to send freeform message because you are outside the allowed window. "
           "If you are using WhatsApp, please use a Message Template.",
    20500: "Internal Server Error",
    21211: "The 'To' number is not a valid phone number.",
    21212: "The 'From' number is not a valid phone number, shortcode, or alphanumeric sender ID.",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21612: "The 'To' phone number is not currently reachable via SMS.",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the "
    "'To' number",
    30007: "Message filtered",
}
_STATUS_FOR_CODE = {20003: 401, 20404: 404, 20429: 429, 20500: 500}


def segments(body: str) -> int:
    """Number of SMS segments Twilio bills for ``body`` (no Smart Encoding)."""
    if not body:
        return 1
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in body):
        units = len(body) + sum(c in GSM7_EXTENSION for c in body)
        return 1 if units <= 160 else math.ceil(units / 153)
    units = len(body.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def _rfc2822(ts: float) -> str:
    return email.utils.format_datetime(datetime.fromtimestamp(int(ts), UTC)).replace(
        "-0000", "+0000"
    )


@dataclass(frozen=True, slots=True)
class SentSms:
    """One message the fake accepted (``POST .../Messages.json`` answered 201)."""

    sid: str
    to: str
    from_: str | None
    body: str
    status_callback: str | None
    messaging_service_sid: str | None
    at: float
    num_segments: int
    media_url: tuple[str, ...] = ()
    params: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class MediaFetch:
    """One ``MediaUrl`` the fake fetched for a message, and what it got."""

    sid: str
    url: str
    status: int  # 0: not reached
    content_type: str | None
    cache_control: str | None
    body: bytes


# What Twilio takes as WhatsApp audio (its media guidance: OGG, AMR, 3GP, AAC, MPEG).
WHATSAPP_AUDIO = ("audio/ogg", "audio/amr", "audio/3gpp", "audio/aac", "audio/mpeg")


@dataclass(frozen=True, slots=True)
class TwilioCall:
    """One HTTP request the fake answered (errors included, ``ok=False``)."""

    method: str
    path: str
    params: dict[str, Any]
    at: float
    ok: bool
    status: int
    code: int | None = None


class TwilioApiError(Exception):
    def __init__(self, status: int, code: int, message: str | None = None) -> None:
        self.status = status
        self.code = code
        self.message = message or ERROR_MESSAGES.get(code, "Error")
        super().__init__(self.message)

    def payload(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


@dataclass(slots=True)
class _Script:
    status: int
    code: int
    message: str | None
    remaining: int
    to: str | None


class _Handler(QuietHandler):
    def do_POST(self) -> None:
        self.server.fake._serve(self)

    do_GET = do_POST


class FakeTwilio(FakeServerBase):
    """A Twilio Messages API double on ``http://127.0.0.1:<ephemeral port>``.

    Public API: ``url``, ``account_sid``, ``auth_token``, ``messages``, ``calls``,
    ``sent(to=None)``, ``wait_for(predicate)``, ``wait_sent(n, to=None)``, ``reset()``,
    ``script(...)``, ``unsubscribe(number)``, ``resubscribe(number)``, ``set_status(...)``,
    ``delay``, ``rejections_429``, ``client()``, ``start()/stop()`` or context manager.
    """

    handler_class = _Handler

    def __init__(
        self,
        account_sid: str = TEST_ACCOUNT_SID,
        auth_token: str = TEST_AUTH_TOKEN,
        *,
        rate: float | None = None,
    ) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.rate = rate
        token = f"{account_sid}:{auth_token}".encode()
        self._expected_auth = "Basic " + base64.b64encode(token).decode()
        self._init_state()

    def _init_state(self) -> None:
        self._messages: list[SentSms] = []
        self._by_to: dict[str, list[SentSms]] = {}
        self._resources: dict[str, dict[str, Any]] = {}
        self._calls: list[TwilioCall] = []
        self._scripts: deque[_Script] = deque()
        self._unsubscribed: set[str] = set()
        self._numbers: dict[str, dict[str, Any]] = {}
        self._windows: dict[str, SlidingWindow] = {}
        self.rejections_429 = 0
        self._wa_last_inbound: dict[str, float] = {}
        self._wa_senders: list[dict[str, Any]] = []
        self.account_status = "active"
        self._window_refused: list[SentSms] = []
        self._media_fetches: list[MediaFetch] = []
        self.media_hosts: dict[str, str] = {}

    # -- inspection ---------------------------------------------------------------------------
    @property
    def messages(self) -> list[SentSms]:
        with self._lock:
            return list(self._messages)

    @property
    def calls(self) -> list[TwilioCall]:
        with self._lock:
            return list(self._calls)

    def sent(self, to: str | None = None) -> list[SentSms]:
        with self._lock:
            return list(self._messages if to is None else self._by_to.get(to, ()))

    def resource(self, sid: str) -> dict[str, Any] | None:
        """The Message resource JSON as the fake last returned it."""
        with self._lock:
            res = self._resources.get(sid)
            return dict(res) if res else None

    def wait_for(self, predicate: Callable[[SentSms], bool], timeout: float = 5.0) -> SentSms:
        """Block until an accepted message satisfies ``predicate``; return it."""
        seen = 0

        def probe() -> SentSms | None:
            nonlocal seen
            msgs = self._messages
            for msg in itertools.islice(msgs, seen, None):
                if predicate(msg):
                    return msg
            seen = len(msgs)
            return None

        return self._wait(probe, timeout, self.dump, f"a message matching {predicate!r}")

    def wait_sent(self, n: int = 1, to: str | None = None, timeout: float = 5.0) -> list[SentSms]:
        """Block until at least ``n`` messages were accepted (to ``to``); return them all."""

        def probe() -> list[SentSms] | None:
            got = self._messages if to is None else self._by_to.get(to, [])
            return list(got) if len(got) >= n else None

        what = f"{n} SMS" + (f" to {to}" if to else "")
        return self._wait(probe, timeout, self.dump, what)

    @property
    def media_fetches(self) -> list[MediaFetch]:
        with self._lock:
            return list(self._media_fetches)

    def wait_fetched(self, n: int = 1, timeout: float = 5.0) -> list[MediaFetch]:
        """Block until ``n`` media URLs were fetched (or failed to be); return them all."""

        def probe() -> list[MediaFetch] | None:
            return list(self._media_fetches) if len(self._media_fetches) >= n else None

        return self._wait(probe, timeout, self.dump, f"{n} media fetch(es)")

    def _fetch_media(self, sid: str, url: str) -> None:
        """Fetch ``url`` as Twilio does before delivering a media message."""
        target = url
        for public, local in self.media_hosts.items():
            if url.startswith(public.rstrip("/") + "/"):
                target = local.rstrip("/") + url[len(public.rstrip("/")):]
        status, headers, body = 0, None, b""
        if urlsplit(target).hostname in ("127.0.0.1", "localhost", "::1"):
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            try:
                with opener.open(target, timeout=5) as answer:
                    status, headers, body = answer.status, answer.headers, answer.read()
            except urllib.error.HTTPError as refused:
                status, headers, body = refused.code, refused.headers, refused.read()
            except OSError:
                status = 0
        content_type = headers.get("Content-Type") if headers is not None else None
        fetched = MediaFetch(sid, url, status, content_type,
                             headers.get("Cache-Control") if headers is not None else None, body)
        with self._lock:
            self._media_fetches.append(fetched)
            kind = (content_type or "").split(";", 1)[0].strip().lower()
            if status != 200 or (sid in self._resources and self._resources[sid]["to"]
                                 .startswith("whatsapp:") and kind not in WHATSAPP_AUDIO
                                 and not kind.startswith("image/")):
                self._resources[sid].update(status="failed", error_code=11200,
                                            error_message="HTTP retrieval failure")
            self._notify()

    def dump(self, last: int = 25) -> str:
        with self._lock:
            calls = self._calls[-last:]
            total = len(self._calls)
        lines = [f"{total} request(s) recorded; last {len(calls)}:"]
        for c in calls:
            flag = f"{c.status}" + (f"/{c.code}" if c.code else "")
            lines.append(f"  [{flag}] {c.method} {c.path} {truncate(c.params)}")
        return "\n".join(lines)

    # -- configuration / faults ---------------------------------------------------------------
    def reset(self) -> None:
        with self._lock:
            self._init_state()
            self.delay = 0.0

    def script(
        self,
        status: int = 429,
        code: int = 20429,
        message: str | None = None,
        times: int = 1,
        to: str | None = None,
    ) -> None:
        """Answer the next ``times`` create requests (optionally only those to ``to``) with an
        error, e.g. ``script(400, 21211)``, ``script(400, 21610)``, ``script(500, 20500)``."""
        with self._lock:
            self._scripts.append(_Script(status, code, message, times, to))

    def own_number(self, number: str, sms_url: str | None) -> None:
        """Make ``number`` one of the account's, its incoming-SMS webhook at ``sms_url``."""
        with self._lock:
            self._numbers[number] = {
                "sid": "PN" + secrets.token_hex(16), "account_sid": self.account_sid,
                "phone_number": number, "friendly_name": number, "sms_url": sms_url,
                "sms_method": "POST", "capabilities": {"sms": True, "mms": False}}

    def whatsapp_sender(self, sender_id: str, callback_url: str | None,
                        status: str = "ONLINE") -> None:
        """Register a WhatsApp sender (``whatsapp:+...``) and its incoming-message webhook."""
        with self._lock:
            self._wa_senders.append({
                "sid": "XE" + secrets.token_hex(16), "sender_id": sender_id, "status": status,
                "webhook": {"callback_url": callback_url, "callback_method": "POST",
                            "fallback_url": None, "fallback_method": "POST",
                            "status_callback_url": None, "status_callback_method": "POST"}})

    enforce_whatsapp_window = True
    window_failure = "callback"  # or "response": 400/63016 at once
    WHATSAPP_WINDOW = 24 * 3600.0

    def whatsapp_inbound(self, address: str, at: float | None = None) -> None:
        """``address`` (``whatsapp:+...``) wrote to the sender at ``at`` (now): its window opens."""
        with self._lock:
            self._wa_last_inbound[address] = time.time() if at is None else at

    @property
    def window_refused(self) -> list[SentSms]:
        """Free-form WhatsApp messages accepted and then failed with 63016."""
        with self._lock:
            return list(self._window_refused)

    def _outside_window(self, to: str, params: dict[str, Any], at: float) -> bool:
        if not (self.enforce_whatsapp_window and to.startswith("whatsapp:")):
            return False
        if params.get("ContentSid"):
            return False
        last = self._wa_last_inbound.get(to)
        return last is None or at - last > self.WHATSAPP_WINDOW

    def unsubscribe(self, number: str) -> None:
        """The recipient texted STOP: sends to it answer 400/21610."""
        with self._lock:
            self._unsubscribed.add(number)

    def resubscribe(self, number: str) -> None:
        with self._lock:
            self._unsubscribed.discard(number)

    def set_status(
        self, sid: str, status: str, error_code: int | None = None, error_message: str | None = None
    ) -> None:
        """Change what ``GET .../Messages/{sid}.json`` reports (e.g. "delivered")."""
        with self._lock:
            res = self._resources[sid]
            res.update(status=status, error_code=error_code, error_message=error_message)
            now = time.time()
            res["date_updated"] = _rfc2822(now)
            if status in ("sent", "delivered", "undelivered", "failed") and not res["date_sent"]:
                res["date_sent"] = _rfc2822(now)

    def client(self) -> Any:
        """A ``twilio.rest.Client`` wired to this fake (see the module docstring)."""
        from twilio.rest import Client

        client = Client(self.account_sid, self.auth_token)
        client.api.base_url = self.url
        client.edge = client.region = None
        return client

    # -- request handling -----------------------------------------------------------------
    def _serve(self, handler: _Handler) -> None:
        at = time.time()
        split = urlsplit(handler.path)
        body = handler.read_body()
        path = unquote(split.path)
        params: dict[str, Any] = {}
        try:
            if handler.command == "POST":
                params, _ = parse_body(handler.headers.get("Content-Type", ""), body, multi=True)
            status, payload = self._dispatch(handler, path, params, at, split.query)
        except (ValueError, UnicodeDecodeError):
            status, payload = 400, TwilioApiError(400, 20001, "Could not parse body").payload()
        extra = {"Twilio-Request-Id": "RQ" + secrets.token_hex(16)}
        if status == 401:
            extra["WWW-Authenticate"] = 'Basic realm="Twilio API"'
        delay = self.delay
        if delay > 0:
            time.sleep(delay)
        handler.send_json(status, payload, extra)

    def _dispatch(
        self, handler: _Handler, path: str, params: dict[str, Any], at: float, query: str = ""
    ) -> tuple[int, dict[str, Any]]:
        method = handler.command
        with self._lock:
            try:
                if not self._authorized(handler.headers.get("Authorization")):
                    raise TwilioApiError(401, 20003)
                create = _CREATE_RE.match(path) if method == "POST" else None
                fetch = _FETCH_RE.match(path) if method == "GET" else None
                numbers = _NUMBERS_RE.match(path) if method == "GET" else None
                if numbers and numbers["sid"] == self.account_sid:
                    wanted = parse_qs(query).get("PhoneNumber", [None])[0]
                    found = [n for k, n in self._numbers.items() if wanted in (None, k)]
                    self._calls.append(TwilioCall(method, path, params, at, True, 200))
                    return 200, {"incoming_phone_numbers": found, "page": 0,
                                 "page_size": 50, "uri": path}
                account = _ACCOUNT_RE.match(path) if method == "GET" else None
                if account and account["sid"] == self.account_sid:
                    self._calls.append(TwilioCall(method, path, params, at, True, 200))
                    return 200, {"sid": self.account_sid, "friendly_name": "Hanya",
                                 "status": self.account_status, "type": "Full"}
                if method == "GET" and path == "/v2/Channels/Senders":
                    channel = parse_qs(query).get("Channel", ["whatsapp"])[0]
                    found = [dict(x) for x in self._wa_senders
                             if x["sender_id"].startswith(f"{channel}:")]
                    self._calls.append(TwilioCall(method, path, params, at, True, 200))
                    return 200, {"senders": found, "meta": {"page": 0, "page_size": 50,
                                                            "key": "senders"}}
                match = create or fetch
                if match is None or match["sid"] != self.account_sid:
                    raise TwilioApiError(404, 20404, f"The requested resource {path} was not found")
                if fetch:
                    res = self._resources.get(fetch["msid"])
                    if res is None:
                        raise TwilioApiError(
                            404, 20404, f"The requested resource {path} was not found"
                        )
                    status, payload = 200, dict(res)
                else:
                    status, payload = 201, self._create(params, at)
            except TwilioApiError as err:
                if err.status == 429:
                    self.rejections_429 += 1
                self._calls.append(
                    TwilioCall(method, path, params, at, False, err.status, err.code)
                )
                self._notify()
                return err.status, err.payload()
            self._calls.append(TwilioCall(method, path, params, at, True, status))
            self._notify()
            return status, payload

    def _authorized(self, header: str | None) -> bool:
        if not header:
            return False
        if header == self._expected_auth:
            return True
        try:  # tolerate different base64 padding/spacing, still exact credentials
            scheme, _, value = header.partition(" ")
            user, _, password = base64.b64decode(value.strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return (
            scheme.lower() == "basic" and user == self.account_sid and password == self.auth_token
        )

    def _create(self, params: dict[str, Any], at: float) -> dict[str, Any]:
        to = str(params.get("To", "")).strip()
        if self._scripts:
            for i, script in enumerate(self._scripts):
                if script.to is None or script.to == to:
                    script.remaining -= 1
                    if script.remaining <= 0:
                        del self._scripts[i]
                    raise TwilioApiError(script.status, script.code, script.message)
        if not _E164.match(to.removeprefix("whatsapp:")):  # WhatsApp: "whatsapp:+227..."
            raise TwilioApiError(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if to in self._unsubscribed:
            raise TwilioApiError(400, 21610)
        from_ = params.get("From") or None
        service = params.get("MessagingServiceSid") or None
        if from_ is None and service is None:
            raise TwilioApiError(400, 21603)
        if from_ is not None and not (
            _E164.match(from_.removeprefix("whatsapp:"))
            or _ALNUM_SENDER.match(from_) or _SHORTCODE.match(from_)
        ):
            raise TwilioApiError(
                400,
                21212,
                f"The 'From' number {from_} is not a valid phone number, shortcode, "
                "or alphanumeric sender ID.",
            )
        body = params.get("Body") or ""
        media = params.get("MediaUrl")
        if not body and not media and not params.get("ContentSid"):
            raise TwilioApiError(400, 21602)
        content_sid = params.get("ContentSid")
        if content_sid is not None:
            if not re.fullmatch(r"HX[0-9a-f]{32}", str(content_sid)):
                raise TwilioApiError(400, 21656, "The ContentSid is invalid.")
            try:
                variables = json.loads(params.get("ContentVariables") or "{}")
            except ValueError:
                variables = None
            if not isinstance(variables, dict) or not all(
                    isinstance(v, str) for v in variables.values()):
                raise TwilioApiError(400, 21656, "The ContentVariables Parameter is invalid.")
        outside = self._outside_window(to, params, at)
        if outside and self.window_failure == "response":
            raise TwilioApiError(400, 63016)
        if len(body) > 1600:
            raise TwilioApiError(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        if self.rate:
            sender = from_ or service or ""
            window = self._windows.get(sender)
            if window is None:
                window = self._windows[sender] = SlidingWindow(self.rate)
            now = time.monotonic()
            if window.check(now) > 0:
                raise TwilioApiError(429, 20429)
            window.record(now)

        sid = "SM" + secrets.token_hex(16)
        n_segments = segments(body)
        media_urls = tuple([media] if isinstance(media, str) else media or ())
        date = _rfc2822(at)
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}"
        resource: dict[str, Any] = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": date,
            "date_sent": None,
            "date_updated": date,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": service,
            "num_media": str(len(media_urls)),
            "num_segments": str(n_segments),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued" if from_ else "accepted",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": to,
            "uri": f"{uri}.json",
        }
        self._resources[sid] = resource
        sms = SentSms(
            sid=sid,
            to=to,
            from_=from_,
            body=body,
            status_callback=params.get("StatusCallback") or None,
            messaging_service_sid=service,
            at=at,
            num_segments=n_segments,
            media_url=media_urls,
            params=params,
        )
        self._messages.append(sms)
        self._by_to.setdefault(to, []).append(sms)
        answer = dict(resource)
        for url in media_urls:  # after the answer, as Twilio fetches media
            threading.Thread(target=self._fetch_media, args=(sid, url), daemon=True).start()
        if outside:  # accepted, then failed: what the status callback will say
            resource.update(status="failed", error_code=63016, error_message=ERROR_MESSAGES[63016])
            self._window_refused.append(sms)
        return answer

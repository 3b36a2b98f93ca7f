"""FakeGatewayPhone: one phone running SMS Gateway for Android, as its documentation describes
it (android-sms-gateway/docs-web: docs/features/sending-messages.md, webhooks.md,
health.md), and the webhooks it would post, signed as the app signs them.

The phone's API (Local Server mode, ``http://<phone>:8080``; the cloud relay has the same
paths under ``/3rdparty/v1``):

* ``POST /messages`` with HTTP basic auth (the username and password the app shows on its
  Home tab) and JSON ``{"textMessage": {"text": ...}, "phoneNumbers": ["+227..."],
  "withDeliveryReport": true, "priority": 0}`` -> ``202`` and the message's state
  ``{"id", "deviceId", "state": "Pending", "isHashed": false, "isEncrypted": false,
  "recipients": [{"phoneNumber", "state": "Pending"}], "states": {}}``. Wrong credentials
  -> 401; a number that is not E.164 -> 400 (the app validates them unless
  ``skipPhoneValidation``).
* ``GET /health`` -> ``{"status": "pass", "version": ..., "checks": {...}}`` (``health``:
  "pass", "warn" or "fail", e.g. a low battery).
* ``GET /webhooks`` (basic auth) -> the registered webhooks ``[{"id", "url", "event"}]``,
  set with ``register_webhook(url, event)`` as ``POST /webhooks`` does.

Test controls: ``offline()`` closes the port (a phone that lost its network or battery),
``refuse(status)`` answers every send with ``status`` (503: the app's queue is full; 401:
its password changed), ``sent(to=None)`` lists what it was asked to send.

Webhooks: ``signed_event(event, payload, key)`` builds the body the app posts
(``{"deviceId", "event", "id", "payload", "webhookId"}``) and its headers ``X-Timestamp``
(Unix seconds) and ``X-Signature``: lowercase hex HMAC-SHA256 of the raw body followed by
the timestamp, keyed with the signing key (the documentation's Python sample).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.fakes._server import FakeServerBase, QuietHandler

__all__ = ["FakeGatewayPhone", "GatewaySms", "received_payload", "signed_event", "sign"]

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_ids = itertools.count(1)


@dataclass(frozen=True)
class GatewaySms:
    id: str
    to: str
    text: str
    at: float = 0.0  # time.monotonic() when the phone took it


class _Handler(QuietHandler):
    def do_POST(self) -> None:
        self.server.fake._serve(self)

    do_GET = do_POST


class FakeGatewayPhone(FakeServerBase):
    """One gateway phone's local API on ``http://127.0.0.1:<ephemeral port>``."""

    handler_class = _Handler

    def __init__(self, name: str = "phone-1", username: str = "sms",
                 password: str = "gateway-pass", signing_key: str = "signing-key-1") -> None:
        super().__init__()
        self.name, self.username, self.password = name, username, password
        self.signing_key = signing_key
        self.device_id = secrets.token_hex(16)
        self._expected_auth = "Basic " + base64.b64encode(
            f"{username}:{password}".encode()).decode()
        self._sent: list[GatewaySms] = []
        self._refusing: int | None = None
        self._offline = False
        self.requests = 0
        self.health = "pass"
        self.webhooks: list[dict[str, str]] = []

    def register_webhook(self, url: str, event: str) -> None:
        with self._lock:
            self.webhooks.append({"id": secrets.token_hex(8), "url": url, "event": event})

    # -- test controls ------------------------------------------------------------------------
    def offline(self) -> None:
        """The phone is gone: its port refuses new connections and a kept-alive one is cut
        without an answer."""
        with self._lock:
            self._offline = True
        self.stop()

    def refuse(self, status: int | None) -> None:
        with self._lock:
            self._refusing = status

    def sent(self, to: str | None = None) -> list[GatewaySms]:
        with self._lock:
            return [m for m in self._sent if to is None or m.to == to]

    def wait_sent(self, n: int, to: str | None = None, timeout: float = 10.0) -> list[GatewaySms]:
        return self._wait(lambda: (found if len(found := self.sent(to)) >= n else None),
                          timeout, lambda: f"sent: {len(self.sent(to))}", f"{n} SMS")

    # -- the API ------------------------------------------------------------------------------
    def _serve(self, handler: _Handler) -> None:
        body = handler.read_body()
        with self._lock:
            self.requests += 1
            refusing, offline = self._refusing, self._offline
        if offline:
            handler.close_connection = True  # hang up without a word
            return
        path = handler.path.split("?", 1)[0].removeprefix("/3rdparty/v1")
        if handler.headers.get("Authorization") != self._expected_auth:
            handler.send_json(401, {"message": "Unauthorized"})
        elif handler.command == "GET" and path == "/health":
            handler.send_json(200, {"status": self.health, "version": "1.40.0",
                                    "checks": {"battery:level": {"status": self.health,
                                                                 "observedValue": 80}}})
        elif handler.command == "GET" and path == "/webhooks":
            handler.send_json(200, list(self.webhooks))
        elif handler.command == "POST" and path == "/messages":
            if refusing is not None:
                handler.send_json(refusing, {"message": "refused by the test"})
            else:
                self._create(handler, body)
        else:
            handler.send_json(404, {"message": "Not Found"})

    def _create(self, handler: _Handler, body: bytes) -> None:
        try:
            data = json.loads(body)
            numbers, text = data["phoneNumbers"], data["textMessage"]["text"]
        except (ValueError, KeyError, TypeError):
            handler.send_json(400, {"message": "invalid request"})
            return
        if not numbers or not all(_E164.match(n) for n in numbers):
            handler.send_json(400, {"message": "invalid phone number"})
            return
        message_id = data.get("id") or f"{self.name}-{next(_ids):06d}"
        with self._lock:
            self._sent.extend(GatewaySms(message_id, n, text, time.monotonic()) for n in numbers)
            self._notify()
        handler.send_json(202, {
            "id": message_id, "deviceId": self.device_id, "state": "Pending",
            "isHashed": False, "isEncrypted": False, "states": {},
            "recipients": [{"phoneNumber": n, "state": "Pending"} for n in numbers]})


# --- webhooks as the app posts them ----------------------------------------------------------

def sign(body: bytes, timestamp: str, key: str) -> str:
    return hmac.new(key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()


def received_payload(number: str, text: str, *, message_id: str | None = None,
                     received_at: str | None = None) -> dict[str, Any]:
    """An ``sms:received`` payload: the number as the phone shows it (local or +227)."""
    at = received_at or datetime.now(UTC).astimezone().isoformat(timespec="milliseconds")
    return {"messageId": message_id or secrets.token_hex(4), "message": text,
            "phoneNumber": number, "simNumber": 1, "receivedAt": at}


def signed_event(event: str, payload: dict[str, Any], key: str, *, device_id: str = "dev",
                 timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    """The body the app posts for ``event`` and its signed headers."""
    body = json.dumps({"deviceId": device_id, "event": event, "id": secrets.token_urlsafe(15),
                       "payload": payload, "webhookId": "hanya"},
                      ensure_ascii=False, separators=(",", ":")).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return body, {"X-Timestamp": stamp, "X-Signature": sign(body, stamp, key),
                  "Content-Type": "application/json"}

"""A person texting the Android gateway phones: signed webhooks in, the fake phones' sends out."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr
from starlette.testclient import TestClient

from bot.core.settings import Settings
from bot.core.store import Store
from tests.conftest import wait_handled, wait_outbox_drained
from tests.fakes.android_sms_gateway import (
    FakeGatewayPhone,
    received_payload,
    sign,
    signed_event,
)

PATH = "/webhooks/android-sms"
AIRTEL, MOOV = "+22796", "+22790"  # made-up operator prefixes for the tests


def gateway_settings(settings: Settings, first: FakeGatewayPhone,
                     *others: FakeGatewayPhone, **update: Any) -> Settings:
    """``settings`` with the gateway phones set up: ``first`` from the four plain settings
    (serving Airtel's prefix), the others (Moov's) from HANYA_ANDROID_SMS_PHONES."""
    extra = [{"name": p.name, "url": p.url, "username": p.username, "password": p.password,
              "signing_key": p.signing_key, "prefixes": [MOOV]} for p in others]
    return settings.model_copy(update={
        "android_sms_url": first.url, "android_sms_username": first.username,
        "android_sms_password": SecretStr(first.password),
        "android_sms_signing_key": SecretStr(first.signing_key),
        "android_sms_name": first.name, "android_sms_prefixes": [AIRTEL],
        "android_sms_phones": SecretStr(json.dumps(extra)) if extra else None,
        # Conversation tests are not about the phones' pace (its own test sets it).
        "android_sms_per_minute": 60_000.0, **update})


@dataclass
class GatewayUser:
    """One person writing to ``phone`` from ``number`` (as the phone shows it)."""

    client: TestClient
    store: Store
    phone: FakeGatewayPhone
    phones: list[FakeGatewayPhone]
    number: str  # E.164, what the replies go to
    shown_as: str | None = None  # how the receiving phone writes it (e.g. without +227)
    seen: int = 0
    bodies: list[bytes] = field(default_factory=list)

    def post(self, text: str, *, message_id: str | None = None) -> Any:
        payload = received_payload(self.shown_as or self.number, text, message_id=message_id)
        body, headers = signed_event("sms:received", payload, self.phone.signing_key)
        self.bodies.append(body)
        response = self.client.post(PATH, content=body, headers=headers)
        wait_handled(self.store)
        return response

    def repost(self, body: bytes, *, key: str | None = None, timestamp: int | None = None,
               signature: str | None = None) -> Any:
        """Post ``body`` again (a redelivery or a replay), freshly signed unless told."""
        import time

        stamp = str(int(time.time()) if timestamp is None else timestamp)
        headers = {"X-Timestamp": stamp, "Content-Type": "application/json",
                   "X-Signature": signature if signature is not None
                   else sign(body, stamp, key or self.phone.signing_key)}
        response = self.client.post(PATH, content=body, headers=headers)
        wait_handled(self.store)
        return response

    def say(self, text: str) -> list[str]:
        response = self.post(text)
        assert response.status_code == 200, response.text
        wait_outbox_drained(self.store)
        sent = [m for p in self.phones for m in p.sent(self.number)]
        sent.sort(key=lambda m: m.id.rsplit("-", 1)[-1])  # the fakes number them in order
        new, self.seen = sent[self.seen:], len(sent)
        return [m.text for m in new]

    def say_all(self, text: str, max_pages: int = 10) -> str:
        """Send ``text`` and follow the MORE pages to the end (as SmsUser.say_all)."""
        keywords = self.client.app.state.runtime.content.current.keywords
        pages = self.say(text)
        for _ in range(max_pages):
            last_line = pages[-1].splitlines()[-1] if pages else ""
            if not any(keywords.whole(word) == "more" for word in last_line.split()):
                break
            pages += self.say("MORE")
        return "\n".join(pages)

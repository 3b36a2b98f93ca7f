"""Drive whole conversations through the real webhooks, as a provider would post them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from starlette.testclient import TestClient

from bot.core.store import Store
from tests.conftest import (
    PUBLIC_URL,
    SERVICE_NUMBER,
    WEBHOOK_SECRET,
    wait_handled,
    wait_outbox_drained,
)
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_updates import callback_update, location_update, text_update
from tests.fakes.twilio_api import FakeTwilio
from tests.fakes.twilio_signing import signed_sms_form

_update_ids = itertools.count(700_000_001)
_sms_ids = itertools.count(1)


@dataclass
class TelegramUser:
    client: TestClient
    api: FakeBotApi
    store: Store
    chat_id: int
    seen: int = 0
    last_status: int = 0
    last_body: Any = None

    def post(self, update: dict[str, Any], secret: str | None = WEBHOOK_SECRET) -> Any:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        response = self.client.post("/webhooks/telegram", json=update, headers=headers)
        self.last_status, self.last_body = response.status_code, response.json()
        wait_handled(self.store)  # the intake handles it just after the 200
        return response

    def _replies(self) -> list[dict[str, Any]]:
        wait_outbox_drained(self.store)
        sent = self.api.sent(self.chat_id)
        new, self.seen = sent[self.seen:], len(sent)
        return new

    def say(self, text: str) -> list[dict[str, Any]]:
        self.post(text_update(next(_update_ids), self.chat_id, text))
        return self._replies()

    def tap(self, data: str) -> list[dict[str, Any]]:
        self.post(callback_update(next(_update_ids), self.chat_id, data))
        return self._replies()

    def share_location(self, lat: float, lon: float) -> list[dict[str, Any]]:
        self.post(location_update(next(_update_ids), self.chat_id, lat, lon))
        return self._replies()

    def tap_label(self, label: str) -> list[dict[str, Any]]:
        """Press the button whose label is ``label`` on the last message that had buttons."""
        return self.tap(button_data(self.api.sent(self.chat_id), label))


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    markup = message.get("reply_markup") or {}
    return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", [])
            for b in row]


def button_data(sent: list[dict[str, Any]], label: str) -> str:
    for message in reversed(sent):
        for text, data in buttons(message):
            if text == label:
                return data
    raise AssertionError(f"no button {label!r} in {[buttons(m) for m in sent]}")


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n---\n".join(m.get("text", "") for m in messages)


@dataclass
class SmsUser:
    client: TestClient
    api: FakeTwilio
    store: Store
    number: str
    seen: int = 0
    sids: list[str] = field(default_factory=list)

    def post(self, body: str, *, sid: str | None = None, token: str | None = None) -> Any:
        url = f"{PUBLIC_URL}/webhooks/twilio/sms"
        sid = sid or f"SM{next(_sms_ids):032x}"
        self.sids.append(sid)
        form, headers = signed_sms_form(url, token or self.api.auth_token, from_=self.number,
                                        to=SERVICE_NUMBER, body=body, message_sid=sid)
        response = self.client.post("/webhooks/twilio/sms", data=form, headers=headers)
        wait_handled(self.store)  # the intake handles it just after the 200
        return response

    def say_all(self, body: str, max_pages: int = 10) -> str:
        """Send ``body`` and follow the MORE pages to the end (the English word works in every
        language); a page continues when its last line holds the MORE word of any language."""
        keywords = self.client.app.state.runtime.content.current.keywords
        pages = self.say(body)
        for _ in range(max_pages):
            last_line = pages[-1].splitlines()[-1] if pages else ""
            if not any(keywords.whole(word) == "more" for word in last_line.split()):
                break
            pages += self.say("MORE")
        return "\n".join(pages)

    def say(self, body: str) -> list[str]:
        response = self.post(body)
        assert response.status_code == 200, response.text
        wait_outbox_drained(self.store)
        sent = self.api.sent(self.number)
        new, self.seen = sent[self.seen:], len(sent)
        return [m.body for m in new]

"""Build Telegram ``Update`` JSON bodies from the recorded fixtures in tests/fixtures/telegram.

Every builder returns a fresh ``dict`` (the JSON body the Bot API would POST to the webhook).
Chat and user ids are ints; ``date`` (and ``edit_date``) are set to "now" so that apps which
drop stale updates do not ignore them. In a private chat the user id equals the chat id.
"""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "telegram"

__all__ = [
    "FIXTURES",
    "callback_update",
    "fixture_names",
    "fixture_update",
    "load_fixture",
    "location_update",
    "text_update",
]

_PAYLOAD_KEYS = ("message", "edited_message", "channel_post", "callback_query", "my_chat_member")


@functools.cache
def _raw(name: str) -> str:
    name = name.removesuffix(".json")
    return (FIXTURES / f"{name}.json").read_text(encoding="utf-8")


def fixture_names() -> list[str]:
    return sorted(p.stem for p in FIXTURES.glob("*.json"))


def load_fixture(name: str) -> dict[str, Any]:
    """The fixture exactly as recorded (a fresh copy)."""
    return json.loads(_raw(name))


def _chat_for(chat_id: int, like: dict[str, Any]) -> dict[str, Any]:
    if chat_id > 0:
        if like.get("type") == "private":
            return {**like, "id": chat_id}
        return {"id": chat_id, "first_name": "Test", "type": "private"}
    if like.get("type") in ("group", "supergroup", "channel"):
        return {**like, "id": chat_id}
    kind = "supergroup" if chat_id <= -1000000000000 else "group"
    return {"id": chat_id, "title": "Test group", "type": kind}


def _retarget(update: dict[str, Any], update_id: int, chat_id: int) -> dict[str, Any]:
    now = int(time.time())
    update["update_id"] = update_id
    key = next(k for k in _PAYLOAD_KEYS if k in update)
    payload = update[key]
    message = payload["message"] if key == "callback_query" else payload
    chat = _chat_for(chat_id, message["chat"])
    message["chat"] = chat
    if "sender_chat" in message and message["sender_chat"].get("type") == "channel":
        message["sender_chat"] = chat
    if chat["type"] == "private":
        user_holder = payload if key in ("callback_query", "my_chat_member") else message
        if "from" in user_holder:
            user_holder["from"]["id"] = chat_id
    if key == "callback_query":
        message["date"] = now - 60
    else:
        message["date"] = now - (1 if "edit_date" in message else 0)
        if "edit_date" in message:
            message["edit_date"] = now
    return update


def fixture_update(name: str, update_id: int, chat_id: int) -> dict[str, Any]:
    """Any fixture (``"message_sticker"`` or ``"message_sticker.json"``) retargeted."""
    return _retarget(load_fixture(name), update_id, chat_id)


def text_update(
    update_id: int,
    chat_id: int,
    text: str,
    user_id: int | None = None,
    language_code: str | None = "fr",
    *,
    message_id: int | None = None,
) -> dict[str, Any]:
    """A text message. A leading ``/command`` gets its ``bot_command`` entity, as Telegram
    adds it (``"/start ABC123"`` -> entity over ``/start``)."""
    update = _retarget(load_fixture("message_text"), update_id, chat_id)
    message = update["message"]
    message["message_id"] = message_id if message_id is not None else update_id % 2**31
    sender = message["from"]
    sender["id"] = user_id if user_id is not None else chat_id
    if language_code is None:
        sender.pop("language_code", None)
    else:
        sender["language_code"] = language_code
    message["text"] = text
    if text.startswith("/") and len(text) > 1:
        command = text.split(maxsplit=1)[0]
        length = len(command.encode("utf-16-le")) // 2
        message["entities"] = [{"offset": 0, "length": length, "type": "bot_command"}]
    return update


def callback_update(
    update_id: int,
    chat_id: int,
    data: str,
    message_id: int = 1,
    *,
    user_id: int | None = None,
    language_code: str | None = "fr",
) -> dict[str, Any]:
    """A button press on message ``message_id`` (sent by the bot in ``chat_id``)."""
    update = _retarget(load_fixture("callback_query"), update_id, chat_id)
    query = update["callback_query"]
    query["id"] = str(2200981637409551731 + update_id)
    query["data"] = data
    sender = query["from"]
    sender["id"] = user_id if user_id is not None else chat_id
    if language_code is None:
        sender.pop("language_code", None)
    else:
        sender["language_code"] = language_code
    query["message"]["message_id"] = message_id
    return update


def location_update(
    update_id: int, chat_id: int, lat: float, lon: float, *, message_id: int | None = None
) -> dict[str, Any]:
    """A shared location (the "share location" button)."""
    update = _retarget(load_fixture("message_location"), update_id, chat_id)
    message = update["message"]
    message["message_id"] = message_id if message_id is not None else update_id % 2**31
    message["location"] = {"latitude": float(lat), "longitude": float(lon)}
    return update

"""A sticker, a contact card, a file, a video note or a dice in a private chat gets a short
"send text or a number" hint in the person's language instead of silence (issue 20)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.telegram_updates import text_update
from tests.support import TelegramUser, texts

CHAT = 6100200300

UNSERVED: dict[str, dict[str, Any]] = {
    "sticker": {"file_id": "CAACAgQAAxkBAAIB", "file_unique_id": "AgADAgAD", "type": "regular",
                "width": 512, "height": 512, "is_animated": False, "is_video": False,
                "emoji": "👍"},
    "contact": {"phone_number": "+22790778899", "first_name": "Moussa"},
    "document": {"file_id": "BQACAgQAAxkBAAIC", "file_unique_id": "AgADBgAD",
                 "file_name": "papiers.pdf", "mime_type": "application/pdf"},
    "video_note": {"file_id": "DQACAgQAAxkBAAID", "file_unique_id": "AgADBwAD", "length": 240,
                   "duration": 5},
    "dice": {"emoji": "🎲", "value": 4},
}


def _unserved(update_id: int, kind: str) -> dict[str, Any]:
    update = text_update(update_id, CHAT, "x", language_code="en")
    del update["message"]["text"]
    update["message"][kind] = UNSERVED[kind]
    return update


@pytest.mark.parametrize("kind", UNSERVED)
def test_content_that_cannot_be_read_gets_a_hint_in_the_person_s_language(
        client, bot_api, store, kind):
    person = TelegramUser(client, bot_api, store, CHAT)
    person.say("hello")  # the language menu
    person.tap("lang:en")
    response = person.post(_unserved(9_100_000 + len(kind), kind))
    assert response.status_code == 200
    replies = person._replies()
    assert "Please send text, or a number from the list." in texts(replies)
    if kind == "contact":  # a contact card's number is neither stored nor echoed
        assert "+22790778899" not in texts(replies)

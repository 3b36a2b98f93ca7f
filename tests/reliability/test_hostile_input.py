"""Strange and hostile input gets a clear reply or a clear 4xx, never a 500."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import func, select

from bot.core.models import Contact, DeadLetter, IntakeMessage
from bot.core.settings import ROOT
from tests.conftest import WEBHOOK_SECRET
from tests.fakes.telegram_updates import text_update
from tests.support import SmsUser, TelegramUser

HEADERS = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}

STRANGE_TEXTS = [
    "😀🙏🏾🇳🇪",
    "مرحبا hello ɓaƙo ⵜⴰⵎⴰⵌⴰⵆ",  # right-to-left, Latin with hooks and Tifinagh in one line
    "\u202egnp.exe\u202c",  # a bidi override
    "st\u200bop",  # a zero-width space inside a word
    "nul\x00byte",
    "\x07\x1b[31mred\x1b[0m",
    "'; DROP TABLE contacts; --",
    "{{7*7}} {point} %s %(x)s ${x}",
    "x" * 1600,
    "   ",
]


@pytest.mark.parametrize("text", STRANGE_TEXTS, ids=range(len(STRANGE_TEXTS)))
def test_strange_telegram_text_gets_a_reply(client, bot_api, store, text):
    user = TelegramUser(client, bot_api, store, 8400000001)
    user.post(text_update(840_000_001, 8400000001, text))
    assert user.last_status == 200
    replies = user._replies()
    assert replies and all(r["text"] for r in replies)
    assert "49" not in replies[0]["text"]  # template syntax is never evaluated


@pytest.mark.parametrize("text", STRANGE_TEXTS, ids=range(len(STRANGE_TEXTS)))
def test_strange_sms_body_gets_a_reply(client, twilio_api, store, text):
    user = SmsUser(client, twilio_api, store, "+22793000001")
    assert user.say(text)


@pytest.mark.parametrize(("body", "content_type", "status"), [
    (b"{not json", "application/json", 400),
    (b"\xff\xfe\x00garbage", "application/octet-stream", 400),
    (b"[]", "application/json", 400),
    (b'{"update_id": "one"}', "application/json", 400),
    (b'{"message": {"text": "hi"}}', "application/json", 400),
    (b'{"update_id": 5, "message": {"text": "no chat"}}', "application/json", 400),
    (b'{"update_id": 6, "message": 42}', "application/json", 400),
    (b"update_id=7", "application/x-www-form-urlencoded", 400),
    # Past a bigint: such an id in a group commit failed the whole batch on PostgreSQL.
    (b'{"update_id": 1%s, "message": {"message_id": 1, "date": 1, "text": "hi", '
     b'"chat": {"id": 8, "type": "private"}}}' % (b"0" * 70), "application/json", 400),
    (b'{"update_id": 9223372036854775808, "message": {"message_id": 1, "date": 1, '
     b'"text": "hi", "chat": {"id": 8, "type": "private"}}}', "application/json", 400),
    (b'{"update_id": -8, "message": {"message_id": 1, "date": 1, "text": "hi", '
     b'"chat": {"id": 8, "type": "private"}}}', "application/json", 400),
])
def test_malformed_telegram_requests_get_a_clear_4xx(client, body, content_type, status):
    response = client.post("/webhooks/telegram", content=body,
                           headers={**HEADERS, "Content-Type": content_type})
    assert response.status_code == status
    assert response.json()["detail"]


@pytest.mark.parametrize("body", [b"", b"%%%", b"From=%2B227&Body=x", b"\x00" * 10])
def test_malformed_twilio_requests_are_refused_not_crashed(client, body):
    response = client.post("/webhooks/twilio/sms", content=body,
                           headers={"Content-Type": "application/x-www-form-urlencoded",
                                    "X-Twilio-Signature": "AAAA"})
    assert response.status_code == 403


BAD_SIDS = {
    "too long for the key": "SM" + "a" * 80,
    "upper-case digits": "SM" + "A" * 32,
    "another kind of id": "AC" + "a" * 32,
    "one digit short": "SM" + "a" * 31,
    "a newline after it": "SM" + "a" * 32 + "\n",
}


@pytest.mark.parametrize("sid", BAD_SIDS.values(), ids=list(BAD_SIDS))
def test_a_signed_sms_with_a_malformed_message_sid_is_refused_and_nothing_kept(
        client, twilio_api, store, sid):
    user = SmsUser(client, twilio_api, store, "+22793000004")
    response = user.post("SOS", sid=sid)
    assert response.status_code == 400 and response.json()["detail"] == "malformed MessageSid"
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(IntakeMessage)) == 0
        assert session.scalar(select(func.count()).select_from(DeadLetter)) == 0
    assert twilio_api.sent("+22793000004") == []


def test_a_telegram_update_id_that_fits_a_bigint_is_served(client, bot_api, store):
    user = TelegramUser(client, bot_api, store, 8400000002)
    user.post(text_update(2**63 - 1, 8400000002, "salut"))
    assert user.last_status == 200 and user._replies()


def _stop_words() -> list[tuple[str, str]]:
    entries = yaml.safe_load((ROOT / "content" / "keywords.yaml").read_text())["keywords"]
    return [(lang, word) for lang, entry in entries["stop"].items() for word in entry["words"]]


@pytest.mark.parametrize(("lang", "word"), _stop_words())
def test_every_stop_word_of_every_language_opts_out(client, twilio_api, store, lang, word):
    user = SmsUser(client, twilio_api, store, "+22793000002")
    user.say("INFO")
    assert user.say(f"  {word.lower()}  "), f"no answer to {word!r} ({lang})"
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Contact)
                              .where(Contact.stopped.is_(True))) == 1


@pytest.mark.parametrize("variant", ["ＳＴＯＰ", " Stop ", "stop\u200b", "arrêt", "ARRET"])
def test_stop_in_any_form_opts_out(client, twilio_api, store, variant):
    user = SmsUser(client, twilio_api, store, "+22793000003")
    user.say("INFO")
    user.say(variant)
    with store.session() as session:
        assert session.scalars(select(Contact)).one().stopped is True

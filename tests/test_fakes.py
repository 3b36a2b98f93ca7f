"""The fakes speak the providers' real wire format: driven by the real client libraries."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qsl

import httpx
import pytest
import telegram
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, RetryAfter, TimedOut
from telegram.request import HTTPXRequest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_updates import (
    FIXTURES,
    callback_update,
    fixture_names,
    fixture_update,
    load_fixture,
    location_update,
    text_update,
)
from tests.fakes.twilio_api import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, FakeTwilio, segments
from tests.fakes.twilio_signing import form_body, sign, signed_sms_form, signed_status_form

TOKEN = "123456:ABC-test"
EXPECTED_FIXTURES = {
    "message_text", "message_start", "message_start_deeplink", "callback_query",
    "message_location", "edited_message", "channel_post", "my_chat_member_kicked",
    "message_sticker", "message_photo", "message_voice", "group_message",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22.2+ warns (PTBDeprecationWarning) whenever an int time period is read -- including
    # inside RetryAfter.__init__ -- unless PTB_TIMEDELTA opts in to datetime.timedelta.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def sms() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


def make_bot(api: FakeBotApi, read_timeout: float | None = None) -> telegram.Bot:
    """A Bot pointed at the fake exactly as the app configures it (TELEGRAM_API_URL)."""
    request = HTTPXRequest(read_timeout=read_timeout) if read_timeout is not None else None
    return telegram.Bot(
        TOKEN, base_url=f"{api.url}/bot", base_file_url=f"{api.url}/file/bot", request=request
    )


# -- Telegram ------------------------------------------------------------------------------


def test_ptb_round_trip(api: FakeBotApi) -> None:
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Français", callback_data="lang:fr")],
         [InlineKeyboardButton("Hausa", callback_data="lang:ha")]]
    )  # fmt: skip

    async def scenario() -> None:
        async with make_bot(api) as bot:
            assert bot.username == "hanya_test_bot"
            first = await bot.send_message(42, "Choisissez votre langue :", reply_markup=keyboard)
            second = await bot.send_message(42, "deux")
            assert (first.message_id, second.message_id) == (1, 2)
            assert first.chat.id == 42 and first.chat.type == "private"
            assert first.reply_markup == keyboard
            assert first.from_user is not None and first.from_user.is_bot
            assert abs(first.date.timestamp() - time.time()) < 5
            assert await bot.answer_callback_query("cbq-1", text="OK") is True
            edited = await bot.edit_message_text("Merci", chat_id=42, message_id=1)
            assert isinstance(edited, telegram.Message) and edited.text == "Merci"
            assert edited.edit_date is not None and edited.reply_markup is None
            with pytest.raises(BadRequest, match="not modified"):
                await bot.edit_message_text("Merci", chat_id=42, message_id=1)
            marked = await bot.edit_message_reply_markup(42, 2, reply_markup=keyboard)
            assert isinstance(marked, telegram.Message) and marked.reply_markup == keyboard
            assert await bot.send_chat_action(42, "typing") is True
            assert await bot.set_webhook(
                "https://hanya.example/telegram/webhook",
                secret_token="s3cret_T0ken-x",
                allowed_updates=["message", "callback_query", "my_chat_member"],
            )
            info = await bot.get_webhook_info()
            assert info.url == "https://hanya.example/telegram/webhook"
            assert info.allowed_updates == ("message", "callback_query", "my_chat_member")
            assert await bot.delete_webhook() is True
            assert (await bot.get_webhook_info()).url == ""

    asyncio.run(scenario())

    assert [c.method for c in api.calls] == [
        "getMe", "sendMessage", "sendMessage", "answerCallbackQuery", "editMessageText",
        "editMessageText", "editMessageReplyMarkup", "sendChatAction", "setWebhook",
        "getWebhookInfo", "deleteWebhook", "getWebhookInfo",
    ]  # fmt: skip
    send = api.calls[1]
    assert send.params["chat_id"] == 42  # JSON-decoded int
    assert send.params["text"] == "Choisissez votre langue :"
    assert send.params["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Français", "callback_data": "lang:fr"}],
            [{"text": "Hausa", "callback_data": "lang:ha"}],
        ]
    }
    assert api.calls[3].params == {"callback_query_id": "cbq-1", "text": "OK"}
    assert not api.calls[5].ok and api.calls[5].status == 400
    hook = api.calls_to("setWebhook")[0].params
    assert hook["secret_token"] == "s3cret_T0ken-x"
    assert hook["allowed_updates"] == ["message", "callback_query", "my_chat_member"]
    assert [p["text"] for p in api.sent(chat_id=42)] == ["Choisissez votre langue :", "deux"]
    assert (api.message(42, 1) or {}).get("text") == "Merci"
    assert api.webhook is None


def test_send_photo_multipart_and_file_id(api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with make_bot(api) as bot:
            msg = await bot.send_photo(7, photo=b"\x89PNG\r\n\x1a\nfake", caption="Carte")
            assert msg.caption == "Carte" and len(msg.photo) == 3
            again = await bot.send_photo(7, photo=msg.photo[-1].file_id)
            assert again.message_id == 2
            tg_file = await bot.get_file(msg.photo[-1].file_id)
            assert await tg_file.download_as_bytearray() == bytearray(b"\x89PNG\r\n\x1a\nfake")

    asyncio.run(scenario())
    upload = api.sent(7)[0]["photo"]
    assert upload.data == b"\x89PNG\r\n\x1a\nfake" and upload.name == "photo"
    assert api.sent(7)[1]["photo"].startswith("AgAC")


def test_scripted_429_raises_retry_after(api: FakeBotApi) -> None:
    api.script("sendMessage", status=429, retry_after=7)

    async def scenario() -> None:
        async with make_bot(api) as bot:
            with pytest.raises(RetryAfter) as info:
                await bot.send_message(1, "x")
            assert info.value.retry_after == dt.timedelta(seconds=7)  # PTB_TIMEDELTA=1
            await bot.send_message(1, "y")  # script used up

    asyncio.run(scenario())
    failed, ok = api.calls_to("sendMessage")
    assert (failed.ok, failed.status, ok.ok) == (False, 429, True)
    assert api.rejections_429 == 1
    assert [p["text"] for p in api.sent()] == ["y"]


def test_blocked_chat_raises_forbidden_and_wrong_token_is_401(api: FakeBotApi) -> None:
    api.block(99)

    async def scenario() -> None:
        async with make_bot(api) as bot:
            with pytest.raises(Forbidden, match="blocked by the user"):
                await bot.send_message(99, "x")

    asyncio.run(scenario())
    wrong = httpx.post(f"{api.url}/bot000:nope/getMe")
    assert wrong.status_code == 401
    assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    unknown = httpx.post(f"{api.url}/bot{TOKEN}/noSuchMethod")
    assert unknown.status_code == 404 and unknown.json()["description"] == "Not Found"


def test_json_and_query_bodies_and_case_insensitive_methods(api: FakeBotApi) -> None:
    r = httpx.post(
        f"{api.url}/bot{TOKEN}/SENDMESSAGE",
        json={"chat_id": 5, "text": "123", "reply_markup": {"inline_keyboard": []}},
    )
    assert r.json()["ok"] and r.json()["result"]["text"] == "123"
    r = httpx.get(f"{api.url}/bot{TOKEN}/sendMessage", params={"chat_id": "5", "text": "true"})
    assert r.json()["result"]["message_id"] == 2
    assert [(p["chat_id"], p["text"]) for p in api.sent(5)] == [(5, "123"), (5, "true")]
    assert api.calls[0].method == "sendMessage"


def test_wait_helpers(api: FakeBotApi) -> None:
    def later() -> None:
        time.sleep(0.05)
        httpx.post(f"{api.url}/bot{TOKEN}/sendMessage", data={"chat_id": "3", "text": "hi"})

    threading.Thread(target=later).start()
    assert api.wait_sent(1, chat_id=3, timeout=2)[0]["text"] == "hi"
    assert api.wait_for(lambda c: c.method == "sendMessage").params["chat_id"] == 3
    with pytest.raises(AssertionError, match=r"1 call\(s\) recorded[\s\S]*sendMessage"):
        api.wait_sent(2, timeout=0.05)
    api.reset()
    assert api.calls == [] and api.sent() == []


def test_rate_limits() -> None:
    with FakeBotApi(token=TOKEN, per_chat_rate=1.0, global_rate=3) as limited:
        url = f"{limited.url}/bot{TOKEN}/sendMessage"
        with httpx.Client() as client:
            codes = [client.post(url, data={"chat_id": "1", "text": "a"}).status_code]
            r = client.post(url, data={"chat_id": "1", "text": "b"})
            codes.append(r.status_code)
            assert r.json()["parameters"] == {"retry_after": 1}
            codes += [
                client.post(url, data={"chat_id": str(c), "text": "c"}).status_code
                for c in (2, 3, 4)
            ]
    assert codes == [200, 429, 200, 200, 429]  # per chat, then global 3/s
    assert limited.rejections_429 == 2


def test_delay_makes_ptb_time_out(api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with make_bot(api, read_timeout=0.1) as bot:
            api.delay = 0.4
            with pytest.raises(TimedOut):
                await bot.send_message(1, "slow")
            api.delay = 0

    asyncio.run(scenario())
    assert api.sent(1)[0]["text"] == "slow"  # delivered although the client gave up


@pytest.mark.parametrize("name", sorted(EXPECTED_FIXTURES))
def test_every_fixture_parses(name: str) -> None:
    bot = telegram.Bot(TOKEN)
    raw = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    update = Update.de_json(raw, bot)
    assert update.update_id == raw["update_id"]
    assert update.effective_chat is not None
    rebuilt = Update.de_json(fixture_update(name, 1000, -4000 if "group" in name else 77), bot)
    assert rebuilt.update_id == 1000
    assert rebuilt.effective_chat is not None


def test_fixture_contents() -> None:
    assert set(fixture_names()) == EXPECTED_FIXTURES
    bot = telegram.Bot(TOKEN)
    kicked = Update.de_json(load_fixture("my_chat_member_kicked"), bot).my_chat_member
    assert kicked is not None and kicked.new_chat_member.status == "kicked"
    start = Update.de_json(load_fixture("message_start_deeplink"), bot).message
    assert start is not None and start.text == "/start ABC123"
    assert start.parse_entities() == {start.entities[0]: "/start"}

    text = Update.de_json(text_update(5, 42, "/aide svp", language_code="ha"), bot).message
    assert text is not None and text.from_user is not None
    assert text.chat.id == 42 and text.message_id == 5
    assert (text.from_user.id, text.from_user.language_code) == (42, "ha")
    assert text.entities[0].length == 5
    group = Update.de_json(text_update(6, -4001, "salut", user_id=42), bot).message
    assert group is not None and group.from_user is not None
    assert group.chat.type == "group" and group.from_user.id == 42
    cb = Update.de_json(callback_update(7, 42, "lang:ha", message_id=3), bot).callback_query
    assert cb is not None and cb.message is not None
    assert (cb.data, cb.message.message_id, cb.from_user.id) == ("lang:ha", 3, 42)
    where = Update.de_json(location_update(8, 42, 16.97, 7.99), bot).message
    assert where is not None and where.location is not None
    assert (where.location.latitude, where.location.longitude) == (16.97, 7.99)


# -- Twilio --------------------------------------------------------------------------------


def test_twilio_client_creates_message(sms: FakeTwilio) -> None:
    client = Client(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
    client.api.base_url = sms.url  # the recipe from tests/fakes/twilio_api.py
    client.edge = client.region = None
    msg = client.messages.create(
        to="+22790000001",
        from_="+15005550006",
        body="Bienvenue à Hanya",
        status_callback="https://hanya.example/twilio/status",
    )
    assert msg.sid.startswith("SM") and len(msg.sid) == 34
    assert (msg.status, msg.num_segments, msg.direction) == ("queued", "1", "outbound-api")
    assert msg.to == "+22790000001" and msg.from_ == "+15005550006"
    (sent,) = sms.wait_sent(1, to="+22790000001")
    assert (sent.sid, sent.body, sent.from_) == (msg.sid, "Bienvenue à Hanya", "+15005550006")
    assert sent.status_callback == "https://hanya.example/twilio/status"
    assert client.messages(msg.sid).fetch().status == "queued"

    via_service = sms.client().messages.create(
        to="+22790000002", messaging_service_sid="MG" + "a" * 32, body="x" * 161
    )
    assert (via_service.status, via_service.from_, via_service.num_segments) == (
        "accepted", None, "2",
    )  # fmt: skip


def test_twilio_errors(sms: FakeTwilio) -> None:
    client = sms.client()
    sms.script(status=400, code=21211)
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(to="+22790000001", from_="+15005550006", body="x")
    assert (info.value.status, info.value.code) == (400, 21211)

    sms.unsubscribe("+22790000009")
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(to="+22790000009", from_="+15005550006", body="x")
    assert info.value.code == 21610

    with pytest.raises(TwilioRestException) as info:
        client.messages.create(to="0790000001", from_="+15005550006", body="x")
    assert info.value.code == 21211

    sms.script(status=429, code=20429)
    sms.script(status=500, code=20500)
    for status in (429, 500):
        with pytest.raises(TwilioRestException) as info:
            client.messages.create(to="+22790000001", from_="+15005550006", body="x")
        assert info.value.status == status

    bad = Client(TEST_ACCOUNT_SID, "wrong-token")
    bad.api.base_url = sms.url
    with pytest.raises(TwilioRestException) as info:
        bad.messages.create(to="+22790000001", from_="+15005550006", body="x")
    assert (info.value.status, info.value.code) == (401, 20003)
    assert sms.messages == [] and sms.rejections_429 == 1
    assert [c.code for c in sms.calls] == [21211, 21610, 21211, 20429, 20500, 20003]


def test_twilio_rate_limit() -> None:
    with FakeTwilio(rate=2) as fake:
        client = fake.client()
        client.messages.create(to="+22790000001", from_="+15005550006", body="1")
        client.messages.create(to="+22790000002", from_="+15005550006", body="2")
        with pytest.raises(TwilioRestException) as info:
            client.messages.create(to="+22790000003", from_="+15005550006", body="3")
        assert info.value.code == 20429
        client.messages.create(to="+22790000003", from_="+15005550007", body="other sender")
    assert len(fake.messages) == 3


def test_segments() -> None:
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2
    assert segments("€" * 80) == 1 and segments("€" * 81) == 2  # extension chars count twice
    assert segments("ɗ" * 70) == 1 and segments("ɗ" * 71) == 2  # Hausa hooked d: UCS-2


def test_signed_webhooks_validate() -> None:
    url = "https://hanya.example/twilio/sms?tenant=niamey"
    form, headers = signed_sms_form(
        url, TEST_AUTH_TOKEN, from_="+22790000001", to="+15005550006", body="AIDE"
    )
    validator = RequestValidator(TEST_AUTH_TOKEN)
    assert validator.validate(url, form, headers["X-Twilio-Signature"])
    assert not RequestValidator("other").validate(url, form, headers["X-Twilio-Signature"])
    assert (form["FromCountry"], form["ToCountry"], form["SmsStatus"]) == ("NE", "US", "received")
    assert form["MessageSid"] == form["SmsSid"] == form["SmsMessageSid"]
    assert list(form)[:3] == ["ToCountry", "ToState", "SmsMessageSid"]
    # as the app receives it: the urlencoded body, decoded again -- keeping blank values!
    body = form_body(form)
    sig = headers["X-Twilio-Signature"]
    assert validator.validate(url, dict(parse_qsl(body, keep_blank_values=True)), sig)
    assert not validator.validate(url, dict(parse_qsl(body)), sig)  # ToState= etc. dropped

    status, status_headers = signed_status_form(
        "https://hanya.example/twilio/status", TEST_AUTH_TOKEN,
        message_sid="SM" + "1" * 32, status="undelivered", error_code=30003,
    )  # fmt: skip
    assert status["ErrorCode"] == "30003" and status["MessageStatus"] == "undelivered"
    assert validator.validate(
        "https://hanya.example/twilio/status", status, status_headers["X-Twilio-Signature"]
    )

    for name in ("inbound_sms", "status_delivered", "status_failed"):
        body = (FIXTURES.parent / "twilio" / f"{name}.txt").read_text(encoding="utf-8")
        params = dict(parse_qsl(body, keep_blank_values=True))
        assert params["AccountSid"] == TEST_ACCOUNT_SID and params["ApiVersion"] == "2010-04-01"
        signature = sign("https://x.example/hook", params, TEST_AUTH_TOKEN)
        assert validator.validate("https://x.example/hook", params, signature)


def test_signed_form_validates_through_fastapi() -> None:
    app = FastAPI()

    @app.post("/twilio/sms")
    async def inbound(request: Request) -> dict[str, bool]:
        form = await request.form()
        signature = request.headers.get("X-Twilio-Signature", "")
        return {"valid": RequestValidator(TEST_AUTH_TOKEN).validate(
            str(request.url), dict(form), signature
        )}  # fmt: skip

    form, headers = signed_sms_form(
        "http://testserver/twilio/sms", TEST_AUTH_TOKEN,
        from_="+22790000001", to="+15005550006", body="Salut & à+",
    )  # fmt: skip
    with TestClient(app) as client:
        assert client.post("/twilio/sms", data=form, headers=headers).json() == {"valid": True}
        headers["X-Twilio-Signature"] = "forged"
        assert client.post("/twilio/sms", data=form, headers=headers).json() == {"valid": False}

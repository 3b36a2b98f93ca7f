"""The sender's Telegram transport (PTB on aiohttp, webhooks/telegram_transport.py) puts the
same requests on the wire as PTB's own httpx transport, and its failures become the same
errors: checked against the fake Bot API, for both transports side by side."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import pytest

from bot.core.errors import ContactStopped, PermanentSendError, TemporarySendError, Throttled
from bot.core.messages import Outgoing
from tests.fakes._server import Upload
from tests.fakes.telegram_api import FakeBotApi
from webhooks.telegram import TelegramSender

TRANSPORTS = ["aiohttp", "httpx"]


def send(api: FakeBotApi, transport: str, address: str, message: Outgoing, *,
         timeout: float = 10.0) -> str | None:
    async def scenario() -> str | None:
        sender = TelegramSender(api.token, api.url, timeout=timeout, transport=transport)
        await sender.start()
        try:
            return await sender.send(address, message)
        finally:
            await sender.stop()

    return asyncio.run(scenario())


def last_params(api: FakeBotApi) -> dict[str, Any]:
    return dict(api.calls[-1].params)


def test_the_default_transport_is_aiohttp(bot_api: FakeBotApi) -> None:
    from webhooks.telegram_transport import AiohttpRequest

    assert isinstance(TelegramSender(bot_api.token, bot_api.url).bot.request, AiohttpRequest)


def test_text_and_buttons_reach_the_api_as_with_ptb_s_own_transport(bot_api: FakeBotApi) -> None:
    message = Outgoing(text="Choisissez : é ü ⵜ ሰላም 🙂", buttons=[[
        {"text": "1 Niamey", "data": "place:niamey"},
        {"text": "2 Agadez", "data": "place:agadez"}]])
    seen, ids = [], []
    for transport in TRANSPORTS:
        ids.append(send(bot_api, transport, "telegram:4242", message))
        seen.append(last_params(bot_api))
    assert seen[0] == seen[1]
    assert all(i and i.isdigit() for i in ids) and ids[0] != ids[1]  # the API's message ids
    assert seen[0]["text"] == message.text
    assert seen[0]["reply_markup"]["inline_keyboard"][0][1] == {
        "text": "2 Agadez", "callback_data": "place:agadez"}


def test_a_chart_goes_as_a_multipart_upload_with_its_caption(bot_api: FakeBotApi,
                                                             tmp_path: Path) -> None:
    chart = tmp_path / "chart.png"
    chart.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    uploads = []
    for transport in TRANSPORTS:
        send(bot_api, transport, "telegram:77", Outgoing(text="Hebdo", photo_path=str(chart)))
        call = bot_api.calls[-1]
        assert call.method == "sendPhoto" and call.params["caption"] == "Hebdo"
        assert isinstance(call.params["photo"], Upload)
        uploads.append(call.params["photo"].data)
    assert uploads == [chart.read_bytes()] * 2


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_provider_answers_become_the_sender_s_errors(bot_api: FakeBotApi, transport: str) -> None:
    bot_api.script("sendMessage", status=429, retry_after=7)
    with pytest.raises(Throttled) as throttled:
        send(bot_api, transport, "telegram:5", Outgoing(text="a"))
    assert throttled.value.retry_after == 7
    bot_api.block(6)
    with pytest.raises(ContactStopped):
        send(bot_api, transport, "telegram:6", Outgoing(text="b"))
    bot_api.script("sendMessage", status=400, description="Bad Request: chat not found")
    with pytest.raises(ContactStopped):
        send(bot_api, transport, "telegram:8", Outgoing(text="c"))
    bot_api.script("sendMessage", status=400, description="Bad Request: message is too long")
    with pytest.raises(PermanentSendError):
        send(bot_api, transport, "telegram:8", Outgoing(text="d"))
    bot_api.script("sendMessage", status=502)
    with pytest.raises(TemporarySendError):
        send(bot_api, transport, "telegram:8", Outgoing(text="e"))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_slow_answer_is_a_temporary_ambiguous_failure(bot_api: FakeBotApi,
                                                        transport: str) -> None:
    async def scenario() -> None:
        sender = TelegramSender(bot_api.token, bot_api.url, timeout=0.2, transport=transport)
        await sender.start()
        bot_api.delay = 0.6
        try:
            with pytest.raises(TemporarySendError, match="timed out"):
                await sender.send("telegram:9", Outgoing(text="slow"))
        finally:
            bot_api.delay = 0
            await sender.stop()

    asyncio.run(scenario())
    assert bot_api.wait_sent(1, chat_id=9)[0]["text"] == "slow"  # it arrived all the same


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_unreachable_api_is_a_temporary_failure(transport: str) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def scenario() -> None:
        sender = TelegramSender("1:x", f"http://127.0.0.1:{port}", timeout=1.0,
                                transport=transport)
        with pytest.raises(TemporarySendError):
            await sender.send("telegram:1", Outgoing(text="x"))
        await sender.stop()

    asyncio.run(scenario())

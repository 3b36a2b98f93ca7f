"""Telegram: parse updates (python-telegram-bot), verify the secret header, send through Bot.

A sample update as the Bot API posts it (tests/fixtures/telegram/message_text.json):
    {"update_id": 10001, "message": {"message_id": 7, "date": 1763900000,
     "chat": {"id": 3527065, "type": "private"}, "from": {"id": 3527065, ...}, "text": "salut"}}
"""

from __future__ import annotations

import fcntl
import hmac
import json
import logging
import os
import tempfile
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.core import channel_registry
from bot.core.errors import (
    ContactStopped,
    Ignored,
    PermanentSendError,
    Rejected,
    TemporarySendError,
    Throttled,
)
from bot.core.messages import MsgIn, Outgoing
from bot.core.outbox import Limits, Rule
from webhooks import channels
from webhooks.telegram_transport import AiohttpRequest

log = logging.getLogger(__name__)
# PTB 22 warns on every flood-control answer unless durations are timedeltas (its documented
# opt-in, the default of its next major version); ``_seconds`` reads either form.
os.environ.setdefault("PTB_TIMEDELTA", "true")
CHANNEL = channels.TELEGRAM
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MAX_UPDATE_ID = 2**63 - 1  # a signed 64-bit integer (PostgreSQL's bigint), 19 digits


# Why the webhook refuses everything, for the log at start and /readyz (names, never values).
UNCONFIGURED = ("HANYA_TELEGRAM_WEBHOOK_SECRET is not set: the Telegram webhook refuses every "
                "update until it is (then run hanya telegram set-webhook)")


def verify_secret(expected: str | None, received: str | None) -> None:
    """Reject a request whose secret header does not match; with no secret configured, reject
    every request (fail closed, as the Twilio webhook does without its auth token)."""
    if not expected:
        raise Rejected("Telegram webhook is not configured (no secret token)")
    if not hmac.compare_digest(expected.encode(), (received or "").encode()):
        raise Rejected("bad or missing secret token")


def parse_update(data: Any) -> tuple[MsgIn, str | None]:
    """Turn an update into a neutral message and the callback query id to answer, if any.

    Raises Ignored for updates we do not serve, Rejected for payloads that are not updates.
    Reads the few fields we use straight from the Bot API's JSON: building python-telegram-bot's
    objects for the whole update (a callback carries the full message and its keyboard) was a
    third of a webhook's CPU. ``tests/test_telegram_parse.py`` checks that every recorded
    update gives what ``Update.de_json`` gives.
    """
    if not isinstance(data, dict) or not _is_int(data.get("update_id")):
        raise Rejected("not a Telegram update", status_code=400)
    if not 0 <= data["update_id"] <= MAX_UPDATE_ID:
        # Telegram's ids are positive and far below this: refused here, one such update put
        # in a group commit failed the whole batch on the store's key (docs/RELIABILITY.md).
        raise Rejected("update_id out of range", status_code=400)
    external_id = str(data["update_id"])
    query = data.get("callback_query")
    if query is not None:
        query = _object(query)
        message = _object(query["message"]) if query.get("message") is not None else None
        chat = _chat(message) if message is not None else None
        if chat is None or chat["type"] != "private":
            raise Ignored("callback outside a private chat")
        choice = query.get("data")
        return (MsgIn(CHANNEL, f"telegram:{chat['id']}", external_id, kind="choice",
                      choice=choice if isinstance(choice, str) else ""), _text(query, "id"))
    member = data.get("my_chat_member")
    if member is not None:
        member = _object(member)
        chat, new = _chat(member), _object(member.get("new_chat_member"))
        if chat["type"] == "private" and new.get("status") == "kicked":
            return MsgIn(CHANNEL, f"telegram:{chat['id']}", external_id, kind="blocked"), None
        raise Ignored("membership change")
    if data.get("message") is None:
        raise Ignored("update kind not served")
    message = _object(data["message"])
    chat = _chat(message)
    if chat["type"] != "private":
        raise Ignored("group or channel message")
    address = f"telegram:{chat['id']}"
    sender = message.get("from")
    hint = sender.get("language_code") if isinstance(sender, dict) else None
    hint = hint if isinstance(hint, str) else None
    location = message.get("location")
    if location is not None:
        location = _object(location)
        latitude, longitude = location.get("latitude"), location.get("longitude")
        if not isinstance(latitude, int | float) or not isinstance(longitude, int | float) \
                or isinstance(latitude, bool) or isinstance(longitude, bool):
            raise Rejected("malformed update: location", status_code=400)
        return (MsgIn(CHANNEL, address, external_id, kind="location",
                      location=(float(latitude), float(longitude)), language_hint=hint), None)
    text = message.get("text")
    if text is not None:
        if not isinstance(text, str):
            raise Rejected("malformed update: text", status_code=400)
        # A "/command" stays as typed: the engine reads it (Engine.slashes, from the commands
        # each conversation declares), as it does in `hanya chat` and /preview.
        return MsgIn(CHANNEL, address, external_id, text=text,
                     language_hint=hint), None
    media = _media(message)
    if media is not None:  # kept as Telegram's file id (reports); never downloaded
        caption = message.get("caption")
        return MsgIn(CHANNEL, address, external_id, kind="media", media=media,
                     text=caption if isinstance(caption, str) else "", language_hint=hint), None
    if any(key in message for key in UNSERVED_CONTENT):
        # A sticker, a contact card, a file, a video note, a dice...: nothing we can keep, but
        # a person who sent it waits for an answer; the conversation says to send text.
        return MsgIn(CHANNEL, address, external_id, kind="media", language_hint=hint), None
    raise Ignored("message kind not served")


# What a person can send that is neither text, a location, a photo nor a voice note (Bot API
# Message fields); service messages (a member joined, a pinned message) are none of these.
UNSERVED_CONTENT = ("sticker", "contact", "document", "video", "video_note", "animation",
                    "audio", "dice", "poll", "venue", "game")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Rejected("malformed update: an object expected", status_code=400)
    return value


def _text(value: dict[str, Any], key: str) -> str:
    found = value.get(key)
    if not isinstance(found, str):
        raise Rejected(f"malformed update: {key}", status_code=400)
    return found


def _chat(holder: dict[str, Any]) -> dict[str, Any]:
    """The chat of a message or membership change, with an integer id and a type."""
    chat = _object(holder.get("chat"))
    if not _is_int(chat.get("id")) or not isinstance(chat.get("type"), str):
        raise Rejected("malformed update: chat", status_code=400)
    return chat


def _media(message: dict[str, Any]) -> tuple[str, str] | None:
    photo = message.get("photo")
    if isinstance(photo, list) and photo:
        return ("photo", _text(_object(photo[-1]), "file_id"))  # the largest size
    voice = message.get("voice")
    if voice is not None:
        return ("voice", _text(_object(voice), "file_id"))
    return None


def callback_answer(callback_id: str) -> dict[str, str]:
    """A webhook response body that answers a callback query without another request."""
    return {"method": "answerCallbackQuery", "callback_query_id": callback_id}


def reply_markup(message: Outgoing) -> Any:
    if message.buttons:
        return InlineKeyboardMarkup([[InlineKeyboardButton(b["text"], callback_data=b["data"])
                                      for b in row] for row in message.buttons])
    if message.location_button:
        return ReplyKeyboardMarkup([[KeyboardButton(message.location_button,
                                                    request_location=True)]],
                                   resize_keyboard=True, one_time_keyboard=True)
    if message.remove_keyboard:
        return ReplyKeyboardRemove()
    return None


class VoiceFileIds:
    """Telegram's ``file_id`` of each recording this bot has uploaded (issue 24): a recording
    is uploaded once per bot, then sent by its id. A file id is only valid for the bot that got
    it, so ids are kept per bot (its numeric id, the token's public part), on disk as JSON so
    that a restart does not upload again. Not personal data: ids of our own recordings.

    Two processes may send at once (the web process's sender and ``hanya outbox run``): each
    change is made under an exclusive lock on ``<file>.lock``, to what is on disk then (read
    again, so neither loses the other's ids), written to a temporary file of its own and
    renamed over the file (a reader sees the old file or the new one, never half of one);
    ``get`` reads the file again when another process changed it.
    """

    def __init__(self, path: Path | None, bot: str) -> None:
        self.path, self.bot = path, bot
        self.ids: dict[str, dict[str, str]] = {}
        self._stamp: tuple[int, int] | None = None  # (inode, mtime): each rename a new inode
        self._reload()

    def _reload(self) -> None:
        if self.path is None:
            return
        try:
            found = self.path.stat()
        except OSError:
            return
        stamp = (found.st_ino, found.st_mtime_ns)
        if stamp == self._stamp:
            return
        try:
            self.ids, self._stamp = json.loads(self.path.read_text("utf-8")), stamp
        except (OSError, ValueError):  # a damaged file costs one upload per recording
            log.warning("telegram voice file ids unreadable: recordings will be uploaded "
                        "again")
            self._stamp = stamp

    def get(self, digest: str) -> str | None:
        self._reload()
        return self.ids.get(self.bot, {}).get(digest)

    def put(self, digest: str, file_id: str | None) -> None:
        if self.path is None:
            self._change(self.ids, digest, file_id)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            self._stamp = None
            self._reload()  # what the other process wrote meanwhile
            self._change(self.ids, digest, file_id)
            partial = tempfile.NamedTemporaryFile(  # noqa: SIM115 - renamed, not closed, below
                "w", encoding="utf-8", dir=self.path.parent, prefix=self.path.name,
                suffix=".tmp", delete=False)
            with partial:
                json.dump(self.ids, partial, indent=1)
            os.replace(partial.name, self.path)
            self._stamp = None  # read again at the next get: cheap, and never stale

    def _change(self, ids: dict[str, dict[str, str]], digest: str, file_id: str | None) -> None:
        mine = ids.setdefault(self.bot, {})
        if file_id is None:
            mine.pop(digest, None)
        else:
            mine[digest] = file_id


class TelegramSender:
    """Sends outbox messages with python-telegram-bot's Bot against ``api_url``."""

    def __init__(self, token: str, api_url: str, *, timeout: float = 10.0,
                 transport: Literal["aiohttp", "httpx"] = "aiohttp",
                 voice_ids: Path | None = None) -> None:
        # aiohttp by default: a fifth of httpx's CPU per send (webhooks/telegram_transport.py).
        request: BaseRequest
        if transport == "httpx":
            request = HTTPXRequest(connection_pool_size=16, read_timeout=timeout,
                                   write_timeout=timeout, connect_timeout=timeout)
        else:
            request = AiohttpRequest(16, read_timeout=timeout, write_timeout=timeout,
                                     connect_timeout=timeout)
        self.bot = Bot(token, base_url=f"{api_url}/bot", base_file_url=f"{api_url}/file/bot",
                       request=request)
        self._ready = False
        self.voice_ids = VoiceFileIds(voice_ids, token.split(":", 1)[0])

    async def start(self) -> None:
        await self.bot.initialize()
        self._ready = True

    async def stop(self) -> None:
        await self.bot.shutdown()

    async def send(self, address: str, message: Outgoing) -> str | None:
        chat_id = int(address.removeprefix("telegram:"))
        if not self._ready:  # Telegram was unreachable at start: try again now
            try:
                await self.start()
            except TelegramError as exc:
                raise TemporarySendError(f"telegram: not reachable ({type(exc).__name__})") from exc
        try:
            if message.photo_path:  # a chart: the text goes with it as its caption
                sent = await self._send_photo(chat_id, message)
            elif message.voice_path:  # a recording: the text (if any) as its caption
                sent = await self._send_voice(chat_id, message)
            else:
                # No parse mode: content text is sent as plain text, nothing to escape.
                sent = await self.bot.send_message(chat_id, message.text,
                                                   reply_markup=reply_markup(message))
        except RetryAfter as exc:
            raise Throttled("telegram flood control", retry_after=_seconds(exc)) from exc
        except Forbidden as exc:
            raise ContactStopped(f"telegram: {exc.message}") from exc
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():  # the address itself is dead
                raise ContactStopped(f"telegram: {exc.message}") from exc
            raise PermanentSendError(f"telegram: {exc.message}") from exc
        except TimedOut as exc:  # the message may have arrived: a retry may be an extra copy
            log.warning("telegram send timed out: it may have been delivered; retrying may "
                        "send one extra copy")
            raise TemporarySendError("telegram: timed out (ambiguous)") from exc
        except (NetworkError, TelegramError) as exc:
            raise TemporarySendError(f"telegram: {type(exc).__name__}") from exc
        return str(sent.message_id)

    async def _send_photo(self, chat_id: int, message: Outgoing) -> Any:
        try:
            with open(message.photo_path or "", "rb") as photo:
                return await self.bot.send_photo(chat_id, photo, caption=message.text[:1024],
                                                 reply_markup=reply_markup(message))
        except FileNotFoundError as exc:  # the file went with another machine: never coming
            raise PermanentSendError("telegram: photo file missing") from exc

    async def _send_voice(self, chat_id: int, message: Outgoing) -> Any:
        """By the file id Telegram gave at the first upload; uploaded when there is none yet (or
        Telegram no longer knows it), and the id it returns kept for next time."""
        caption, markup = message.text or None, reply_markup(message)
        digest = message.voice_digest or ""
        known = self.voice_ids.get(digest) if digest else None
        if known is not None:
            try:
                return await self.bot.send_voice(chat_id, known, caption=caption,
                                                 reply_markup=markup)
            except BadRequest as exc:
                if "file" not in exc.message.lower():
                    raise
                log.warning("telegram refused a stored voice file id: uploading the recording")
                self.voice_ids.put(digest, None)
        try:
            with open(message.voice_path or "", "rb") as voice:
                sent = await self.bot.send_voice(chat_id, voice, caption=caption,
                                                 reply_markup=markup)
        except FileNotFoundError as exc:  # removed by an editor since: its text still goes
            if message.text:
                return await self.bot.send_message(chat_id, message.text, reply_markup=markup)
            raise PermanentSendError("telegram: recording file missing") from exc
        if digest and sent.voice is not None:
            self.voice_ids.put(digest, sent.voice.file_id)
        return sent

    async def set_webhook(self, url: str, secret: str | None) -> bool:
        return await self.bot.set_webhook(
            url, secret_token=secret,
            allowed_updates=["message", "callback_query", "my_chat_member"])


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB warns about the int form; accept both forms
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


# --- the channel, as the core sees it (bot/core/channel_registry.py) ----------------------------

def rate_rules(limits: Limits, address: str) -> list[Rule]:
    """~30/s for the bot, 1/s per chat (20/min per group: a negative chat id), a short burst."""
    chat = address.removeprefix("telegram:")
    per_chat = limits.telegram_per_group if chat.startswith("-") else limits.telegram_per_chat
    return [Rule(CHANNEL, limits.gap(limits.telegram_overall)),
            Rule(address, limits.gap(per_chat, limits.margin), limits.chat_burst)]


def sender_from(settings: Any) -> TelegramSender | None:
    if settings.telegram_token is None:
        return None
    return TelegramSender(settings.telegram_token.get_secret_value(), settings.telegram_api_url,
                          voice_ids=settings.spool_dir.parent / "telegram_voice_ids.json")


# Imported by the registry when the core first needs it (webhooks/channels.py names it).
ADAPTER = channel_registry.Adapter(
    rules=rate_rules, overall_rate=lambda limits: limits.telegram_overall, sender=sender_from)

"""FakeBotApi: a local Telegram Bot API server speaking the real wire format.

Usage::

    with FakeBotApi(token="123:ABC") as api:
        bot = telegram.Bot("123:ABC", base_url=f"{api.url}/bot",
                           base_file_url=f"{api.url}/file/bot")
        ...
        api.wait_sent(1, chat_id=42)

The app under test gets ``TELEGRAM_API_URL=api.url``; requests arrive at
``POST /bot<token>/<method>`` (``GET`` works too, as on Telegram). Method names are
case-insensitive, as on Telegram; ``Call.method`` always holds the canonical spelling.

How python-telegram-bot 22 encodes a request (``telegram/request/_requestdata.py``,
``_requestparameter.py``, ``_httpxrequest.py``): always ``POST``; every parameter goes through
``RequestParameter.json_value`` -- a ``str`` value is sent **as is**, anything else
(int, bool, list, dict, e.g. ``chat_id``, ``reply_markup``, ``allowed_updates``) is
``json.dumps``-ed -- and the resulting ``dict[str, str]`` is handed to
``httpx.request(data=..., files=...)``. So without files the body is
``application/x-www-form-urlencoded`` with JSON-encoded values; with files (an ``InputFile``,
e.g. ``send_photo(photo=open(...))``) it is ``multipart/form-data`` with the same string fields
as plain parts and the file as a part named after the parameter (or ``attach://<name>`` for
media groups). PTB never sends a JSON body; this server also accepts ``application/json``
bodies and query-string parameters (both valid for the real Bot API).

Decoding: for parameters that are strings in the Bot API (``text``, ``caption``,
``secret_token``, ``url``, file ids, ...) the value is kept as is; every other value is
``json.loads``-ed when possible, so ``Call.params["chat_id"]`` is an ``int`` and
``Call.params["reply_markup"]`` a ``dict``. Uploaded files appear as
:class:`tests.fakes._server.Upload`.

PTB gotcha: since 22.2 PTB emits ``PTBDeprecationWarning`` whenever an int time period is
read -- including inside ``RetryAfter.__init__`` -- unless ``PTB_TIMEDELTA=1`` (then
``RetryAfter.retry_after`` is a ``datetime.timedelta``). Under ``filterwarnings = error`` a 429
therefore surfaces as ``PTBDeprecationWarning`` instead of ``RetryAfter`` unless that env var
is set; tests/test_fakes.py sets it.

Behaviour worth knowing:

* ``message_id`` counts per chat from 1 (as in a private chat with a new bot), so
  ``telegram_updates.callback_update(..., message_id=1)`` points at the first message the bot
  sent to that chat.
* ``reply_markup`` is echoed in the returned Message only for inline keyboards (Telegram does
  not echo reply keyboards).
* Editing a message the fake knows with identical text and markup answers 400
  ``message is not modified`` like Telegram; editing an unknown message is accepted.
* Light validation as Telegram does it: empty/over-4096 text, callback_data over 64 bytes,
  caption over 1024, bad ``secret_token`` characters, non-HTTPS webhook URL (switch off with
  ``require_https_webhook=False``).
* ``delay``: the request is processed (and recorded) first, then the answer is held back --
  the "message was delivered but the client timed out" case an app must survive.
* Rate limits are sliding-window logs (see :class:`tests.fakes._server.SlidingWindow`):
  ``global_rate=300`` allows 300 accepted sends in any rolling second over all chats,
  ``per_chat_rate=1.0`` one per rolling second per chat (0.5 -> one per rolling 2 s). Only
  accepted sends count; a 429 carries ``retry_after`` = whole seconds until a slot frees (>= 1).
  "Sends" are the ``send*`` methods except ``sendChatAction``, plus ``copyMessage`` and
  ``forwardMessage``. ``rejections_429`` counts every 429 answered (rate limits and scripts).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.fakes._server import (
    FakeServerBase,
    QuietHandler,
    SlidingWindow,
    Upload,
    parse_body,
    truncate,
)

__all__ = ["Call", "FakeBotApi", "TelegramError", "Upload"]


@dataclass(frozen=True, slots=True)
class Call:
    """One request the fake answered (errors included, with ``ok=False``)."""

    method: str
    params: dict[str, Any]
    at: float
    ok: bool = True
    status: int = 200
    description: str | None = None

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")


class TelegramError(Exception):
    """Raised inside the fake to answer with Telegram's error shape."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            out["parameters"] = self.parameters
        return out


@dataclass(slots=True)
class _Script:
    status: int
    description: str
    parameters: dict[str, Any] | None
    remaining: int


@dataclass(slots=True)
class _Stored:
    message: dict[str, Any]
    file_ids: list[str] = field(default_factory=list)


# Parameters the Bot API types as String: kept verbatim (never json-decoded).
_STRING_PARAMS = frozenset(
    {
        "text", "caption", "parse_mode", "url", "secret_token", "callback_query_id",
        "inline_message_id", "action", "business_connection_id", "ip_address", "file_id",
        "photo", "document", "sticker", "voice", "audio", "video", "animation", "video_note",
        "thumbnail", "emoji", "title", "description", "short_description", "name",
        "language_code", "message_effect_id", "query_id", "certificate", "address",
        "foursquare_id", "first_name", "last_name", "phone_number", "question",
    }
)  # fmt: skip

_METHODS = (
    "getMe", "logOut", "close", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo",
    "sendMessage", "sendPhoto", "sendDocument", "sendVoice", "sendLocation", "sendChatAction",
    "answerCallbackQuery", "editMessageText", "editMessageReplyMarkup", "editMessageCaption",
    "deleteMessage", "getFile", "setMyCommands", "deleteMyCommands", "getMyCommands",
    "setChatMenuButton", "setMyDescription", "setMyShortDescription", "setMyName", "getChat",
    "copyMessage", "forwardMessage",
)  # fmt: skip
_CANONICAL = {m.lower(): m for m in _METHODS}
_SEND_METHODS = frozenset(m for m in _METHODS if m.startswith("send") and m != "sendChatAction") | {
    "copyMessage",
    "forwardMessage",
}
_CHAT_METHODS = _SEND_METHODS | {
    "sendChatAction", "editMessageText", "editMessageReplyMarkup", "editMessageCaption",
    "deleteMessage",
}  # fmt: skip
_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip
_PATH_RE = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)/?$")
_FILE_RE = re.compile(r"^/file/bot(?P<token>[^/]+)/(?P<path>.+)$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


def _default_description(status: int, retry_after: int | None) -> str:
    return {
        400: "Bad Request: chat not found",
        401: "Unauthorized",
        403: "Forbidden: bot was blocked by the user",
        404: "Not Found",
        409: "Conflict: terminated by other getUpdates request; make sure that only one bot "
        "instance is running",
        429: f"Too Many Requests: retry after {retry_after}",
        500: "Internal Server Error",
        502: "Bad Gateway",
    }.get(status, f"Error {status}")


def _decode(raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and key not in _STRING_PARAMS:
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        out[key] = value
    return out


class _Handler(QuietHandler):
    def do_POST(self) -> None:
        self.server.fake._serve(self)

    do_GET = do_POST


class FakeBotApi(FakeServerBase):
    """A Telegram Bot API double on ``http://127.0.0.1:<ephemeral port>``.

    Public API: ``url``, ``token``, ``bot_user``, ``calls``, ``sent(chat_id=None)``,
    ``calls_to(method)``, ``message(chat_id, message_id)``, ``webhook``,
    ``wait_for(predicate)``, ``wait_sent(n, chat_id=None)``, ``reset()``,
    ``script(...)``, ``block(chat_id)``, ``unblock(chat_id)``, ``delay``,
    ``rejections_429``, ``start()/stop()`` (or use as a context manager).
    """

    handler_class = _Handler

    def __init__(
        self,
        token: str = "123456789:TEST-token_abcdefghijklmnopqrstuv",
        *,
        global_rate: float | None = None,
        per_chat_rate: float | None = None,
        bot_username: str = "hanya_test_bot",
        bot_first_name: str = "Hanya (test)",
        require_https_webhook: bool = True,
    ) -> None:
        super().__init__()
        self.token = token
        self.global_rate = global_rate
        self.per_chat_rate = per_chat_rate
        self.require_https_webhook = require_https_webhook
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self._init_state()

    def _init_state(self) -> None:
        self._calls: list[Call] = []
        self._sent: list[dict[str, Any]] = []
        self._sent_by_chat: dict[Any, list[dict[str, Any]]] = {}
        self._scripts: dict[str, deque[_Script]] = {}
        self._blocked: set[Any] = set()
        self._messages: dict[tuple[Any, int], _Stored] = {}
        self._next_id: dict[Any, int] = {}
        self._files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, data)
        self._file_seq = itertools.count(1)
        self._downloads = 0
        self.webhook: dict[str, Any] | None = None
        self.rejections_429 = 0
        self._global = SlidingWindow(self.global_rate) if self.global_rate else None
        self._per_chat: dict[Any, SlidingWindow] = {}
        self._last_prune = 0.0

    # -- inspection ---------------------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        method = _CANONICAL.get(method.lower(), method)
        with self._lock:
            return [c for c in self._calls if c.method == method]

    def sent(self, chat_id: Any = None) -> list[dict[str, Any]]:
        """Params of accepted sendMessage/sendPhoto (and other send*) calls, in order."""
        with self._lock:
            if chat_id is None:
                return list(self._sent)
            return list(self._sent_by_chat.get(chat_id, ()))

    def sent_texts(self, chat_id: Any = None) -> list[str]:
        return [p.get("text", p.get("caption", "")) for p in self.sent(chat_id)]

    def message(self, chat_id: Any, message_id: int) -> dict[str, Any] | None:
        """The current state (after edits) of a message the bot sent, as Telegram has it."""
        with self._lock:
            stored = self._messages.get((chat_id, message_id))
            return json.loads(json.dumps(stored.message)) if stored else None

    def wait_for(self, predicate: Callable[[Call], bool], timeout: float = 5.0) -> Call:
        """Block until a recorded call satisfies ``predicate``; return the first such call."""
        seen = 0

        def probe() -> Call | None:
            nonlocal seen
            calls = self._calls
            for call in itertools.islice(calls, seen, None):
                if predicate(call):
                    return call
            seen = len(calls)
            return None

        return self._wait(probe, timeout, self.dump, f"a call matching {predicate!r}")

    def wait_sent(
        self, n: int = 1, chat_id: Any = None, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Block until at least ``n`` accepted sends (to ``chat_id``); return all of them."""

        def probe() -> list[dict[str, Any]] | None:
            got = self._sent if chat_id is None else self._sent_by_chat.get(chat_id, [])
            return list(got) if len(got) >= n else None

        target = f"{n} sent message(s)" + (f" to chat {chat_id}" if chat_id is not None else "")
        return self._wait(probe, timeout, self.dump, target)

    def dump(self, last: int = 25) -> str:
        with self._lock:
            calls = self._calls[-last:]
            total = len(self._calls)
        lines = [f"{total} call(s) recorded; last {len(calls)}:"]
        for c in calls:
            flag = "ok " if c.ok else f"{c.status}"
            lines.append(f"  [{flag}] {c.method} {truncate(c.params)}")
        return "\n".join(lines)

    # -- configuration / faults -------------------------------------------------------------
    def reset(self) -> None:
        """Forget calls, messages, webhook, scripts, blocks, rate windows; delay back to 0."""
        with self._lock:
            self._init_state()
            self.delay = 0.0

    def script(
        self,
        method: str,
        status: int = 429,
        description: str | None = None,
        retry_after: int | None = 3,
        times: int = 1,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (``"*"``: any method) with an error.

        ``retry_after`` is sent (``parameters.retry_after``) only with status 429; the default
        description follows Telegram's wording for the status.
        """
        params = dict(parameters or {})
        if status == 429 and retry_after is not None:
            params.setdefault("retry_after", retry_after)
        desc = description or _default_description(status, retry_after)
        key = "*" if method == "*" else method.lower()
        with self._lock:
            self._scripts.setdefault(key, deque()).append(
                _Script(status, desc, params or None, times)
            )

    def block(self, chat_id: Any) -> None:
        """Sends to ``chat_id`` answer 403 ``Forbidden: bot was blocked by the user``."""
        with self._lock:
            self._blocked.add(chat_id)

    def unblock(self, chat_id: Any) -> None:
        with self._lock:
            self._blocked.discard(chat_id)

    def user_file(self, kind: str, data: bytes) -> dict[str, Any]:
        """A photo or voice note a user sends the bot: the object Telegram puts in the update's
        message (``photo``: a list of PhotoSize, largest last; ``voice``: a Voice), its file
        ids answered by ``getFile`` and its bytes by ``GET /file/bot<token>/<file_path>``."""
        with self._lock:
            if kind == "photo":
                return {"photo": self._photo_sizes(Upload("photo", "photo.jpg", "image/jpeg",
                                                          data))}
            if kind != "voice":
                raise ValueError(f"not a kind of media: {kind}")
            n = next(self._file_seq)
            fid = "AwACAgQAAxkBAAI" + f"{n:05d}" + hashlib.sha1(data[:4096]).hexdigest()[:24]
            self._files[fid] = (f"voice/file_{n}.oga", data)
            return {"voice": {"file_id": fid, "file_unique_id": f"AgAD{n:05d}", "duration": 3,
                              "mime_type": "audio/ogg", "file_size": len(data)}}

    def file_downloads(self) -> int:
        """How many times a file was downloaded (``GET /file/bot<token>/...``)."""
        with self._lock:
            return self._downloads

    # -- request handling -----------------------------------------------------------------
    def _serve(self, handler: _Handler) -> None:
        at = time.time()
        split = urlsplit(handler.path)
        body = handler.read_body()
        path = unquote(split.path)

        file_match = _FILE_RE.match(path)
        if file_match and handler.command == "GET":
            self._serve_file(handler, file_match["token"], file_match["path"])
            return

        match = _PATH_RE.match(path)
        status, payload = 404, TelegramError(404, "Not Found").payload()
        method = path
        params: dict[str, Any] = {}
        if match:
            method = _CANONICAL.get(match["method"].lower(), match["method"])
            try:
                raw, _ = parse_body(handler.headers.get("Content-Type", ""), body, split.query)
                params = _decode(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                params = {"_raw": body[:200]}
                err = TelegramError(400, f"Bad Request: can't parse request body: {exc}")
                status, payload = err.status, err.payload()
            else:
                status, payload = self._dispatch(match["token"], method, params, at)
        else:
            with self._lock:
                self._record(Call(method, params, at, False, 404, "Not Found"))

        delay = self.delay
        if delay > 0:
            time.sleep(delay)
        handler.send_json(status, payload)

    def _dispatch(
        self, token: str, method: str, params: dict[str, Any], at: float
    ) -> tuple[int, dict[str, Any]]:
        with self._lock:
            try:
                if token != self.token:
                    raise TelegramError(401, "Unauthorized")
                if method not in _CANONICAL.values():
                    raise TelegramError(404, "Not Found")
                self._check_faults(method, params)
                result = getattr(self, f"_m_{method}")(params)
            except TelegramError as err:
                if err.status == 429:
                    self.rejections_429 += 1
                self._record(Call(method, params, at, False, err.status, err.description))
                return err.status, err.payload()
            except Exception as exc:  # a bug in the fake or absurd params: say so loudly
                desc = f"Internal Server Error: fake crashed: {exc!r}"
                self._record(Call(method, params, at, False, 500, desc))
                return 500, TelegramError(500, desc).payload()
            call = Call(method, params, at, True, 200, None)
            self._record(call)
            if method in _SEND_METHODS:
                self._sent.append(params)
                self._sent_by_chat.setdefault(params.get("chat_id"), []).append(params)
            description = None
            if isinstance(result, tuple):
                result, description = result
            out: dict[str, Any] = {"ok": True, "result": result}
            if description:
                out["description"] = description
            return 200, out

    def _record(self, call: Call) -> None:
        self._calls.append(call)
        self._notify()

    def _check_faults(self, method: str, params: dict[str, Any]) -> None:
        for key in (method.lower(), "*"):
            queue = self._scripts.get(key)
            if queue:
                script = queue[0]
                script.remaining -= 1
                if script.remaining <= 0:
                    queue.popleft()
                raise TelegramError(script.status, script.description, script.parameters)
        if method not in _CHAT_METHODS:
            return
        chat_id = params.get("chat_id")
        if chat_id is None and "inline_message_id" not in params:
            raise TelegramError(400, "Bad Request: chat_id is empty")
        if chat_id in self._blocked:
            raise TelegramError(403, "Forbidden: bot was blocked by the user")
        if method in _SEND_METHODS and (self._global is not None or self.per_chat_rate):
            self._rate_limit(chat_id)

    def _rate_limit(self, chat_id: Any) -> None:
        now = time.monotonic()
        wait = self._global.check(now) if self._global is not None else 0.0
        window = None
        if self.per_chat_rate:
            window = self._per_chat.get(chat_id)
            if window is None:
                window = self._per_chat[chat_id] = SlidingWindow(self.per_chat_rate)
            wait = max(wait, window.check(now))
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise TelegramError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        if self._global is not None:
            self._global.record(now)
        if window is not None:
            window.record(now)
            if now - self._last_prune > 10 and len(self._per_chat) > 1000:
                self._last_prune = now
                self._per_chat = {k: w for k, w in self._per_chat.items() if not w.idle(now)}

    # -- objects --------------------------------------------------------------------------
    @staticmethod
    def _chat(chat_id: Any) -> dict[str, Any]:
        if isinstance(chat_id, str):  # "@channelusername"
            digest = int(hashlib.sha1(chat_id.encode()).hexdigest()[:9], 16)
            return {
                "id": -1000000000000 - digest,
                "title": chat_id.lstrip("@"),
                "username": chat_id.lstrip("@"),
                "type": "channel",
            }
        if chat_id > 0:
            return {"id": chat_id, "first_name": "Test", "type": "private"}
        if chat_id <= -1000000000000:
            return {"id": chat_id, "title": "Test supergroup", "type": "supergroup"}
        return {
            "id": chat_id,
            "title": "Test group",
            "type": "group",
            "all_members_are_administrators": True,
        }

    def _new_message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        key = params["chat_id"]
        message_id = self._next_id.get(key, 1)
        self._next_id[key] = message_id + 1
        msg: dict[str, Any] = {
            "message_id": message_id,
            "from": self._from_bot(),
            "chat": chat,
            "date": int(time.time()),
        }
        if chat["type"] == "channel":
            del msg["from"]
            msg["sender_chat"] = chat
        if params.get("message_thread_id"):
            msg["message_thread_id"] = params["message_thread_id"]
        msg.update(content)
        markup = self._inline_markup(params)
        if markup is not None:
            msg["reply_markup"] = markup
        self._messages[(params["chat_id"], message_id)] = _Stored(msg)
        return msg

    def _from_bot(self) -> dict[str, Any]:
        return {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")}

    @staticmethod
    def _inline_markup(params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise TelegramError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return None  # reply keyboards / remove / force_reply are not echoed
        for row in rows:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise TelegramError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise TelegramError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
        return markup

    @staticmethod
    def _text(params: dict[str, Any], key: str = "text", limit: int = 4096) -> str:
        text = params.get(key)
        if text is None or str(text).strip() == "":
            raise TelegramError(400, "Bad Request: message text is empty")
        text = str(text)
        if len(text.encode("utf-16-le")) // 2 > limit:
            raise TelegramError(400, "Bad Request: message is too long")
        return text

    def _photo_sizes(self, photo: Any) -> list[dict[str, Any]]:
        if isinstance(photo, Upload):
            data = photo.data
        elif isinstance(photo, str) and photo:
            data = photo.encode()
        else:
            raise TelegramError(400, "Bad Request: there is no photo in the request")
        n = next(self._file_seq)
        sizes = []
        for width, height in ((90, 67), (320, 240), (800, 600)):
            fid = (
                f"AgACAgQAAxkDAAI{n:05d}{width:04d}"
                + hashlib.sha1(data[:4096] + str(width).encode()).hexdigest()[:24]
            )
            size = max(1, len(data) * width * height // (800 * 600))
            sizes.append(
                {
                    "file_id": fid,
                    "file_unique_id": f"AQAD{n:05d}{width}",
                    "file_size": size,
                    "width": width,
                    "height": height,
                }
            )
            self._files[fid] = (f"photos/file_{n}_{width}.jpg", data)
        return sizes

    # -- methods ------------------------------------------------------------------------------
    def _m_getMe(self, params: dict[str, Any]) -> Any:
        return dict(self.bot_user)

    def _m_logOut(self, params: dict[str, Any]) -> Any:
        return True

    _m_close = _m_logOut

    def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        text = self._text(params)
        content: dict[str, Any] = {"text": text}
        if isinstance(params.get("entities"), list):
            content["entities"] = params["entities"]
        if isinstance(params.get("link_preview_options"), dict):
            content["link_preview_options"] = params["link_preview_options"]
        return self._new_message(params, **content)

    def _caption(self, params: dict[str, Any]) -> dict[str, Any]:
        caption = params.get("caption")
        if caption is None:
            return {}
        if len(str(caption).encode("utf-16-le")) // 2 > 1024:
            raise TelegramError(400, "Bad Request: message caption is too long")
        return {"caption": str(caption)}

    def _m_sendPhoto(self, params: dict[str, Any]) -> Any:
        content = {"photo": self._photo_sizes(params.get("photo"))}
        content.update(self._caption(params))
        return self._new_message(params, **content)

    def _m_sendDocument(self, params: dict[str, Any]) -> Any:
        doc = params.get("document")
        if not doc:
            raise TelegramError(400, "Bad Request: there is no document in the request")
        n = next(self._file_seq)
        data = doc.data if isinstance(doc, Upload) else str(doc).encode()
        fid = f"BQACAgQAAxkDAAI{n:05d}" + hashlib.sha1(data[:4096]).hexdigest()[:24]
        self._files[fid] = (f"documents/file_{n}", data)
        document = {
            "file_name": doc.filename if isinstance(doc, Upload) else f"file_{n}",
            "mime_type": doc.content_type
            if isinstance(doc, Upload)
            else "application/octet-stream",
            "file_id": fid,
            "file_unique_id": f"AgAD{n:05d}",
            "file_size": len(data),
        }
        return self._new_message(params, document=document, **self._caption(params))

    def _m_sendVoice(self, params: dict[str, Any]) -> Any:
        """As the Bot API: ``voice`` is an upload (multipart, an OGG/Opus file) or the
        ``file_id`` of a file this bot already has; an unknown id is refused with Telegram's
        400. The returned Voice keeps the same ``file_id`` when sent by id."""
        voice = params.get("voice")
        if isinstance(voice, Upload):
            if not voice.data.startswith(b"OggS"):
                raise TelegramError(400, "Bad Request: wrong file type: not an OGG file")
            n = next(self._file_seq)
            fid = f"AwACAgQAAxkDAAI{n:05d}" + hashlib.sha1(voice.data[:4096]).hexdigest()[:24]
            self._files[fid] = (f"voice/file_{n}.oga", voice.data)
        elif isinstance(voice, str) and voice:
            fid = voice
            if fid not in self._files:
                raise TelegramError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        else:
            raise TelegramError(400, "Bad Request: there is no voice in the request")
        data = self._files[fid][1]
        content = {"voice": {"file_id": fid, "file_unique_id": f"AgAD{fid[-8:]}",
                             "duration": int(params.get("duration") or 0),
                             "mime_type": "audio/ogg", "file_size": len(data)}}
        content.update(self._caption(params))
        return self._new_message(params, **content)

    def _m_sendLocation(self, params: dict[str, Any]) -> Any:
        try:
            loc = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
        except (KeyError, TypeError, ValueError):
            raise TelegramError(400, "Bad Request: wrong latitude or longitude") from None
        return self._new_message(params, location=loc)

    def _m_copyMessage(self, params: dict[str, Any]) -> Any:
        mid = self._next_id.get(params["chat_id"], 1)
        self._new_message(params, text="(copy)")
        return {"message_id": mid}

    def _m_forwardMessage(self, params: dict[str, Any]) -> Any:
        return self._new_message(params, text="(forwarded)", forward_origin={
            "type": "hidden_user", "sender_user_name": "Someone", "date": int(time.time())
        })  # fmt: skip

    def _m_sendChatAction(self, params: dict[str, Any]) -> Any:
        if params.get("action") not in _CHAT_ACTIONS:
            raise TelegramError(400, "Bad Request: wrong parameter action in request")
        return True

    def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        if not params.get("callback_query_id"):
            raise TelegramError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if len(str(params.get("text") or "")) > 200:
            raise TelegramError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    def _edit(self, params: dict[str, Any], changes: dict[str, Any]) -> Any:
        if "inline_message_id" in params and "chat_id" not in params:
            return True
        try:
            message_id = int(params["message_id"])
        except (KeyError, TypeError, ValueError):
            raise TelegramError(400, "Bad Request: message identifier is not specified") from None
        stored = self._messages.get((params["chat_id"], message_id))
        markup = self._inline_markup(params)
        if stored is None:
            msg = {
                "message_id": message_id,
                "from": self._from_bot(),
                "chat": self._chat(params["chat_id"]),
                "date": int(time.time()) - 1,
            }
            stored = self._messages[(params["chat_id"], message_id)] = _Stored(msg)
        msg = stored.message
        new = dict(msg)
        new.update(changes)
        if markup is None:
            new.pop("reply_markup", None)
        else:
            new["reply_markup"] = markup
        strip = ("edit_date",)
        if {k: v for k, v in new.items() if k not in strip} == {
            k: v for k, v in msg.items() if k not in strip
        }:
            raise TelegramError(400, NOT_MODIFIED)
        new["edit_date"] = int(time.time())
        stored.message = new
        return new

    def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        changes: dict[str, Any] = {"text": self._text(params)}
        if isinstance(params.get("entities"), list):
            changes["entities"] = params["entities"]
        return self._edit(params, changes)

    def _m_editMessageCaption(self, params: dict[str, Any]) -> Any:
        return self._edit(params, self._caption(params))

    def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        return self._edit(params, {})

    def _m_deleteMessage(self, params: dict[str, Any]) -> Any:
        try:
            key = (params["chat_id"], int(params["message_id"]))
        except (KeyError, TypeError, ValueError):
            raise TelegramError(400, "Bad Request: message identifier is not specified") from None
        self._messages.pop(key, None)
        return True

    def _m_setWebhook(self, params: dict[str, Any]) -> Any:
        url = params.get("url")
        if url is None:
            raise TelegramError(400, 'Bad Request: parameter "url" is required')
        if url == "":
            self.webhook = None
            return True, "Webhook was deleted"
        if self.require_https_webhook and not str(url).startswith("https://"):
            raise TelegramError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_RE.match(secret):
            raise TelegramError(400, "Bad Request: secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "allowed_updates": allowed,
            "max_connections": params.get("max_connections", 40),
            "drop_pending_updates": bool(params.get("drop_pending_updates", False)),
            "ip_address": params.get("ip_address"),
            "has_custom_certificate": "certificate" in params,
        }
        return True, "Webhook was set"

    def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        had = self.webhook is not None
        self.webhook = None
        return True, ("Webhook was deleted" if had else "Webhook is already deleted")

    def _m_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        hook = self.webhook
        if hook is None:
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        info: dict[str, Any] = {
            "url": hook["url"],
            "has_custom_certificate": hook["has_custom_certificate"],
            "pending_update_count": 0,
            "max_connections": hook["max_connections"],
            "ip_address": hook["ip_address"] or "127.0.0.1",
        }
        if hook["allowed_updates"] is not None:
            info["allowed_updates"] = hook["allowed_updates"]
        return info

    def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        if self.webhook is not None:
            raise TelegramError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        return []

    def _m_getFile(self, params: dict[str, Any]) -> Any:
        fid = params.get("file_id")
        if fid not in self._files:
            raise TelegramError(400, "Bad Request: invalid file_id")
        path, data = self._files[fid]
        return {
            "file_id": fid,
            "file_unique_id": "AQAD" + hashlib.sha1(fid.encode()).hexdigest()[:12],
            "file_size": len(data),
            "file_path": path,
        }

    def _m_getChat(self, params: dict[str, Any]) -> Any:
        if not isinstance(params.get("chat_id"), int | str):
            raise TelegramError(400, "Bad Request: chat_id is empty")
        chat = self._chat(params["chat_id"])
        chat.update({"accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": {
            "unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
            "premium_subscription": False,
        }})  # fmt: skip
        return chat

    def _m_getMyCommands(self, params: dict[str, Any]) -> Any:
        return []

    def _accept(self, params: dict[str, Any]) -> Any:
        return True

    _m_setMyCommands = _m_deleteMyCommands = _m_setChatMenuButton = _accept
    _m_setMyDescription = _m_setMyShortDescription = _m_setMyName = _accept

    def _serve_file(self, handler: _Handler, token: str, path: str) -> None:
        with self._lock:
            data = None
            if token == self.token:
                data = next((d for p, d in self._files.values() if p == path), None)
            self._downloads += data is not None
        if data is None:
            handler.send_json(404, TelegramError(404, "Not Found").payload())
        else:
            handler.send_bytes(200, data, "application/octet-stream")


def iter_chat_ids(calls: Iterable[Call]) -> list[Any]:
    """Distinct chat ids in call order (handy in assertions)."""
    seen: dict[Any, None] = {}
    for c in calls:
        if "chat_id" in c.params:
            seen.setdefault(c.params["chat_id"], None)
    return list(seen)

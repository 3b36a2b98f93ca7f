"""``GET /preview``: an editor walks any conversation, in any language and channel, and sees
exactly what would be sent: the Telegram message with its buttons, or the SMS text with its
segment count and encoding.

Each preview session has its own throw-away SQLite store (the service's database is never
written) and reads the content the service is serving right now. The page is for this machine
only, unless ``HANYA_PREVIEW_REMOTE`` allows it: it shows unpublished words, not personal data,
but it costs a database per session. Its labels are in the gettext domain ``editor`` (fr, en).
"""

from __future__ import annotations

import gettext
import ipaddress
import itertools
import secrets
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import SecretStr

from bot.app.runtime import Runtime, build_runtime
from bot.core.chat_session import ChatSession
from bot.core.i18n import compile_po
from bot.core.messages import MsgIn, Outgoing
from bot.core.migrate import upgrade
from bot.core.sms_encoding import SmsCost, sms_cost
from bot.features.dashboard import auth
from webhooks.channels import channel_traits

__all__ = ["PreviewSessions", "router"]

router = APIRouter()
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
MAX_SESSIONS = 8  # each holds a small SQLite file; the oldest is dropped past this
EDITOR_LANGUAGES = ("fr", "en")
_FORWARDED = ("forwarded", "x-forwarded-for", "x-real-ip")
# Binds the forms' CSRF token to this browser: another site cannot make an editor's browser
# open preview sessions (each a database) or type into one.
CSRF_COOKIE = "hanya_preview"
_numbers = itertools.count(1)


@dataclass
class Shown:
    message: Outgoing
    cost: SmsCost | None  # SMS only


@dataclass
class Exchange:
    sent: str  # what the migrant typed or tapped
    replies: list[Shown]


@dataclass
class PreviewSession:
    """One walk through the real engine, in a store of its own."""

    id: str
    language: str
    channel: str
    runtime: Runtime
    chat: ChatSession
    folder: tempfile.TemporaryDirectory[str]
    address: str
    rtl: bool = False
    transcript: list[Exchange] = field(default_factory=list)

    def deliver(self, shown_as: str, **msg: Any) -> None:
        number = next(_numbers)
        sent = self.chat.deliver(MsgIn(self.channel, self.address, f"preview-{number}", **msg))
        replies = [Shown(m, sms_cost(m.text) if self.channel == "sms" else None) for m in sent]
        self.transcript.append(Exchange(shown_as, replies))

    def label(self, choice: str) -> str:
        """The text of the button that carries ``choice`` (the latest one offered)."""
        for exchange in reversed(self.transcript):
            for shown in exchange.replies:
                for row in shown.message.buttons or []:
                    for button in row:
                        if button.get("data") == choice:
                            return button["text"]
        return choice

    def close(self) -> None:
        self.runtime.store.dispose()
        self.folder.cleanup()


class PreviewSessions:
    """The open preview sessions of this process (a few; the oldest is closed first)."""

    def __init__(self) -> None:
        self._sessions: OrderedDict[str, PreviewSession] = OrderedDict()
        self._lock = threading.Lock()

    def open(self, live: Runtime, language: str, channel: str) -> PreviewSession:
        folder = tempfile.TemporaryDirectory(prefix="hanya-preview-")
        tmp = Path(folder.name)
        scratch = live.settings.model_copy(update={
            "database_url": f"sqlite:///{tmp / 'preview.db'}", "run_sender": False,
            "spool_dir": tmp / "spool", "secret_key": SecretStr(secrets.token_urlsafe())})
        runtime = build_runtime(scratch, channel_traits(scratch))
        upgrade(runtime.store)
        runtime.inbox.content_source = live.content  # what the service serves right now
        # A made-up address: nothing is ever sent, and a Niger number passes the SMS guards.
        address = "telegram:1" if channel == "telegram" else "tel:+22700000000"
        rtl = live.content.current.languages[language].rtl
        session = PreviewSession(secrets.token_urlsafe(12), language, channel, runtime,
                                 ChatSession(runtime, channel, echo=False), folder, address, rtl)
        with self._lock:
            self._sessions[session.id] = session
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)[1].close()
        return session

    def get(self, session_id: str | None) -> PreviewSession | None:
        with self._lock:
            return self._sessions.get(session_id or "")

    def close_all(self) -> None:
        with self._lock:
            while self._sessions:
                self._sessions.popitem()[1].close()


def sessions(state: Any) -> PreviewSessions:
    """The preview sessions kept on an app's ``state``."""
    if getattr(state, "previews", None) is None:
        state.previews = PreviewSessions()
    return state.previews  # type: ignore[no-any-return]


def _allowed(request: Request) -> Runtime:
    """The live runtime, if this request may use the preview (404/403 otherwise)."""
    runtime: Runtime = request.app.state.runtime
    settings = runtime.settings
    if not settings.preview_enabled:
        raise HTTPException(404)
    if settings.preview_remote:
        return runtime
    host = request.client.host if request.client else ""
    try:
        local = ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = host == "localhost"
    # Behind a reverse proxy every request looks local: a forwarded one is not.
    if not local or any(h in request.headers for h in _FORWARDED):
        raise HTTPException(403, "the preview is only open from this machine "
                                 "(set HANYA_PREVIEW_REMOTE=true to open it)")
    return runtime


@lru_cache(maxsize=4)
def _editor_catalog(path: Path, mtime: float) -> gettext.NullTranslations:
    return compile_po(path) if path.exists() else gettext.NullTranslations()


def _translator(request: Request, runtime: Runtime, ui: str | None) -> Any:
    wanted = ui or ("fr" if request.headers.get("accept-language", "").startswith("fr") else "en")
    code = wanted if wanted in EDITOR_LANGUAGES else "en"
    path = runtime.settings.locales_dir / code / "LC_MESSAGES" / "editor.po"
    catalog = _editor_catalog(path, path.stat().st_mtime if path.exists() else 0.0)
    return code, catalog.gettext


@router.get("/preview", response_class=HTMLResponse)
def preview_page(request: Request, s: str | None = None, ui: str | None = None) -> Response:
    runtime = _allowed(request)
    code, _ = _translator(request, runtime, ui)
    content = runtime.content.current
    session = sessions(request.app.state).get(s)
    browser = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = TEMPLATES.TemplateResponse(request, "preview.html", {
        "_": _, "ui": code, "languages": list(content.languages.values()),
        "session": session, "content_error": runtime.content.last_error,
        "csrf": auth.csrf_token(runtime.settings.secret_key_or_dev(), browser),
        "language": content.languages.get(session.language) if session else None})
    # Not "secure": the preview is opened over plain http on this machine even where the
    # service's public URL is https, and this cookie only binds the forms, it opens nothing.
    response.set_cookie(CSRF_COOKIE, browser, path="/preview", httponly=True, samesite="strict")
    return response


def _csrf_checked(request: Request, presented: str) -> Runtime:
    """The live runtime, if this POST came from a preview page of this browser (403 if not)."""
    runtime = _allowed(request)
    if not auth.csrf_ok(runtime.settings.secret_key_or_dev(),
                        request.cookies.get(CSRF_COOKIE), presented):
        raise HTTPException(403, "CSRF token missing or wrong: reload the preview page")
    return runtime


@router.post("/preview/start")
def preview_start(request: Request, language: Annotated[str, Form()],
                  channel: Annotated[str, Form()], ui: Annotated[str, Form()] = "",
                  csrf: Annotated[str, Form()] = "") -> Response:
    runtime = _csrf_checked(request, csrf)
    content = runtime.content.current
    if language not in content.languages or channel not in ("sms", "telegram"):
        raise HTTPException(400, "unknown language or channel")
    session = sessions(request.app.state).open(runtime, language, channel)
    session.deliver("hello", text="hello")
    if channel == "telegram":  # tap the language's button, as a migrant would
        session.deliver(content.languages[language].name, kind="choice",
                        choice=f"lang:{language}")
    else:
        number = str(list(content.languages).index(language) + 1)
        session.deliver(number, text=number)
    return _back(session.id, ui)


@router.post("/preview/send")
def preview_send(request: Request, s: Annotated[str, Form()],
                 text: Annotated[str, Form()] = "", choice: Annotated[str, Form()] = "",
                 ui: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "") -> Response:
    _csrf_checked(request, csrf)
    session = sessions(request.app.state).get(s)
    if session is None:  # closed meanwhile (too many open): start again
        return _back(None, ui)
    if choice:
        session.deliver(session.label(choice), kind="choice", choice=choice)
    elif session.channel == "telegram" and text.startswith("@") and "," in text:
        try:
            lat, lon = (float(x) for x in text[1:].split(",", 1))
        except ValueError:
            raise HTTPException(400, "write a location as @lat,lon") from None
        session.deliver(text, kind="location", location=(lat, lon))
    elif text.strip():
        session.deliver(text, text=text)
    return _back(session.id, ui)


@router.get("/preview/audio/{digest}")
def preview_audio(request: Request, digest: str) -> Response:
    """A recording the service serves now, to play in the preview (found by its digest)."""
    runtime = _allowed(request)
    for by_key in runtime.content.current.recordings.values():
        for recording in by_key.values():
            if recording.digest == digest and recording.path.is_file():
                return FileResponse(recording.path, media_type="audio/ogg")
    raise HTTPException(404)


def _back(session_id: str | None, ui: str) -> Response:
    query = "&".join(p for p in (f"s={session_id}" if session_id else "",
                                 f"ui={ui}" if ui else "") if p)
    return RedirectResponse(f"/preview{'?' + query if query else ''}#end", status_code=303)

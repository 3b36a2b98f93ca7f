"""What every dashboard page needs: the signed-in viewer, permissions, CSRF, templates.

Pages are rendered on the server with Jinja2, in the viewer's language (gettext domain
``dashboard``), with headers that keep them out of frames, caches and other origins.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape

from bot.app.runtime import Runtime
from bot.core.i18n import compile_po
from bot.core.settings import ROOT, Settings
from bot.features.dashboard import auth

TEMPLATES = ROOT / "webhooks" / "templates"
STATIC = ROOT / "webhooks" / "static"
SESSION_COOKIE = "hanya_session"
PRESIGN_COOKIE = "hanya_presign"  # binds the sign-in form's CSRF token before any session
LANG_COOKIE = "hanya_lang"
LANGUAGES = {"fr": "Français", "en": "English"}
DEFAULT_LANGUAGE = "fr"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                               "media-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class SignInRequired(Exception):
    """No valid session: the browser is sent to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class Forbidden(Exception):
    """Signed in, but the role does not allow this: a 403 page, never the data.

    It carries the viewer so that the page keeps the navigation of the viewer's role.
    """

    def __init__(self, viewer: Viewer | None = None) -> None:
        super().__init__()
        self.viewer = viewer


@dataclass(frozen=True)
class Viewer:
    """The signed-in person as pages see them: no code, no hash, just who and what role."""

    id: int
    identifier: str
    role: str
    token: str
    csrf: str

    def can(self, permission: str) -> bool:
        return auth.can(self.role, permission)


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def settings_of(request: Request) -> Settings:
    return runtime(request).settings


def timezone(request: Request) -> ZoneInfo:
    return ZoneInfo(settings_of(request).timezone)


def secure_cookies(settings: Settings) -> bool:
    return settings.public_url.startswith("https://")


def current_viewer(request: Request) -> Viewer:
    """The viewer behind the session cookie, or a redirect to the sign-in page."""
    rt = runtime(request)
    token = request.cookies.get(SESSION_COOKIE)
    with rt.store.session() as session:
        user = auth.check_session(session, rt.settings, token)
        viewer = None if user is None or token is None else Viewer(
            user.id, user.identifier, user.role, token,
            auth.csrf_token(rt.settings.secret_key_or_dev(), token))
    if viewer is None:
        raise SignInRequired(request.url.path)
    return viewer


SignedIn = Annotated[Viewer, Depends(current_viewer)]


def require(permission: str) -> Any:
    """A dependency that lets through only viewers whose role holds ``permission``."""

    def check(viewer: SignedIn) -> Viewer:
        if not viewer.can(permission):
            raise Forbidden(viewer)
        return viewer

    return Depends(check)


# One alias per permission, for route signatures: ``viewer: CanExport``.
CanOverview = Annotated[Viewer, require("overview")]
CanReadReports = Annotated[Viewer, require("reports.read")]
CanReadIdeas = Annotated[Viewer, require("ideas.read")]
CanOperate = Annotated[Viewer, require("operations")]
CanAudit = Annotated[Viewer, require("audit")]
CanManageUsers = Annotated[Viewer, require("users")]
CanManageCommittees = Annotated[Viewer, require("committees")]
CanManageRecipients = Annotated[Viewer, require("recipients")]
CanEditContent = Annotated[Viewer, require("content")]
CanExport = Annotated[Viewer, require("export.aggregates")]
CanExportReports = Annotated[Viewer, require("export.reports")]
CanCheckSetup = Annotated[Viewer, require("setup")]


async def check_csrf(request: Request, viewer: SignedIn) -> Viewer:
    """For every POST: the form's ``csrf`` field must match the session's token."""
    form = await request.form()
    presented = form.get("csrf")
    secret = settings_of(request).secret_key_or_dev()
    if not auth.csrf_ok(secret, viewer.token, presented if isinstance(presented, str) else None):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong")
    return viewer


CsrfChecked = Annotated[Viewer, Depends(check_csrf)]


def language(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


@lru_cache(maxsize=8)
def _environment(locales_dir: Path, lang: str) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), extensions=["jinja2.ext.i18n"],
                      autoescape=select_autoescape(["html", "svg"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.install_gettext_translations(_catalog(locales_dir, lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["count"] = _count_filter
    env.filters["local"] = _local_time
    return env


@pass_context
def _local_time(context: Any, value: datetime | None, fmt: str = "%Y-%m-%d %H:%M",
                named: bool = True) -> str:
    """A stored (UTC) time as people read it: in HANYA_TIMEZONE, the zone's city named."""
    if value is None:
        return ""
    zone: ZoneInfo = context.get("zone") or ZoneInfo("UTC")
    local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)
    city = zone.key.rsplit("/", 1)[-1].replace("_", " ")
    return f"{local.strftime(fmt)} ({city})" if named else local.strftime(fmt)


def _count_filter(value: int | None, threshold: int | None = None) -> str:
    """A count as shown: suppressed ones read "<5", thousands get a thin space."""
    if value is None:
        return f"<{threshold}" if threshold else "—"
    return f"{value:,}".replace(",", "\u202f")


@lru_cache(maxsize=8)
def _catalog(locales_dir: Path, lang: str) -> gettext.NullTranslations:
    po = locales_dir / lang / "LC_MESSAGES" / "dashboard.po"
    return compile_po(po) if po.exists() else gettext.NullTranslations()


def catalog(locales_dir: Path, lang: str) -> gettext.NullTranslations:
    """The dashboard's catalog in ``lang``, for labels built away from a request."""
    return _catalog(locales_dir, lang)


def translator(request: Request) -> gettext.NullTranslations:
    """The page language's catalog, for strings built in Python (flash messages, labels)."""
    return _catalog(settings_of(request).locales_dir, language(request))


def render(request: Request, template: str, viewer: Viewer | None, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    """A page in the viewer's language, with the security headers."""
    lang = language(request)
    env = _environment(settings_of(request).locales_dir, lang)
    html = env.get_template(f"dashboard/{template}").render(
        viewer=viewer, lang=lang, languages=LANGUAGES, path=request.url.path,
        zone=timezone(request),
        here=quote(str(request.url.path)), **context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def no_store(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def safe_next(path: str | None) -> str:
    """Only local dashboard paths: a ``next`` parameter must not send anyone elsewhere."""
    if path and path.startswith("/dashboard") and "//" not in path and "\\" not in path:
        return path
    return "/dashboard"

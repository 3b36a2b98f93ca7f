"""Sign in, sign out and the language switch."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from bot.features.dashboard import auth
from webhooks.dashboard.web import (
    LANG_COOKIE,
    LANGUAGES,
    PRESIGN_COOKIE,
    SESSION_COOKIE,
    CsrfChecked,
    no_store,
    render,
    runtime,
    safe_next,
    secure_cookies,
)

router = APIRouter()


def _cookie(response: Response, request: Request, name: str, value: str,
            max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=secure_cookies(runtime(request).settings))


@router.get("/dashboard/sign-in")
def sign_in_page(request: Request, next: str | None = None) -> Response:  # noqa: A002
    presign = request.cookies.get(PRESIGN_COOKIE) or secrets.token_urlsafe(24)
    return _sign_in_form(request, presign, safe_next(next))


def _sign_in_form(request: Request, presign: str, next_path: str, error: str | None = None,
                  status_code: int = 200) -> Response:
    secret = runtime(request).settings.secret_key_or_dev()
    response = render(request, "sign_in.html", None, status_code=status_code,
                      csrf=auth.csrf_token(secret, presign), next=next_path, error=error)
    _cookie(response, request, PRESIGN_COOKIE, presign, max_age=3600)
    return response


@router.post("/dashboard/sign-in")
def sign_in(request: Request, identifier: Annotated[str, Form(max_length=64)],
            code: Annotated[str, Form(max_length=64)], csrf: Annotated[str, Form()] = "",
            next: Annotated[str, Form()] = "/dashboard") -> Response:  # noqa: A002
    rt = runtime(request)
    presign = request.cookies.get(PRESIGN_COOKIE) or ""
    if not auth.csrf_ok(rt.settings.secret_key_or_dev(), presign, csrf):
        return _sign_in_form(request, secrets.token_urlsafe(24), safe_next(next), "csrf", 403)
    with rt.store.session() as session:
        result = auth.sign_in(session, rt.settings, identifier, code,
                              old_token=request.cookies.get(SESSION_COOKIE))
    if result.outcome is auth.SignIn.LOCKED:
        return _sign_in_form(request, presign, safe_next(next), "locked", 423)
    if result.outcome is not auth.SignIn.OK or result.token is None:
        return _sign_in_form(request, presign, safe_next(next), "refused", 401)
    response = no_store(RedirectResponse(safe_next(next), status_code=303))
    _cookie(response, request, SESSION_COOKIE, result.token,
            max_age=rt.settings.dashboard_session_max_hours * 3600)
    response.delete_cookie(PRESIGN_COOKIE, path="/")
    return response


@router.post("/dashboard/sign-out")
def sign_out(request: Request, viewer: CsrfChecked) -> Response:
    rt = runtime(request)
    with rt.store.session() as session:
        auth.end_session(session, viewer.token)
    response = no_store(RedirectResponse("/dashboard/sign-in", status_code=303))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/dashboard/language/{code}")
def switch_language(request: Request, code: str, next: str | None = None) -> Response:  # noqa: A002
    """Only a preference cookie changes, so a plain link is enough (no CSRF needed)."""
    response = no_store(RedirectResponse(safe_next(next), status_code=303))
    if code in LANGUAGES:
        _cookie(response, request, LANG_COOKIE, code, max_age=365 * 24 * 3600)
    return response

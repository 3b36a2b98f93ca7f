"""Sign in, sign out and the language switch."""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from bot.core import metrics
from bot.features.dashboard import auth
from bot.features.dashboard.sign_in_guard import VerificationSlots
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
SLOT_WAIT_SECONDS = 1.0


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
async def sign_in(request: Request, identifier: Annotated[str, Form(max_length=64)],
                  code: Annotated[str, Form(max_length=64)], csrf: Annotated[str, Form()] = "",
                  next: Annotated[str, Form()] = "/dashboard") -> Response:  # noqa: A002
    """Async so that a sign-in without a slot is answered in the event loop: only those with
    a slot take a worker thread, which the webhooks' store writes need too."""
    rt = runtime(request)
    presign = request.cookies.get(PRESIGN_COOKIE) or ""
    if not auth.csrf_ok(rt.settings.secret_key_or_dev(), presign, csrf):
        return _sign_in_form(request, secrets.token_urlsafe(24), safe_next(next), "csrf", 403)
    client = request.client.host if request.client else ""
    async with _slot(request, client) as free:
        if not free:  # a flood of sign-ins: refused before hashing, the webhooks keep the CPU
            metrics.sign_in_refusals.labels("busy").inc()
            return _too_many(request, presign, next, "busy", 1)
        result = await asyncio.get_running_loop().run_in_executor(
            slots(request).executor, _check, request, identifier, code, client)
    if result.outcome is auth.SignIn.THROTTLED:
        metrics.sign_in_refusals.labels("throttled").inc()
        return _too_many(request, presign, next, "throttled", result.retry_after)
    if result.outcome is not auth.SignIn.OK or result.token is None:
        metrics.sign_in_refusals.labels("wrong").inc()
        return _sign_in_form(request, presign, safe_next(next), "refused", 401)
    response = no_store(RedirectResponse(safe_next(next), status_code=303))
    _cookie(response, request, SESSION_COOKIE, result.token,
            max_age=rt.settings.dashboard_session_max_hours * 3600)
    response.delete_cookie(PRESIGN_COOKIE, path="/")
    return response


@asynccontextmanager
async def _slot(request: Request, client: str) -> AsyncIterator[bool]:
    """A verification slot, waited for up to ``SLOT_WAIT_SECONDS``: a sign-in in a busy moment
    just waits a little, and a flood is held at this cheap await instead of being answered at
    once and coming straight back (answered at once, 40 looping clients sent ~1,000 sign-ins a
    second and that alone slowed the webhooks to seconds)."""
    deadline = time.monotonic() + SLOT_WAIT_SECONDS
    while True:
        with slots(request).take(client) as free:
            if free or time.monotonic() >= deadline:
                yield free
                return
        await asyncio.sleep(0.05)


def _check(request: Request, identifier: str, code: str, client: str) -> auth.SignInResult:
    rt = runtime(request)
    return auth.sign_in(rt.store, rt.settings, identifier, code,
                        old_token=request.cookies.get(SESSION_COOKIE), client=client)


def slots(request: Request) -> VerificationSlots:
    """This process's slots for code verifications (bot/features/dashboard/sign_in_guard.py)."""
    state = request.app.state
    if getattr(state, "sign_in_slots", None) is None:
        settings = runtime(request).settings
        state.sign_in_slots = VerificationSlots(settings.dashboard_verifications_at_once,
                                                settings.dashboard_verifications_per_client)
    return state.sign_in_slots  # type: ignore[no-any-return]


def _too_many(request: Request, presign: str, next_path: str, error: str,
              retry_after: float) -> Response:
    response = _sign_in_form(request, presign, safe_next(next_path), error, 429)
    response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
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

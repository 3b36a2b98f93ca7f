"""The SP/CCM dashboard: server-rendered pages under ``/dashboard``, JSON under ``/api/v1``.

``install(app)`` is the one call ``webhooks/app.py`` makes: routers, static files, and the two
exception handlers that turn "not signed in" into a redirect and "not allowed" into a 403 page.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from webhooks.dashboard import (
    admin,
    admin_committees,
    admin_recipients,
    api,
    exports,
    health,
    ideas,
    media,
    overview,
    periods,
    reports,
    signin,
)
from webhooks.dashboard.periods import PeriodRefused
from webhooks.dashboard.web import (
    STATIC,
    Forbidden,
    SignInRequired,
    current_viewer,
    no_store,
    render,
)

ROUTERS = [signin.router, overview.router, reports.router, media.router, ideas.router,
           exports.router,
           admin.router, admin_committees.router, admin_recipients.router, api.router,
           health.router]


def install(app: FastAPI) -> None:
    """Add the dashboard to ``app``."""
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(SignInRequired, _to_sign_in)  # type: ignore[arg-type]
    app.add_exception_handler(Forbidden, _forbidden)  # type: ignore[arg-type]
    app.add_exception_handler(PeriodRefused, periods.refused)  # type: ignore[arg-type]


def _to_sign_in(request: Request, exc: SignInRequired) -> Response:
    target = "/dashboard/sign-in?next=" + quote(exc.next_path)
    return no_store(RedirectResponse(target, status_code=303))


def _forbidden(request: Request, exc: Forbidden) -> Response:
    """The normal layout and navigation (so a partner can go back), and nothing else."""
    viewer = exc.viewer
    if viewer is None:
        try:
            viewer = current_viewer(request)
        except SignInRequired:
            viewer = None
    return render(request, "forbidden.html", viewer, status_code=403)

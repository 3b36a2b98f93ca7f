"""The set-up check for admins: ``hanya doctor``'s findings, translated (bot/app/doctor.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.app.doctor import diagnose
from webhooks.dashboard.web import CanCheckSetup, render, runtime, translator

router = APIRouter()


@router.get("/dashboard/setup")
def setup_check(request: Request, viewer: CanCheckSetup) -> Response:
    # A sync route: FastAPI runs it in a thread, so asking the providers (3 s at most each)
    # never holds the event loop that answers webhooks.
    findings = diagnose(runtime(request).settings, timeout=3.0)
    gettext = translator(request).gettext
    rows = [(f.level, gettext(f.check), f.message(gettext)) for f in findings]
    errors = sum(f.level == "error" for f in findings)
    return render(request, "setup.html", viewer, rows=rows, errors=errors,
                  warnings=sum(f.level == "warning" for f in findings))

"""Which period a viewer may ask for: any day range for SP/CCM staff, whole months for others.

Suppressing small counts protects nobody if two periods can be subtracted: asking for
2026-11-01..2026-12-01 and then ..2026-12-02 gave one day's report of 4 people, 1 woman,
2 children. Viewers without exact counts (partners, editors) therefore get whole calendar
months that are over, and nothing else, in the overview, the CSV and HXL exports and the API:
two such periods are the same or share no day, and a month never grows once it can be asked
for. Months and not ISO weeks as well: a week straddles two months, and mixing the two would
open the subtraction again; months are also what the report aggregates are counted by.

A day range from such a viewer is refused with a 400 that says what to ask instead, never
snapped to a month: a script that asked for one period must not receive figures for another.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from bot.core.texts import N_
from bot.features.dashboard import indicators as ind
from webhooks.dashboard.web import Viewer, render, timezone, translator

# Pages translate these (the dashboard's catalogue); the API answers in English.
# TRANSLATORS: a partner asked for a range of days (figures by whole month only).
RANGE_REFUSED = N_(
    "Partners see whole months that are over: choose a month, not a range of days.")
# TRANSLATORS: the month asked for could not be read.
NOT_A_MONTH = N_("Choose a month as YYYY-MM (for example 2026-11).")
# TRANSLATORS: a partner asked for the current month (or a later one).
NOT_OVER = N_("This month is not over yet: partners see whole months once they are over.")


class PeriodRefused(Exception):
    """A period this viewer may not ask for (answered 400, with what to ask instead)."""

    def __init__(self, message: str, viewer: Viewer) -> None:
        super().__init__(message)
        self.message, self.viewer = message, viewer


def period_for(request: Request, viewer: Viewer) -> ind.Period:
    """The period of this request as ``viewer`` may see it (see the module's docstring)."""
    q = request.query_params
    today = ind.today_in(timezone(request))
    if viewer.can("exact_counts"):
        return ind.parse_period(q.get("start"), q.get("end"), today)
    if "start" in q or "end" in q:
        raise PeriodRefused(RANGE_REFUSED, viewer)
    month = q.get("month")
    if not month:
        return ind.last_whole_month(today)
    try:
        period = ind.month_period(month)
    except ValueError:
        raise PeriodRefused(NOT_A_MONTH, viewer) from None
    if period.end >= today:
        raise PeriodRefused(NOT_OVER, viewer)
    return period


def refused(request: Request, exc: PeriodRefused) -> Response:
    """A 400 that says what to ask instead: JSON for the API, the page for a browser."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": exc.message}, status_code=400)
    return render(request, "bad_period.html", exc.viewer, status_code=400,
                  message=translator(request).gettext(exc.message),
                  latest=ind.last_whole_month(ind.today_in(timezone(request))))

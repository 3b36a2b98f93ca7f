"""``/api/v1``: read-only JSON for partner platforms, one bearer token per account.

The same role rules as the pages: a partner's token gets suppressed aggregates and a 403 on
anything finer.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.features.dashboard import auth, exports
from bot.features.dashboard import indicators as ind
from webhooks.dashboard.exports import report_aggregates
from webhooks.dashboard.periods import period_for
from webhooks.dashboard.web import Viewer, runtime, timezone

router = APIRouter(prefix="/api/v1")
_bearer = HTTPBearer(auto_error=False)


def api_viewer(request: Request, credentials: Annotated[
        HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Viewer:
    rt = runtime(request)
    with rt.store.session() as session:
        user = auth.check_api_token(session, credentials.credentials if credentials else None)
        viewer = None if user is None else Viewer(user.id, user.identifier, user.role, "", "")
    if viewer is None:
        raise HTTPException(401, "a valid bearer token is required",
                            headers={"WWW-Authenticate": "Bearer"})
    return viewer


ApiViewer = Annotated[Viewer, Depends(api_viewer)]


def allowed(viewer: Viewer, permission: str) -> None:
    if not viewer.can(permission):
        raise HTTPException(403, "this token's role does not allow it")


@router.get("/indicators")
def indicators(request: Request, viewer: ApiViewer) -> dict[str, Any]:
    allowed(viewer, "overview")
    rt = runtime(request)
    period = period_for(request, viewer)
    with rt.store.session() as session:
        figures = ind.compute(session, rt.content.current, period, timezone(request))
        auth.audit(session, viewer, "api.indicators", detail=f"{period.start}..{period.end}")
    if not viewer.can("exact_counts"):
        figures = ind.suppress(figures, rt.settings.dashboard_small_count)
    return asdict(figures)


@router.get("/requests")
def requests(request: Request, viewer: ApiViewer) -> dict[str, Any]:
    allowed(viewer, "export.aggregates")
    rt = runtime(request)
    period = period_for(request, viewer)
    with rt.store.session() as session:
        groups = ind.request_groups(session, period, timezone(request))
        auth.audit(session, viewer, "api.requests", detail=f"{period.start}..{period.end}")
    small = None
    if not viewer.can("exact_counts"):
        groups, small = exports.coarsen(groups), rt.settings.dashboard_small_count
    rows = [dict(zip([c.header for c in exports.REQUEST_COLUMNS], row, strict=True))
            for row in exports.request_rows(groups, period, ind.region_names(rt.content.current),
                                            {}, small)]
    return {"period": asdict(period), "suppressed_below": small, "rows": rows}


@router.get("/reports")
def reports(request: Request, viewer: ApiViewer) -> dict[str, Any]:
    """Report aggregates (month, region, category): suppressed for partners; officers get
    exact figures and the verified count. Never a report's text or reporter."""
    allowed(viewer, "export.aggregates")
    rt = runtime(request)
    period = period_for(request, viewer)
    cells = report_aggregates(request, viewer, period, "api.reports", "json")
    small = None if viewer.can("exact_counts") else rt.settings.dashboard_small_count
    verified = viewer.can("reports.read")
    headers = [c.header for c in exports.report_aggregate_columns(verified=verified)]
    withheld = object()  # marks a withheld figure while the rows are built
    rows = []
    for row in exports.report_aggregate_rows(cells, ind.region_names(rt.content.current),
                                             small=small, hidden=withheld, verified=verified,
                                             note=True):
        record = {h: (None if v is withheld else v) for h, v in zip(headers, row, strict=True)}
        # A withheld figure is null and named here (a figure no report gave is null, unnamed).
        record[exports.SUPPRESSED] = [h for h, v in zip(headers, row, strict=True)
                                      if v is withheld]
        rows.append(record)
    return {"period": asdict(period), "suppressed_below": small,
            "definition": exports.counted_note(), "rows": rows}

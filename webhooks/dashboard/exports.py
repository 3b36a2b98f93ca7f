"""CSV and HXL downloads. Every export is audited; partners get coarse, suppressed aggregates.

Report figures reach partners only as the report aggregates here (month, region, category);
the one-row-per-report export is for officers and lives with the report pages.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.features.dashboard import auth, exports
from bot.features.dashboard import indicators as ind
from webhooks.dashboard.periods import period_for
from webhooks.dashboard.web import CanExport, Viewer, no_store, runtime, timezone

router = APIRouter()


def csv_response(text: str, filename: str) -> Response:
    return no_store(Response(text.encode("utf-8-sig"), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'}))


def request_export(request: Request, viewer: Viewer, period: ind.Period, hxl: bool) -> str:
    """The information-request aggregates as this viewer may see them."""
    rt = runtime(request)
    content = rt.content.current
    with rt.store.session() as session:
        groups = ind.request_groups(session, period, timezone(request))
        auth.audit(session, viewer, "export.requests", object_type="export",
                   detail=f"{period.start}..{period.end} {'hxl' if hxl else 'csv'}")
    exact = viewer.can("exact_counts")
    return exports.requests_csv(
        groups if exact else exports.coarsen(groups), period, ind.region_names(content),
        {p.id: p.name for p in content.points.values()}, hxl=hxl,
        small=None if exact else rt.settings.dashboard_small_count)


@router.get("/dashboard/exports/requests.csv")
def requests_csv(request: Request, viewer: CanExport, hxl: bool = False) -> Response:
    period = period_for(request, viewer)
    name = f"hanya-requests-{period.start}-{period.end}{'-hxl' if hxl else ''}.csv"
    return csv_response(request_export(request, viewer, period, hxl), name)


def report_aggregates(request: Request, viewer: Viewer, period: ind.Period, action: str,
                      kind: str) -> list[ind.ReportCell]:
    """The exact report cells of ``period``; the export (or API call) is audited with them."""
    rt = runtime(request)
    with rt.store.session() as session:
        cells = ind.report_cells(session, period, timezone(request))
        auth.audit(session, viewer, action, object_type="export",
                   detail=f"{period.start}..{period.end} {kind}")
    return cells


@router.get("/dashboard/exports/report-aggregates.csv")
def report_aggregates_csv(request: Request, viewer: CanExport, hxl: bool = False) -> Response:
    """Reports by month, region and category: suppressed for partners, with the verified count
    for officers."""
    rt = runtime(request)
    period = period_for(request, viewer)
    cells = report_aggregates(request, viewer, period, "export.report_aggregates",
                              "hxl" if hxl else "csv")
    exact = viewer.can("exact_counts")
    text = exports.report_aggregates_csv(
        cells, ind.region_names(rt.content.current), hxl=hxl,
        small=None if exact else rt.settings.dashboard_small_count,
        verified=viewer.can("reports.read"))
    name = f"hanya-report-aggregates-{period.start}-{period.end}{'-hxl' if hxl else ''}.csv"
    return csv_response(text, name)

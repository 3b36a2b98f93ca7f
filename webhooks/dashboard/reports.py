"""Reports: the filtered list, the detail with its links, decisions, and report exports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from bot.features.committees.models import Committee, Report, report_person_ref
from bot.features.dashboard import auth, exports
from bot.features.dashboard import indicators as ind
from webhooks.dashboard import report_queries as rq
from webhooks.dashboard.exports import csv_response
from webhooks.dashboard.overview import period_of
from webhooks.dashboard.web import (
    CanExportReports,
    CanReadReports,
    CsrfChecked,
    Forbidden,
    language,
    no_store,
    render,
    runtime,
    timezone,
)

router = APIRouter()


def _filter(request: Request) -> tuple[ind.Period, rq.ReportFilter]:
    period = period_of(request)
    first, after = period.bounds(timezone(request))
    values = {k: request.query_params.get(k, "")[:40] for k in rq.FILTERS}
    return period, rq.ReportFilter(first, after, values)


@router.get("/dashboard/reports")
def report_list(request: Request, viewer: CanReadReports) -> Response:
    rt = runtime(request)
    period, flt = _filter(request)
    with rt.store.session() as session:
        rows = rq.list_reports(session, flt)
        total = rq.count_reports(session, flt)
        committee_options = rq.committees(session)
    content = rt.content.current
    return render(request, "reports.html", viewer, period=period, rows=rows, total=total,
                  filters=flt.values, committees=committee_options, statuses=rq.STATUSES,
                  categories=rq.category_labels(rt.settings, content, language(request)),
                  regions=ind.region_names(content), points=content.points,
                  query=request.url.query)


@router.get("/dashboard/reports/{reference}")
def report_detail(request: Request, reference: str, viewer: CanReadReports,
                  text: bool = False, media: bool = False,
                  error: str | None = None) -> Response:
    """The report; its free text only on request, and each such view is audited."""
    rt = runtime(request)
    with rt.store.session() as session:
        report = session.scalar(select(Report).where(Report.reference == reference.upper()))
        if report is None:
            return render(request, "not_found.html", viewer, status_code=404)
        committee = session.get(Committee, report.committee_id)
        links = rq.related(session, report)
        reporter = report_person_ref(session, rt.vault, report)
        texts = rq.free_text(rt.vault, report) if text else {}
        if text:
            auth.audit(session, viewer, "report.view_text", object_type="report",
                       object_id=report.reference)
    content = rt.content.current
    return render(request, "report.html", viewer, report=report, committee=committee,
                  links=links, texts=texts, show_text=text, error=error, reporter=reporter,
                  show_media=media,
                  categories=rq.category_labels(rt.settings, content, language(request)),
                  regions=ind.region_names(content), points=content.points)


@router.post("/dashboard/reports/{reference}/{action}")
def decide(request: Request, reference: str, action: str, viewer: CsrfChecked,
           reason: Annotated[str, Form(max_length=500)] = "",
           duplicate_of: Annotated[str, Form(max_length=20)] = "") -> Response:
    if not viewer.can("reports.verify"):
        raise Forbidden(viewer)
    rt = runtime(request)
    target = f"/dashboard/reports/{reference.upper()}"
    try:
        with rt.store.session() as session:
            report = session.scalar(select(Report).where(Report.reference == reference.upper()))
            if report is None:
                return render(request, "not_found.html", viewer, status_code=404)
            rq.decide(session, viewer, report, action, reason, duplicate_of)
    except rq.DecisionError as exc:
        return no_store(RedirectResponse(f"{target}?error={exc}", status_code=303))
    return no_store(RedirectResponse(target, status_code=303))


@router.get("/dashboard/exports/reports.csv")
def reports_csv(request: Request, viewer: CanExportReports, hxl: bool = False) -> Response:
    """Reports one per row (officers and admins): structured fields only, never free text."""
    rt = runtime(request)
    period, flt = _filter(request)
    with rt.store.session() as session:
        rows = rq.list_reports(session, flt, limit=100_000)
        auth.audit(session, viewer, "export.reports", object_type="export",
                   detail=f"{period.start}..{period.end} {'hxl' if hxl else 'csv'}")
    content = rt.content.current
    text = exports.reports_csv(
        [r for r, _name in rows], {r.id: name for r, name in rows}, ind.region_names(content),
        {p.id: p.name for p in content.points.values()}, hxl=hxl)
    return csv_response(text, f"hanya-reports-{period.start}-{period.end}"
                              f"{'-hxl' if hxl else ''}.csv")

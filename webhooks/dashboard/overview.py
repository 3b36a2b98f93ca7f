"""The overview (logframe indicators, chart, map), operations, and the editors' content page."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, or_, select

from bot.app.content_stats import topic_coverage
from bot.core.liveness import Liveness
from bot.core.models import DeadLetter, OutboxMessage, utcnow
from bot.core.reroute import REROUTED
from bot.features.committees import figures as report_figures
from bot.features.dashboard import indicators as ind
from webhooks.dashboard import feature_data
from webhooks.dashboard.charts import bar_chart, shaded_map
from webhooks.dashboard.periods import period_for
from webhooks.dashboard.web import (
    CanEditContent,
    CanOperate,
    CanOverview,
    Viewer,
    language,
    render,
    runtime,
    timezone,
    translator,
)

router = APIRouter()
# A service's phone and hours are due for a check this long after a person last verified them.
REVIEW_AFTER_DAYS = 180


def period_of(request: Request) -> ind.Period:
    """The period chosen in the page's form (``start``, ``end``), else the last 30 days.
    Staff only: pages a partner may see take ``periods.period_for``."""
    q = request.query_params
    return ind.parse_period(q.get("start"), q.get("end"), ind.today_in(timezone(request)))


def indicators_for(request: Request, viewer: Viewer, period: ind.Period) -> ind.Indicators:
    """Exact figures for SP/CCM staff; small counts suppressed for everyone else."""
    rt = runtime(request)
    with rt.store.session() as session:
        figures = ind.compute(session, rt.content.current, period, timezone(request))
    if viewer.can("exact_counts"):
        return figures
    return ind.suppress(figures, rt.settings.dashboard_small_count)


@router.get("/dashboard")
def overview(request: Request, viewer: CanOverview) -> Response:
    period = period_for(request, viewer)
    figures = indicators_for(request, viewer, period)
    _ = translator(request).gettext
    return render(
        request, "overview.html", viewer, period=period, figures=figures,
        topic_chart=bar_chart(_topic_titles(figures.by_topic, request),
                              _("Information requests by topic")),
        region_chart=bar_chart(figures.by_region, _("Information requests by region")),
        region_map=shaded_map(figures.by_region, "requests"),
        reports_map=shaded_map(figures.reports_by_region, "reports"), reports_enabled=True,
        report_definition=report_figures.DEFINITION)


def _topic_titles(counts: list[ind.Count], request: Request) -> list[ind.Count]:
    """Topics by their title in the page's language (French when it has none), not by key."""
    topics = runtime(request).content.current.topics
    lang = language(request)

    def title(key: str) -> str:
        for code in (lang, "fr"):
            entry = topics.get(code, {}).get(key)
            if isinstance(entry, dict) and entry.get("title"):
                return str(entry["title"])
        return key

    return [replace(count, label=title(count.key)) for count in counts]


@router.get("/dashboard/operations")
def operations(request: Request, viewer: CanOperate) -> Response:
    rt = runtime(request)
    with rt.store.session() as session:
        by_status = dict(session.execute(select(OutboxMessage.status, func.count())
                                         .group_by(OutboxMessage.status)).all())
        failed = session.execute(
            select(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.attempts,
                   OutboxMessage.last_error, OutboxMessage.created_at)
            .where(OutboxMessage.status == "failed")
            .order_by(OutboxMessage.id.desc()).limit(20)).all()
        dead_letters = session.scalar(select(func.count()).select_from(DeadLetter))
        extra = feature_data.operations(session, rt.settings.digest_silent_days)
        # Refused by their channel in the last 7 days (WhatsApp outside its 24 hours), where
        # each went: bot/core/reroute.py.
        refused = session.execute(
            select(OutboxMessage.channel, OutboxMessage.status, func.count())
            .where(OutboxMessage.status.in_([REROUTED, "failed"]),
                   or_(OutboxMessage.last_error.like(f"{REROUTED} (%"),
                       OutboxMessage.last_error.like("refused (%")),
                   OutboxMessage.next_attempt_at >= utcnow() - timedelta(days=7))
            .group_by(OutboxMessage.channel, OutboxMessage.status)).all()
    # Each gateway phone's last sign of life, as every process recorded it.
    phones = Liveness(rt.store).report(rt.settings.android_sms_phone_list())
    return render(request, "operations.html", viewer, by_status=by_status, failed=failed,
                  dead_letters=dead_letters or 0, content_error=rt.content.last_error,
                  spooled=len(rt.spool.pending()), phones=phones, refused=refused, **extra)


@router.get("/dashboard/content")
def content(request: Request, viewer: CanEditContent) -> Response:
    bundle = runtime(request).content.current
    # The same count as `hanya content stats`: a topic of the menu is the language's own only
    # when its text is there; a missing one is served in the fallback language.
    coverage = [(language, topic_coverage(bundle, code))
                for code, language in bundle.languages.items()]
    due = _services_due(bundle.services, ind.today_in(timezone(request)))
    return render(request, "content.html", viewer, coverage=coverage, due=due,
                  points=bundle.points)


def _services_due(services: list, today: date) -> list:  # type: ignore[type-arg]
    """Services never verified by a person, or verified too long ago (oldest first)."""
    limit = today - timedelta(days=REVIEW_AFTER_DAYS)
    due = [s for s in services if s.verified_on is None or s.verified_on < limit]
    return sorted(due, key=lambda s: (s.verified_on is not None, s.verified_on or today, s.id))

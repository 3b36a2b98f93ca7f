"""The strategy's logframe indicators for a period, computed from the store.

Exchanges are ``InboundMessage`` rows, contacts the distinct people behind them, information
requests the ``InfoRequest`` rows by region, point, language, topic and channel. Report, idea and
committee figures join in when their modules are installed. Nothing here names a person.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, distinct, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.core.content import Content
from bot.core.models import InboundMessage, InfoRequest
from bot.core.texts import N_
from bot.features.committees import figures as report_figures
from bot.features.committees.models import VERIFIED, Committee, Report
from bot.features.ideas.models import Idea

UNKNOWN = "-"


@dataclass(frozen=True)
class Period:
    """Inclusive calendar days in the service's time zone (Africa/Niamey)."""

    start: date
    end: date

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """UTC instants: the first moment of ``start`` and the first moment after ``end``."""
        first = datetime.combine(self.start, time(), tzinfo=tz).astimezone(UTC)
        after = datetime.combine(self.end + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
        return first, after


def today_in(tz: ZoneInfo) -> date:
    return datetime.now(tz).date()


def parse_period(start: str | None, end: str | None, today: date, days: int = 30) -> Period:
    """A period from ISO dates typed in a form; anything unreadable gives the last ``days``."""
    default = Period(today - timedelta(days=days - 1), today)
    try:
        first = date.fromisoformat(start) if start else default.start
        last = date.fromisoformat(end) if end else default.end
    except ValueError:
        return default
    return Period(min(first, last), max(first, last))


def month_period(month: str) -> Period:
    """The calendar month ``YYYY-MM`` as a period; ``ValueError`` for anything else."""
    if len(month) != 7 or month[4] != "-":
        raise ValueError(f"not a month: {month!r}")
    first = date.fromisoformat(month + "-01")
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return Period(first, following - timedelta(days=1))


def last_whole_month(today: date) -> Period:
    """The last calendar month that is over on ``today``."""
    return month_period((today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m"))


@dataclass(frozen=True)
class Count:
    """One line of a breakdown. ``value`` None means suppressed (a small count, for partners)."""

    key: str
    label: str
    value: int | None
    code: str | None = None  # the OCHA P-code where the key is a point or a region
    # Hidden whole, however large, because too few reports gave it (people, women, children):
    # shown as "withheld", never as "<5", which would read as a small number (issue 21).
    withheld: bool = False
    # No report gave this number (people, women, children): shown empty ("—") on every view,
    # never "<5" on a partner's, where None otherwise reads as a small count hidden (issue 21).
    not_given: bool = False


@dataclass(frozen=True)
class Indicators:
    period: Period
    exchanges: int | None
    contacts: int | None
    requests: int | None
    by_region: list[Count]
    by_point: list[Count]
    by_language: list[Count]
    by_topic: list[Count]
    by_channel: list[Count]
    # Figures from feature modules (reports, ideas, committees), when they are installed.
    extra: list[Count] = field(default_factory=list)
    reports_by_region: list[Count] = field(default_factory=list)
    suppressed_below: int | None = None


def region_names(content: Content) -> dict[str, str]:
    """P-code → region name, from ``content/points.yaml`` (Niger's regions only)."""
    names = {p.region: p.region_name or p.region for p in content.points.values()
             if p.region and p.region.startswith("NE")}
    return dict(sorted(names.items()))


def compute(session: Session, content: Content, period: Period, tz: ZoneInfo) -> Indicators:
    """Every indicator for ``period``, exact counts."""
    first, after = period.bounds(tz)
    in_period = InboundMessage.received_at >= first, InboundMessage.received_at < after
    exchanges = session.scalar(select(func.count()).select_from(InboundMessage).where(*in_period))
    contacts = session.scalar(select(func.count(distinct(InboundMessage.contact_id)))
                              .where(*in_period, InboundMessage.contact_id.is_not(None)))
    window = InfoRequest.at >= first, InfoRequest.at < after
    regions = region_names(content)
    by_region = _breakdown(session, InfoRequest.region, window)
    region_counts = [Count(code, name, by_region.pop(code, 0), code)
                     for code, name in regions.items()]
    region_counts += [Count(k, k, v) for k, v in by_region.items()]
    points = content.points
    languages = content.languages
    return Indicators(
        period=period, exchanges=exchanges or 0, contacts=contacts or 0,
        requests=sum(c.value or 0 for c in region_counts),
        by_region=region_counts,
        by_point=_labelled(_breakdown(session, InfoRequest.point_id, window),
                           lambda k: points[k].name if k in points else k,
                           lambda k: points[k].region if k in points else None),
        by_language=_labelled(_breakdown(session, InfoRequest.language, window),
                              lambda k: languages[k].name if k in languages else k),
        by_topic=_labelled(_breakdown(session, InfoRequest.topic, window), lambda k: k),
        by_channel=_labelled(_breakdown(session, InfoRequest.channel, window), lambda k: k),
        extra=_extra_figures(session, first, after),
        reports_by_region=reports_by_region(session, content, first, after),
    )


def _breakdown(session: Session, column: InstrumentedAttribute[str | None],
               window: Iterable[ColumnElement[bool]]) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).where(*window).group_by(column))
    return {(key or UNKNOWN): int(n) for key, n in rows}


def _labelled(counts: Mapping[str, int], label: Callable[[str], str],
              code: Callable[[str], str | None] = lambda _k: None) -> list[Count]:
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [Count(k, label(k), v, code(k)) for k, v in ordered]


def _extra_figures(session: Session, first: datetime, after: datetime) -> list[Count]:
    """Committee, report and idea-box figures (labels are dashboard msgids). The report figures
    follow ``bot.features.committees.figures`` (the digest's, the exports' and the API's)."""
    received = Report.received_at >= first, Report.received_at < after
    tally = report_figures.tally(session, first, after)
    figures = [
        Count("reports", N_("Reports received"), tally.reports),
        Count("reports_urgent", N_("Urgent reports"), tally.urgent),
        Count("reports_verified", N_("Reports verified"), tally.verified),
        Count("people", N_("People counted in the reports"), tally.people),
        Count("women", N_("Women among them"), tally.women),
        Count("children", N_("Children among them"), tally.children),
        Count("committees", N_("Active committees"), session.scalar(
            select(func.count()).select_from(Committee).where(Committee.active.is_(True))) or 0),
        # Activity, not figures about people: a "nothing to report" message counts here.
        Count("committees_reporting", N_("Committees that reported"), session.scalar(
            select(func.count(distinct(Report.committee_id))).where(*received)) or 0),
        Count("contributors", N_("Committee members who reported"), session.scalar(
            select(func.count(distinct(Report.reporter))).where(*received)) or 0),
    ]
    in_window = Idea.created_at >= first, Idea.created_at < after
    figures.append(Count("ideas", N_("Ideas received"), session.scalar(
        select(func.count()).select_from(Idea).where(*in_window)) or 0))
    figures.append(Count("themes", N_("Idea themes raised"), session.scalar(
        select(func.count(distinct(Idea.theme))).where(*in_window)) or 0))
    return figures


def reports_by_region(session: Session, content: Content, first: datetime,
                      after: datetime) -> list[Count]:
    """Reports that count (``bot.features.committees.figures``) per region, every region
    listed."""
    rows = report_figures.by_region(session, first, after)
    return [Count(code, name, rows[code].reports if code in rows else 0, code)
            for code, name in region_names(content).items()]


PEOPLE_KEYS = ("people", "women", "children")


def suppress(indicators: Indicators, threshold: int) -> Indicators:
    """The same indicators with every count from 1 to ``threshold - 1`` hidden (None)."""

    def small(value: int | None) -> int | None:
        return None if value is not None and 0 < value < threshold else value

    def hide(counts: list[Count]) -> list[Count]:
        return [replace(c, value=small(c.value)) for c in counts]

    # People counted in fewer reports than the threshold could point at a committee: when the
    # reports are few, their people, women and children go too (as in the exports).
    few = any(c.key == "reports" and c.value is not None and 0 < c.value < threshold
              for c in indicators.extra)
    extra = [replace(c, value=None, withheld=True) if few and c.key in PEOPLE_KEYS
             else replace(c, not_given=True) if given.value is None else c
             for c, given in zip(hide(indicators.extra), indicators.extra, strict=True)]

    return replace(
        indicators, exchanges=small(indicators.exchanges), contacts=small(indicators.contacts),
        requests=small(indicators.requests), by_region=hide(indicators.by_region),
        by_point=hide(indicators.by_point), by_language=hide(indicators.by_language),
        by_topic=hide(indicators.by_topic), by_channel=hide(indicators.by_channel),
        extra=extra, reports_by_region=hide(indicators.reports_by_region),
        suppressed_below=threshold)


@dataclass(frozen=True)
class RequestGroup:
    """Information requests for one region, point, language and topic (an export row)."""

    region: str | None
    point_id: str | None
    language: str
    topic: str
    channel: str
    count: int


def request_groups(session: Session, period: Period, tz: ZoneInfo) -> list[RequestGroup]:
    """Information requests grouped finely, for exports; exact counts."""
    first, after = period.bounds(tz)
    cols = (InfoRequest.region, InfoRequest.point_id, InfoRequest.language, InfoRequest.topic,
            InfoRequest.channel)
    rows = session.execute(select(*cols, func.count()).where(
        InfoRequest.at >= first, InfoRequest.at < after).group_by(*cols).order_by(*cols))
    return [RequestGroup(r, p, lang, t, ch, int(n)) for r, p, lang, t, ch, n in rows]


@dataclass(frozen=True)
class ReportCell:
    """Reports of one month (of reception, local time), region and category: an aggregate row.
    A count no report of the cell gave is None (a blank cell), never 0."""

    month: str  # YYYY-MM
    region: str | None
    category: str
    reports: int
    total: int | None  # people, where the reports gave a number
    women: int | None
    children: int | None
    verified: int


def report_cells(session: Session, period: Period, tz: ZoneInfo) -> list[ReportCell]:
    """Reports that count in ``period`` (``bot.features.committees.figures``: received in it,
    no duplicate, withdrawn, rejected or "nothing to report") summed by month, region and
    category; exact. Months are taken in ``tz`` (in Python: SQLite and PostgreSQL do not agree
    on time-zone arithmetic)."""
    first, after = period.bounds(tz)
    rows = report_figures.counted_reports(
        session, first, after, Report.received_at, Report.region, Report.category,
        Report.total, Report.women, Report.children, Report.status)
    sums: dict[tuple[str, str | None, str], list[int | None]] = {}
    for received, region, category, total, women, children, status in rows:
        stamp = received if received.tzinfo else received.replace(tzinfo=UTC)
        key = (stamp.astimezone(tz).strftime("%Y-%m"), region, category)
        cell = sums.setdefault(key, [0, None, None, None, 0])
        for i, value in enumerate((1, total, women, children, int(status == VERIFIED))):
            if value is not None:
                cell[i] = (cell[i] or 0) + value
    return [ReportCell(month, region, category, *values)  # type: ignore[arg-type]
            for (month, region, category), values in sorted(
                sums.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2]))]


__all__ = [
    "Count", "Indicators", "Period", "ReportCell", "RequestGroup", "compute", "last_whole_month",
    "month_period", "parse_period",
    "region_names", "report_cells", "request_groups", "suppress", "today_in",
]

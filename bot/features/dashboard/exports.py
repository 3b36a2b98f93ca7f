"""CSV and HXL-tagged CSV exports, safe to open in a spreadsheet.

HXL (the Humanitarian Exchange Language) adds one row of hashtags under the headers so that
humanitarian tools can read the columns without guessing; regions carry their OCHA P-codes.
Every text cell is cleaned of control and bidi characters and neutralised against formula
injection. Partner exports hold aggregates only, with small counts suppressed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.keywords import clean_text
from bot.features.committees import figures as report_figures
from bot.features.dashboard.indicators import Period, ReportCell, RequestGroup

# A spreadsheet runs a cell starting with one of these as a formula (CWE-1236).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SUPPRESSED_NOTE = "suppressed"


def safe_cell(value: object) -> str | int:
    """A cell value: numbers as they are; text cleaned, and prefixed with ' if it could run."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    text = str(value)
    if text.startswith(_FORMULA_START):  # checked before cleaning: a leading tab is a trigger
        text = "'" + text
    text = clean_text(text).replace("\t", " ").replace("\r", " ").replace("\n", " ")
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return text


@dataclass(frozen=True)
class Column:
    header: str
    hxl: str


def write_csv(columns: Sequence[Column], rows: Iterable[Sequence[object]], hxl: bool) -> str:
    """CSV text with a header row, then (if ``hxl``) the hashtag row, then the data."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    if hxl:
        writer.writerow([c.hxl for c in columns])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()


REQUEST_COLUMNS = (
    Column("period_start", "#date+start"),
    Column("period_end", "#date+end"),
    Column("region", "#adm1+name"),
    Column("region_pcode", "#adm1+code"),
    Column("point", "#loc+name"),
    Column("language", "#meta+language"),
    Column("topic", "#indicator+topic"),
    Column("channel", "#meta+channel"),
    Column("requests", "#indicator+requests+num"),
    Column("note", "#meta+note"),
)


def request_rows(groups: Iterable[RequestGroup], period: Period, regions: Mapping[str, str],
                 points: Mapping[str, str], small: int | None) -> list[list[object]]:
    """Rows for the information-request export; with ``small``, counts below it are blanked."""
    rows: list[list[object]] = []
    for g in groups:
        hidden = small is not None and 0 < g.count < small
        rows.append([
            period.start.isoformat(), period.end.isoformat(),
            regions.get(g.region or "", g.region or ""), g.region or "",
            points.get(g.point_id or "", g.point_id or ""), g.language, g.topic, g.channel,
            None if hidden else g.count, f"{SUPPRESSED_NOTE} (<{small})" if hidden else None,
        ])
    return rows


def coarsen(groups: Iterable[RequestGroup]) -> list[RequestGroup]:
    """Requests summed by region and topic only: what partners get, so fewer cells are small."""
    totals: dict[tuple[str | None, str], int] = {}
    for g in groups:
        totals[(g.region, g.topic)] = totals.get((g.region, g.topic), 0) + g.count
    return [RequestGroup(region, None, "", topic, "", n)
            for (region, topic), n in sorted(totals.items(), key=lambda kv: (kv[0][0] or "",
                                                                               kv[0][1]))]


def requests_csv(groups: Iterable[RequestGroup], period: Period, regions: Mapping[str, str],
                 points: Mapping[str, str], *, hxl: bool, small: int | None) -> str:
    """The information-request aggregates as CSV (or HXL-tagged CSV)."""
    return write_csv(REQUEST_COLUMNS, request_rows(groups, period, regions, points, small), hxl)


REPORT_COLUMNS = (
    Column("reference", "#meta+id"),
    Column("occurred", "#date+occurred"),
    Column("received", "#date+reported"),
    Column("region", "#adm1+name"),
    Column("region_pcode", "#adm1+code"),
    Column("point", "#loc+name"),
    Column("category", "#event+type"),
    Column("urgent", "#event+urgent"),
    Column("total", "#affected+total"),
    Column("women", "#affected+f"),
    Column("children", "#affected+children"),
    Column("status", "#status"),
    Column("corroborated", "#meta+corroborated"),
    Column("committee", "#org+committee"),
)


def reports_csv(reports: Iterable[Any], committee_names: Mapping[int, str],
                regions: Mapping[str, str], points: Mapping[str, str], *, hxl: bool) -> str:
    """Reports one per row, structured fields only: no reporter, no free text, no media."""
    rows = [[
        r.reference, r.occurred_at.date().isoformat(), r.received_at.date().isoformat(),
        regions.get(r.region or "", r.region or ""), r.region or "",
        points.get(r.point_id, r.point_id), r.category, r.urgent, r.total, r.women, r.children,
        r.status, r.corroborated, committee_names.get(r.id, ""),
    ] for r in reports]
    return write_csv(REPORT_COLUMNS, rows, hxl)


REPORT_AGGREGATE_COLUMNS = (
    Column("month", "#date+month"),
    Column("region", "#adm1+name"),
    Column("region_pcode", "#adm1+code"),
    Column("category", "#event+type"),
    Column("reports", "#indicator+reports+num"),
    Column("total", "#affected+total"),
    Column("women", "#affected+f"),
    Column("children", "#affected+children"),
)
# Officers only: how many of the cell's reports the SP/CCM has verified.
VERIFIED_COLUMN = Column("verified", "#indicator+reports+verified+num")
# Last: what the row counts (the one definition) and, for partners, what is withheld and why.
NOTE_COLUMN = Column("note", "#meta+note")
# Written in a withheld figure's cell: a word nobody can read as a number (never "<5").
SUPPRESSED = "suppressed"


def counted_note() -> str:
    """What every figure of a report aggregate counts (``bot.features.committees.figures``)."""
    return report_figures.DEFINITION


def suppress_cell(figures: Sequence[int | None], small: int,
                  hidden: object) -> tuple[list[object], str | None]:
    """A cell's figures (reports first) with small ones replaced by ``hidden``, and why.

    When the reports themselves are few, every figure of the cell goes: people counted in one
    or two reports would point at the committee that sent them. Otherwise only a people, women
    or children count from 1 to ``small - 1`` goes.
    """
    if 0 < (figures[0] or 0) < small:
        return [hidden] * len(figures), (
            f"{SUPPRESSED}: fewer than {small} reports in this row, so every figure of it is "
            f"withheld (people counted in so few reports could point at the committee)")
    shown = [hidden if value is not None and 0 < value < small else value
             for value in figures]
    if shown == list(figures):
        return shown, None
    return shown, (f"{SUPPRESSED}: a people, women or children count from 1 to {small - 1} is "
                   f"withheld so that nobody can be singled out")


def report_aggregate_rows(cells: Iterable[ReportCell], regions: Mapping[str, str], *,
                          small: int | None, hidden: object = None,
                          verified: bool = False, note: bool = False) -> list[list[object]]:
    """Rows of the report aggregates: region level, no point, no text, no reporter.

    With ``small``, withheld figures become ``hidden`` ("suppressed" in a CSV, None in JSON);
    with ``verified``, the verified count is appended (officers); with ``note``, the row's note
    (what it counts, and what is withheld and why).
    """
    rows: list[list[object]] = []
    for c in cells:
        counts: list[int | None] = [c.reports, c.total, c.women, c.children]
        why = None
        figures: list[object] = list(counts)
        if small is not None:
            figures, why = suppress_cell(counts, small, hidden)
        extra: list[object] = [c.verified] if verified else []
        if note:
            extra.append(" ".join(part for part in (counted_note(), why) if part))
        rows.append([c.month, regions.get(c.region or "", c.region or ""), c.region or "",
                     c.category, *figures, *extra])
    return rows


def report_aggregate_columns(*, verified: bool) -> tuple[Column, ...]:
    return REPORT_AGGREGATE_COLUMNS + ((VERIFIED_COLUMN,) if verified else ()) + (NOTE_COLUMN,)


def report_aggregates_csv(cells: Iterable[ReportCell], regions: Mapping[str, str], *,
                          hxl: bool, small: int | None, verified: bool) -> str:
    """The report aggregates as CSV (or HXL-tagged CSV). A withheld figure reads "suppressed"
    and the row's note says why; a figure no report gave is blank."""
    rows = report_aggregate_rows(cells, regions, small=small, hidden=SUPPRESSED,
                                 verified=verified, note=True)
    return write_csv(report_aggregate_columns(verified=verified), rows, hxl)


__all__ = [
    "NOTE_COLUMN", "REPORT_AGGREGATE_COLUMNS", "REPORT_COLUMNS", "REQUEST_COLUMNS", "SUPPRESSED",
    "VERIFIED_COLUMN", "Column", "coarsen", "counted_note", "report_aggregate_columns",
    "report_aggregate_rows", "report_aggregates_csv", "reports_csv", "request_rows",
    "requests_csv", "safe_cell", "suppress_cell", "write_csv",
]

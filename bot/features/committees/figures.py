"""The report figures the SP/CCM reads, defined once (issue 21).

For one period the dashboard said 14 reports / 4 urgent and the digest 5 / 3: each counted
duplicates, "nothing to report" and withdrawn reports its own way, and the partner export went
by event date. Every reader now takes its figures from here: the digest
(``bot.features.digests.digest``), the dashboard's indicators and report aggregates
(``bot.features.dashboard.indicators``), hence the CSV/HXL exports and the partner API.

The definition (``DEFINITION``, written on the dashboard page and in the exports):

- a report counts when it was *received* in the period (days in the service's time zone,
  Africa/Niamey): a period that is over never changes afterwards;
- duplicates, withdrawn and rejected reports and "nothing to report" (RAS) messages are left out;
- people, women and children add the numbers the reports gave; a count no report gave is
  unknown (None), never 0; ``people_given`` says how many reports gave a number of people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from bot.core.texts import N_
from bot.features.committees.models import (
    DUPLICATE,
    NOTHING,
    REJECTED,
    VERIFIED,
    WITHDRAWN,
    Report,
)

# Statuses whose reports say nothing new about people: left out of every figure.
NOT_COUNTED = (DUPLICATE, REJECTED, WITHDRAWN)

# TRANSLATORS: under the report figures of the dashboard (exports and API carry it in English).
DEFINITION = N_(
    "Reports received in the period (Niamey time), excluding duplicates, withdrawn and "
    "rejected reports and \u201cnothing to report\u201d messages. People, women and children "
    "add the numbers the reports gave; a number no report gave is left blank.")


def counted(first: datetime, after: datetime) -> list[ColumnElement[bool]]:
    """The conditions that make a report count for the period ``[first, after)`` (UTC)."""
    return [Report.received_at >= first, Report.received_at < after,
            Report.status.not_in(NOT_COUNTED), Report.category != NOTHING]


@dataclass(frozen=True)
class Tally:
    """The report figures of a period (or of one cell of a breakdown)."""

    reports: int
    urgent: int
    verified: int
    people: int | None  # the numbers given, summed; None when no report gave one
    people_given: int  # reports that gave a number of people
    women: int | None
    children: int | None


def _columns() -> tuple[Any, ...]:
    r = Report
    return (func.count(), func.count().filter(r.urgent.is_(True)),
            func.count().filter(r.status == VERIFIED), func.sum(r.total), func.count(r.total),
            func.sum(r.women), func.sum(r.children))


def _tally(row: Any) -> Tally:
    n, urgent, verified, people, given, women, children = row
    return Tally(int(n), int(urgent or 0), int(verified or 0),
                 None if people is None else int(people), int(given or 0),
                 None if women is None else int(women),
                 None if children is None else int(children))


def tally(session: Session, first: datetime, after: datetime) -> Tally:
    """The figures of the period ``[first, after)``."""
    return _tally(session.execute(select(*_columns()).where(*counted(first, after))).one())


def by_region(session: Session, first: datetime, after: datetime) -> dict[str | None, Tally]:
    """The figures per region (OCHA P-code; None for a report without one)."""
    rows = session.execute(select(Report.region, *_columns()).where(*counted(first, after))
                           .group_by(Report.region))
    return {row[0]: _tally(row[1:]) for row in rows}


def counted_reports(session: Session, first: datetime, after: datetime,
                    *fields: Any) -> list[Any]:
    """``fields`` of every report that counts, oldest first (breakdowns done in Python, such as
    months in the service's time zone, which SQLite and PostgreSQL do not compute alike)."""
    return list(session.execute(select(*fields).where(*counted(first, after))
                                .order_by(Report.received_at, Report.id)))


__all__ = ["DEFINITION", "NOT_COUNTED", "Tally", "by_region", "counted", "counted_reports",
           "tally"]

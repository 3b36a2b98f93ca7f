"""What a digest holds, as data (built by ``digest.py``, rendered by ``render.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.features.dashboard.indicators import Count, Period


@dataclass(frozen=True)
class UrgentReport:
    reference: str
    category: str
    point_id: str
    total: int | None
    women: int | None
    children: int | None


@dataclass(frozen=True)
class ReportGroup:
    """Reports of one region and category. A count no report gave is None, never 0; ``people``
    sums the counts given, and ``complete`` says whether every report gave one."""

    region: str | None
    category: str
    reports: int
    people: int | None
    women: int | None
    children: int | None
    complete: bool = True


@dataclass(frozen=True)
class IdeaLine:
    reference: str
    theme: str | None
    text: str


@dataclass(frozen=True)
class Figures:
    """The logframe indicators of one period (weekly digest)."""

    period: Period
    exchanges: int
    contacts: int
    reporters: int
    idea_senders: int
    committees_active: int
    reports: int
    ideas: int
    requests: int
    themes: dict[str, int]
    by_region: list[Count]
    by_point: list[Count]
    by_language: list[Count]
    by_topic: list[Count]

    @property
    def contributors(self) -> int:
        return self.reporters + self.idea_senders


@dataclass
class Digest:
    kind: str
    period: Period
    urgent: list[UrgentReport] = field(default_factory=list)
    groups: list[ReportGroup] = field(default_factory=list)
    silent: list[str] = field(default_factory=list)
    silent_days: int = 7
    ideas: list[IdeaLine] = field(default_factory=list)
    failures: int = 0
    content_error: str | None = None
    current: Figures | None = None
    before: Figures | None = None

    @property
    def reports(self) -> int:
        return sum(g.reports for g in self.groups)

    @property
    def people(self) -> int:
        """The people the reports counted (those without a count add none)."""
        return sum(g.people or 0 for g in self.groups)

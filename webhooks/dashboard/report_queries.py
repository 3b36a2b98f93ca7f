"""Reading and deciding on watch-committee reports for the dashboard.

Decisions (verify, reject with a reason, mark duplicate of) are written with an audit entry in
the same transaction, so a decision without its trail cannot exist.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import phonenumbers
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from bot.core.content import Content
from bot.core.crypto import Vault
from bot.core.keywords import clean_text
from bot.core.models import utcnow
from bot.core.settings import Settings
from bot.features.committees.models import (
    DUPLICATE,
    LINK_DUPLICATE,
    NOTHING,
    REJECTED,
    VERIFIED,
    Committee,
    Report,
    ReportLink,
    release_duplicates,
)
from bot.features.dashboard import auth
from webhooks.dashboard.web import catalog

STATUSES = ("received", "verified", "rejected", "duplicate", "withdrawn")
FILTERS = ("region", "point", "category", "status", "committee")
PAGE_SIZE = 50
# Digit runs that look like a phone number even when phonenumbers does not recognise them.
Q = TypeVar("Q", bound=Select)  # type: ignore[type-arg]
_DIGITS = re.compile(r"\+?\d[\d .\-]{6,}\d")


@dataclass(frozen=True)
class ReportFilter:
    """What the list shows: a period on the event time, plus any of ``FILTERS``."""

    first: datetime
    after: datetime
    values: Mapping[str, str]

    def apply(self, query: Q) -> Q:
        query = query.where(Report.occurred_at >= self.first, Report.occurred_at < self.after)
        columns = {"region": Report.region, "point": Report.point_id,
                   "category": Report.category, "status": Report.status}
        for name, column in columns.items():
            if self.values.get(name):
                query = query.where(column == self.values[name])
        committee = self.values.get("committee", "")
        if committee.isdigit():
            query = query.where(Report.committee_id == int(committee))
        return query


def list_reports(session: Session, flt: ReportFilter, limit: int = PAGE_SIZE) -> list[Any]:
    """The newest matching reports with their committee's name (no text, no reporter)."""
    query = flt.apply(select(Report, Committee.name).join(
        Committee, Committee.id == Report.committee_id))
    return list(session.execute(query.order_by(Report.occurred_at.desc(), Report.id.desc())
                                .limit(limit)).all())


def count_reports(session: Session, flt: ReportFilter) -> int:
    return session.scalar(flt.apply(select(func.count()).select_from(Report))) or 0


def committees(session: Session) -> list[tuple[int, str]]:
    return [(c.id, c.name) for c in session.scalars(select(Committee).order_by(Committee.name))]


def related(session: Session, report: Report) -> list[tuple[str, Report]]:
    """Reports linked to this one either way: (kind, other report)."""
    links = session.scalars(select(ReportLink).where(
        or_(ReportLink.report_id == report.id, ReportLink.other_id == report.id))).all()
    found = []
    for link in links:
        other_id = link.other_id if link.report_id == report.id else link.report_id
        other = session.get(Report, other_id)
        if other is not None:
            found.append((link.kind, other))
    return found


def free_text(vault: Vault, report: Report) -> dict[str, str]:
    """The report's description and raw message, decrypted, phone numbers masked."""
    texts = {}
    for name, token in (("description", report.description_enc), ("raw", report.raw_text_enc)):
        if token:
            texts[name] = mask_phone_numbers(clean_text(vault.decrypt(token)))
    return texts


def mask_phone_numbers(text: str) -> str:
    """Replace anything that looks like a phone number with a marker: never shown, ever."""
    for match in reversed(list(phonenumbers.PhoneNumberMatcher(text, "NE"))):
        text = text[:match.start] + "[…]" + text[match.end:]
    return _DIGITS.sub("[…]", text)


class DecisionError(ValueError):
    """A decision that cannot be applied (unknown report, missing reason...)."""


def decide(session: Session, actor: auth.Actor, report: Report, action: str,
           reason: str = "", duplicate_of: str = "") -> None:
    """Apply ``verify``, ``reject`` (needs a reason) or ``duplicate`` (needs the other ref)."""
    detail = None
    if action == "verify":
        report.status = VERIFIED
    elif action == "reject":
        reason = clean_text(reason).strip()
        if not reason:
            raise DecisionError("reason")
        report.status, detail = REJECTED, reason[:200]
        release_duplicates(session, report, utcnow())  # its copies still tell the event
    elif action == "duplicate":
        other = session.scalar(select(Report).where(
            Report.reference == duplicate_of.strip().upper()))
        if other is None or other.id == report.id:
            raise DecisionError("duplicate_of")
        report.status, detail = DUPLICATE, other.reference
        if not session.scalar(select(ReportLink).where(
                ReportLink.report_id == report.id, ReportLink.other_id == other.id,
                ReportLink.kind == LINK_DUPLICATE)):
            session.add(ReportLink(report_id=report.id, other_id=other.id, kind=LINK_DUPLICATE))
    else:
        raise DecisionError("action")
    report.status_changed_at = utcnow()
    auth.audit(session, actor, f"report.{action}", object_type="report",
               object_id=report.reference, detail=detail)


def category_labels(settings: Settings, content: Content, lang: str) -> dict[str, str]:
    """Category id → label in ``lang`` (French, then the id, when missing)."""
    # "Nothing to report" (RAS) is a category the grammar keeps apart from categories.yaml.
    labels = {NOTHING: catalog(settings.locales_dir, lang).gettext(NOTHING)}
    for category in content.vocabulary.categories.values():
        labels[category.id] = category.label([lang, "fr"])
    return labels

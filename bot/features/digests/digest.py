"""Digests for the SP/CCM, built as data first (this module), then rendered per channel and
language (``bot.features.digests.render``), then queued once per (digest, period, recipient).

A daily digest covers the previous calendar day in the service's time zone (Africa/Niamey), a
weekly one the seven days before the day it is sent; the numbers therefore match the
dashboard's indicators for the same days. Every query is bounded by the period on an indexed
time column, so it grows with the period's data, not with the history.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.content import Content
from bot.core.crypto import Vault
from bot.core.models import OutboxMessage
from bot.core.recipients import PRIORITY_DIGEST, Recipient, enqueue, recipients_for, route_of
from bot.core.store import Store
from bot.features.committees import figures as report_figures
from bot.features.committees import models as cm
from bot.features.dashboard.indicators import Period, compute
from bot.features.digests import kinds
from bot.features.digests.data import (
    Digest,
    Figures,
    IdeaLine,
    ReportGroup,
    UrgentReport,
)
from bot.features.digests.models import DigestRun
from bot.features.ideas.models import Idea

log = logging.getLogger(__name__)
# Reports that say nothing new about people: left out of the counts (one definition for the
# digest, the dashboard, the exports and the API: bot.features.committees.figures).
NOT_COUNTED = report_figures.NOT_COUNTED


def period_for(kind: str, sent_on: date) -> Period:
    """The days a digest sent on ``sent_on`` covers: the kind's ``days`` days before."""
    days = kinds.get(kind).days
    return Period(sent_on - timedelta(days=days), sent_on - timedelta(days=1))


def period_key(period: Period) -> str:
    if period.start == period.end:
        return period.start.isoformat()
    return f"{period.start.isoformat()}..{period.end.isoformat()}"


def previous(period: Period) -> Period:
    length = period.end - period.start + timedelta(days=1)
    return Period(period.start - length, period.end - length)


def build_digest(session: Session, content: Content, kind: str, period: Period, tz: ZoneInfo,
                 *, vault: Vault, silent_days: int = 7,
                 content_error: str | None = None) -> Digest:
    """Every section of the ``kind`` digest for ``period`` (exact counts; suppression is for
    rendering, per recipient)."""
    first, after = period.bounds(tz)
    digest = Digest(kind, period, silent_days=silent_days, content_error=content_error)
    digest.urgent = urgent_reports(session, first, after)
    digest.groups = report_groups(session, first, after)
    digest.silent = silent_committees(session, after, silent_days)
    digest.ideas = new_ideas(session, vault, first, after)
    digest.failures = delivery_failures(session, first, after)
    extend = kinds.get(kind).extend
    if extend is not None:  # the weekly indicators
        extend(digest, session, content, tz)
    return digest


# --- report sections (bot.features.committees.models) ---------------------------------------------

def _counted(first: datetime, after: datetime) -> list[Any]:
    return report_figures.counted(first, after)


def urgent_reports(session: Session, first: datetime, after: datetime) -> list[UrgentReport]:
    """Urgent reports received in the period, oldest first."""
    rows = session.scalars(select(cm.Report).where(*_counted(first, after),
                                                   cm.Report.urgent.is_(True))
                           .order_by(cm.Report.received_at))
    return [UrgentReport(r.reference, r.category, r.point_id, r.total, r.women, r.children)
            for r in rows]


def report_groups(session: Session, first: datetime, after: datetime) -> list[ReportGroup]:
    """Reports received in the period by region and category, with the people counted."""
    r = cm.Report
    # SUM of no value is NULL and COUNT(column) counts the values given: a count nobody gave
    # stays unknown instead of reading 0 (issue 21: "0 people (0 women, 0 children)").
    rows = session.execute(
        select(r.region, r.category, func.count(), func.sum(r.total), func.count(r.total),
               func.sum(r.women), func.count(r.women), func.sum(r.children),
               func.count(r.children))
        .where(*_counted(first, after)).group_by(r.region, r.category)
        .order_by(r.region, r.category))
    return [ReportGroup(region, category, int(n),
                        int(total) if given and total is not None else None,
                        int(women) if women_given == n and women is not None else None,
                        int(children) if children_given == n and children is not None else None,
                        complete=given == n)
            for region, category, n, total, given, women, women_given, children,
            children_given in rows]


def silent_committees(session: Session, until: datetime, days: int) -> list[str]:
    """Active committees that sent nothing (not even "nothing to report") in ``days`` days."""
    since = until - timedelta(days=days)
    heard = select(cm.Report.committee_id).distinct().where(
        cm.Report.received_at >= since, cm.Report.received_at < until)
    rows = session.scalars(select(cm.Committee.name).where(
        cm.Committee.active.is_(True), cm.Committee.created_at < since,
        cm.Committee.id.not_in(heard)).order_by(cm.Committee.name))
    return list(rows)


def committees_active(session: Session, first: datetime, after: datetime) -> int:
    """Committees that sent at least one report (of any kind) in the period."""
    return session.scalar(select(func.count(distinct(cm.Report.committee_id))).where(
        cm.Report.received_at >= first, cm.Report.received_at < after)) or 0


def reporters(session: Session, first: datetime, after: datetime) -> int:
    """Distinct reporters in the period (by their report pseudonym)."""
    return session.scalar(select(func.count(distinct(cm.Report.reporter))).where(
        cm.Report.received_at >= first, cm.Report.received_at < after)) or 0


# --- the other sections ------------------------------------------------------------------------

def new_ideas(session: Session, vault: Vault, first: datetime,
              after: datetime) -> list[IdeaLine]:
    """Ideas of the period. Sensitive feedback lives in another table: it cannot appear."""
    rows = session.scalars(select(Idea).where(Idea.created_at >= first, Idea.created_at < after)
                           .order_by(Idea.id))
    return [IdeaLine(i.reference, i.theme, vault.decrypt(i.text_enc)) for i in rows]


def idea_senders(session: Session, first: datetime, after: datetime) -> int:
    """Distinct signed senders, plus each anonymous idea (nothing tells two of them apart)."""
    window = Idea.created_at >= first, Idea.created_at < after
    signed = session.scalar(select(func.count(distinct(Idea.contact_id))).where(
        *window, Idea.contact_id.is_not(None))) or 0
    anonymous = session.scalar(select(func.count()).select_from(Idea).where(
        *window, Idea.contact_id.is_(None))) or 0
    return signed + anonymous


def delivery_failures(session: Session, first: datetime, after: datetime) -> int:
    """Outbox messages given up in the period (the sender stamps the last try's time)."""
    return session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == "failed", OutboxMessage.next_attempt_at >= first,
        OutboxMessage.next_attempt_at < after)) or 0


def figures(session: Session, content: Content, period: Period, tz: ZoneInfo) -> Figures:
    """The weekly indicators of ``period``: usage from ``bot.features.dashboard.indicators``, plus
    contributions."""
    first, after = period.bounds(tz)
    usage = compute(session, content, period, tz)
    ideas = session.scalars(select(Idea.theme).where(Idea.created_at >= first,
                                                     Idea.created_at < after)).all()
    reports = report_figures.tally(session, first, after).reports
    return Figures(
        period=period, exchanges=usage.exchanges or 0, contacts=usage.contacts or 0,
        reporters=reporters(session, first, after),
        idea_senders=idea_senders(session, first, after),
        committees_active=committees_active(session, first, after), reports=reports,
        ideas=len(ideas), requests=usage.requests or 0,
        themes=dict(Counter(theme or "" for theme in ideas).most_common()),
        by_region=[c for c in usage.by_region if c.value], by_point=usage.by_point,
        by_language=usage.by_language, by_topic=usage.by_topic)


# --- queuing, exactly once ------------------------------------------------------------------------

Renderer = Any  # (digest, recipient) -> list[Outgoing]; see bot.features.digests.render.render_for


def send_digest(store: Store, vault: Vault, content: Content, kind: str, sent_on: date,
                tz: ZoneInfo, render_for: Renderer, *, silent_days: int = 7,
                content_error: str | None = None) -> int:
    """Queue the ``kind`` digest of the period ending the day before ``sent_on`` for every
    recipient that has not had it; return how many recipients it was queued for.

    The ``DigestRun`` insert and the outbox rows share a transaction: another process doing
    the same hits the unique key and rolls back, so each recipient gets one copy.
    """
    period = period_for(kind, sent_on)
    key = period_key(period)
    with store.session() as session:
        waiting = [r.id for r in recipients_for(session, kind) if not _done(session, kind, key, r)]
    if not waiting:
        return 0
    with store.session() as session:
        digest = build_digest(session, content, kind, period, tz, vault=vault,
                              silent_days=silent_days,
                              content_error=content_error)
    queued = 0
    for recipient_id in waiting:
        try:
            with store.session() as session:
                recipient = session.get(Recipient, recipient_id)
                if recipient is None or not recipient.active:
                    continue
                run = DigestRun(digest=kind, period=key, recipient_id=recipient_id)
                session.add(run)
                session.flush()  # the unique key decides here, before anything is queued
                messages = render_for(digest, recipient)
                for message in messages:
                    enqueue(session, vault, channel=recipient.channel,
                            address_enc=recipient.address_enc, message=message,
                            priority=PRIORITY_DIGEST, route=route_of(recipient.pseudonym),
                            language=recipient.language)
                run.messages = len(messages)
            queued += 1
        except IntegrityError:
            log.info("%s digest %s already queued for recipient %s", kind, key, recipient_id)
    log.info("%s digest %s queued for %s recipient(s)", kind, key, queued)
    return queued


def _done(session: Session, kind: str, key: str, recipient: Recipient) -> bool:
    return session.scalar(select(DigestRun.id).where(
        DigestRun.digest == kind, DigestRun.period == key,
        DigestRun.recipient_id == recipient.id)) is not None


__all__ = [
    "Digest", "Figures", "IdeaLine", "ReportGroup", "UrgentReport", "build_digest",
    "period_for", "period_key", "send_digest",
]

"""Urgent alerts to the SP/CCM duty recipients (subscription ``alerts``), at once.

Queued in the caller's transaction through the same outbox as every reply, ahead of digests
(``PRIORITY_ALERT``): an alert exists exactly when the report or SOS that caused it is stored.
An alert names a place, a time, a kind and counts, never a person, a number or free text (the
description of a report stays in the store, encrypted; officers read it by its reference).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.core import channel_registry
from bot.core.content import Content
from bot.core.crypto import Vault
from bot.core.i18n import Translator
from bot.core.messages import Reply
from bot.core.recipients import (
    PRIORITY_ALERT,
    PRIORITY_SOS,
    enqueue,
    recipients_for,
    route_of,
)
from bot.core.render import render
from bot.core.settings import Settings
from bot.features.committees import texts as txt
from bot.features.committees.models import Committee, Report
from bot.features.committees.parser import Vocabulary

log = logging.getLogger(__name__)

Compose = Callable[[Translator, str], str]  # (translator, language code) -> alert text


def fan_out(session: Session, vault: Vault, content: Content, compose: Compose,
            priority: int = PRIORITY_ALERT) -> int:
    """Queue one alert per active ``alerts`` recipient, in its language; return how many."""
    queued = 0
    for recipient in recipients_for(session, "alerts"):
        translator = content.translator(recipient.language)
        language = translator.language
        text = compose(translator, language.code)
        # Shaped by the recipient's channel (an SMS alert keeps to one or two segments).
        traits = channel_registry.alert_traits(recipient.channel)
        for message in render([Reply(text)], traits, language, translator).messages:
            enqueue(session, vault, channel=recipient.channel, address_enc=recipient.address_enc,
                    message=message, priority=priority, kind=message.kind or "alert",
                    route=route_of(recipient.pseudonym), language=language.code)
        queued += 1
    if not queued:
        log.warning("urgent alert with no active 'alerts' recipient: nobody was told")
    return queued


def when(t: Translator, moment: datetime, zone: str, *, with_time: bool = True) -> str:
    """A local date (and time) for the reader, e.g. "14 mars 2026 06:30"."""
    local = moment.astimezone(ZoneInfo(zone))
    day = t.date(local.date())
    return f"{day} {local:%H:%M}" if with_time else day


def people(t: Translator, total: int | None, women: int | None, children: int | None) -> str:
    """"120 people incl. 25 W, 15 C" in the reader's language (also in confirmations)."""
    text = t.ngettext(txt.PEOPLE, total) if total is not None else t(txt.PEOPLE_UNKNOWN)
    parts = [t(message, count=n) for message, n in
             ((txt.WOMEN_SHORT, women), (txt.CHILDREN_SHORT, children)) if n is not None]
    if parts:
        text += " " + t(txt.INCLUDING, parts=", ".join(parts))
    return text


def alert_report(session: Session, vault: Vault, content: Content, settings: Settings,
                 report: Report, committee: Committee, vocabulary: Vocabulary) -> int:
    """Alert the duty recipients about an urgent report."""
    point = content.points.get(report.point_id)
    category = vocabulary.categories.get(report.category)

    def compose(t: Translator, lang: str) -> str:
        chain = content.chain(lang)
        text = t(txt.ALERT_REPORT, reference=report.reference,
                 category=category.label(chain) if category else report.category,
                 point=point.display(lang) if point else report.point_id,
                 region=(point.region_name if point else None) or report.region or "?",
                 people=people(t, report.total, report.women, report.children),
                 when=when(t, report.occurred_at, settings.timezone,
                           with_time=report.occurred_precision == "time"),
                 committee=committee.name)
        return text + (" " + t(txt.ALERT_CORROBORATED) if report.corroborated else "")

    return fan_out(session, vault, content, compose)


def alert_sos(session: Session, vault: Vault, content: Content, settings: Settings,
              point_id: str | None, at: datetime) -> int:
    """Alert the duty recipients about an SOS: the place and the time, nothing else."""
    point = content.points.get(point_id or "")

    def compose(t: Translator, lang: str) -> str:
        moment = when(t, at, settings.timezone)
        if point is None:
            return t(txt.ALERT_SOS_NO_POINT, when=moment)
        return t(txt.ALERT_SOS, point=point.display(lang),
                 region=point.region_name or point.region or "?", when=moment)

    # In the SOS lane, as the person's own reply: ahead of every reply and alert queued.
    return fan_out(session, vault, content, compose, priority=PRIORITY_SOS)

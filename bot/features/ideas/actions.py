"""The idea box's domain actions, shared by the CLI (``hanya idea status|list``) and the
dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.channel_registry import ChannelTraits
from bot.core.content import Content
from bot.core.crypto import Vault
from bot.core.messages import Reply
from bot.core.models import Contact, utcnow
from bot.core.recipients import PRIORITY_ALERT, enqueue, route_of
from bot.core.render import render
from bot.features.ideas import texts as it
from bot.features.ideas.models import STATUSES, Idea, SensitiveFeedback, find_submission


def set_status(session: Session, vault: Vault, content: Content,
               traits: dict[str, ChannelTraits], reference: str, status: str,
               answer: str | None) -> Idea | SensitiveFeedback:
    """Record the SP/CCM's decision; a signed submitter is told in their language and channel."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; one of: {', '.join(STATUSES)}")
    found = find_submission(session, reference)
    if found is None:
        raise LookupError(f"no idea {reference}")
    found.status, found.answer, found.status_changed_at = status, answer, utcnow()
    contact = reachable_submitter(session, found)
    if contact is not None:
        t = content.translator(found.language)
        lines = [t(it.STATUS_CHANGED, ref=found.reference, status=t(it.STATUS_LABELS[status]))]
        if answer:
            lines.append(t(it.STATUS_ANSWER, answer=answer))
        language = content.languages.get(found.language) or t.language
        for message in render([Reply("\n".join(lines))], traits[contact.channel], language,
                              t).messages:
            enqueue(session, vault, channel=contact.channel, address_enc=contact.address_enc,
                    message=message, priority=PRIORITY_ALERT, contact_id=contact.id,
                    route=route_of(contact.pseudonym), kind="idea", language=language.code)
    return found


def reachable_submitter(session: Session, found: Idea | SensitiveFeedback) -> Contact | None:
    """Whom a status change reaches: the signed submitter, unless they erased their data (the
    link is gone) or said STOP. None: nobody will receive an answer."""
    contact = session.get(Contact, found.contact_id) if found.contact_id else None
    if found.signed and contact is not None and not contact.stopped:
        return contact
    return None


@dataclass(frozen=True)
class Listed:
    """One submission as a list shows it: no text, no person, only what decides what to do."""

    reference: str
    received: datetime  # in the reader's zone
    status: str
    theme: str | None
    signed: bool
    answered: bool
    channel: str
    language: str
    confidential: bool


def list_submissions(session: Session, zone: ZoneInfo, *, status: str | None = None,
                     since: date | None = None, until: date | None = None,
                     confidential: bool = False, limit: int = 100) -> list[Listed]:
    """Ideas (and, for a named officer, confidential feedback) newest first; ``since`` and
    ``until`` are whole days in ``zone``, both included."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; one of: {', '.join(STATUSES)}")
    listed: list[Listed] = []
    models: list[type[Idea] | type[SensitiveFeedback]] = [Idea]
    if confidential:
        models.append(SensitiveFeedback)
    for model in models:
        query = select(model).order_by(model.created_at.desc(), model.id.desc()).limit(limit)
        if status is not None:
            query = query.where(model.status == status)
        if since is not None:
            query = query.where(model.created_at >= _utc(since, zone))
        if until is not None:
            query = query.where(model.created_at < _utc(until + timedelta(days=1), zone))
        rows: list[Idea | SensitiveFeedback] = list(session.scalars(query))
        for row in rows:
            listed.append(Listed(
                row.reference, _aware(row.created_at).astimezone(zone),
                row.status, row.theme if isinstance(row, Idea) else None, row.signed,
                bool(row.answer), row.channel, row.language, isinstance(row, SensitiveFeedback)))
    listed.sort(key=lambda item: item.received, reverse=True)
    return listed[:limit]


def count_confidential(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(SensitiveFeedback)) or 0


def _utc(day: date, zone: ZoneInfo) -> datetime:
    """The first moment of ``day`` in ``zone``, in UTC as the store keeps times."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)

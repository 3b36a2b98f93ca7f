"""Retention: the information point forgets people it has not heard from for a while.

After ``retention_days`` (default 90) without a message, a contact is erased (unless they are
an active watch-committee member), the messages sent to anyone before that date are deleted,
dead letters go, and inbound message rows lose their link to the person. What stays is what
the indicators need: counts by channel and time (inbound rows without a contact) and the
information requests, which never had a person attached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from bot.core.models import Contact, DeadLetter, InboundMessage, OutboxMessage
from bot.features.committees.models import ACTIVE, CommitteeMember

# The registry's columns (bot/app/personal_data.py) whose ``on_retention`` this module applies;
# tests/test_personal_data.py checks the two lists agree.
HANDLED = frozenset({
    "contacts.pseudonym", "contacts.address_enc", "contacts.listen", "outbox.address_enc",
    "outbox.payload_enc",
    "outbox.route", "outbox.contact_id", "dead_letters.payload_enc",
    "inbound_messages.contact_id",
    # a stale contact's row goes (never an active member's): these links become null
    # (ON DELETE SET NULL)
    "ideas.contact_id", "sensitive_feedback.contact_id", "committee_members.contact_id",
})


@dataclass(frozen=True)
class Purged:
    contacts: int
    inbound_unlinked: int
    outbox_deleted: int
    dead_letters: int


def purge(session: Session, now: datetime, days: int) -> Purged:
    """Apply the retention period in the caller's transaction."""
    cutoff = now - timedelta(days=days)
    members = select(CommitteeMember.contact_id).where(
        CommitteeMember.status == ACTIVE, CommitteeMember.contact_id.is_not(None))
    stale = select(Contact.id).where(Contact.last_seen_at < cutoff, Contact.id.not_in(members))
    stale_ids = list(session.scalars(stale))
    unlinked = _count(session.execute(
        update(InboundMessage)
        .where(InboundMessage.contact_id.is_not(None),
               (InboundMessage.received_at < cutoff) | InboundMessage.contact_id.in_(stale_ids))
        .values(contact_id=None)))
    outbox = _count(session.execute(
        delete(OutboxMessage).where(OutboxMessage.created_at < cutoff,
                                    OutboxMessage.status.in_(["sent", "failed"]))))
    dead = _count(session.execute(delete(DeadLetter).where(DeadLetter.created_at < cutoff)))
    contacts = _count(session.execute(delete(Contact).where(Contact.id.in_(stale_ids))))
    return Purged(contacts, unlinked, outbox, dead)


def _count(result: object) -> int:
    """Rows an UPDATE or DELETE touched (its result is a CursorResult)."""
    return int(cast(CursorResult[Any], result).rowcount)

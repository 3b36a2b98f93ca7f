"""DELETE: everything that leads back to a person goes at once, in the turn's transaction.

What goes is what ``bot/app/personal_data.py`` says each column's ``on_delete`` is: the contact,
every message sent to them (address and text), their messages waiting in the intake or kept as
dead letters, their signed ideas' link and text, their committee membership's link, and the
keyed hash their reports carried. Spooled SMS (files, not rows) go right after the commit.
The reply that confirms the deletion is the one thing left: it has no link and no route, and
the sender deletes its row once sent (``OutboxMessage.forget_after_send``).
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from bot.core.crypto import Vault
from bot.core.models import (
    Contact,
    DeadLetter,
    InboundMessage,
    IntakeMessage,
    OutboxMessage,
    utcnow,
)
from bot.core.recipients import route_of
from bot.features.committees.models import ACTIVE, REVOKED, CommitteeMember, Report
from bot.features.ideas.models import Idea, SensitiveFeedback

log = logging.getLogger(__name__)


# The registry's columns (bot/app/personal_data.py) whose ``on_delete`` this module applies;
# tests/test_personal_data.py checks the two lists agree.
HANDLED = frozenset({
    "contacts.pseudonym", "contacts.address_enc", "contacts.listen", "outbox.address_enc",
    "outbox.payload_enc", "outbox.route", "outbox.contact_id", "intake.payload_enc", "intake.route",
    "dead_letters.payload_enc", "inbound_messages.contact_id", "ideas.contact_id",
    "ideas.text_enc", "sensitive_feedback.contact_id", "sensitive_feedback.text_enc",
    "committee_members.contact_id", "reports.reporter",
})


@dataclass(frozen=True)
class Erased:
    outbox: int
    intake: int
    dead_letters: int
    ideas: int
    memberships: int
    reports: int


def erase_person(session: Session, vault: Vault, contact: Contact, address: str) -> Erased:
    """Apply every registered ``on_delete`` to ``contact`` (found under any key) and delete it."""
    pseudonyms = {contact.pseudonym, *vault.pseudonyms(address)}
    routes = {route_of(p) for p in pseudonyms}
    outbox = _count(session.execute(delete(OutboxMessage).where(
        or_(OutboxMessage.contact_id == contact.id, OutboxMessage.route.in_(routes)))))
    intake = _count(session.execute(delete(IntakeMessage).where(IntakeMessage.route.in_(routes))))
    dead = _erase_dead_letters(session, vault, address)
    session.execute(update(InboundMessage).where(InboundMessage.contact_id == contact.id)
                    .values(contact_id=None))
    ideas = _erase_submissions(session, vault, contact.id)
    memberships = _count(session.execute(
        update(CommitteeMember).where(CommitteeMember.contact_id == contact.id).values(
            contact_id=None, left_at=utcnow(),
            status=_unless_left(CommitteeMember.status))))
    reports = _count(session.execute(update(Report).where(
        Report.reporter.in_(_reporter_hashes(vault, pseudonyms)))
        .values(reporter=secrets.token_hex(32))))  # one value: "distinct reporters" still holds
    session.delete(contact)
    session.flush()
    return Erased(outbox, intake, dead, ideas, memberships, reports)


def _unless_left(status: Any) -> Any:
    """A membership still active ends (REVOKED: the member is gone); a past one keeps its word."""
    return case((status == ACTIVE, REVOKED), else_=status)


def _reporter_hashes(vault: Vault, pseudonyms: set[str]) -> list[str]:
    """``Report.reporter`` under every key (handlers/report.py hashes the contact's pseudonym)."""
    return sorted({h for p in pseudonyms for h in vault.pseudonyms(f"reporter:{p}")})


def _erase_submissions(session: Session, vault: Vault, contact_id: int) -> int:
    """Signed ideas and feedback lose their link and their text (a signed text may name them)."""
    erased = 0
    for model in (Idea, SensitiveFeedback):
        erased += _count(session.execute(
            update(model).where(model.contact_id == contact_id).values(
                contact_id=None, text_enc=vault.encrypt(""))))
    return erased


def _erase_dead_letters(session: Session, vault: Vault, address: str) -> int:
    """Dead letters hold only ciphertext: each is opened (there are few) and the person's go."""
    theirs = [row.id for row in session.execute(select(DeadLetter.id, DeadLetter.payload_enc))
              if _address_in(vault, row.payload_enc) == address]
    if theirs:
        session.execute(delete(DeadLetter).where(DeadLetter.id.in_(theirs)))
    return len(theirs)


def _address_in(vault: Vault, token: str) -> str | None:
    try:
        return str(json.loads(vault.decrypt(token)).get("address"))
    except (ValueError, AttributeError):  # unreadable: not provably theirs, left for retention
        return None


def erase_spooled(directory: Path, vault: Vault, address: str) -> int:
    """Spooled SMS (Twilio forms, encrypted files) from ``address``: deleted."""
    number = address.removeprefix("tel:")
    erased = 0
    for path in sorted(directory.glob("*.msg")) if directory.exists() else []:
        try:
            record = json.loads(vault.decrypt(path.read_text()))
        except (ValueError, OSError):
            continue
        if (record.get("form") or {}).get("From") == number:
            path.unlink(missing_ok=True)
            erased += 1
    return erased


def _count(result: object) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


__all__ = ["HANDLED", "Erased", "erase_person", "erase_spooled"]

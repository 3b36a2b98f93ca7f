"""Key rotation: move every pseudonym and ciphertext to a new secret key.

Operators set the new key as ``HANYA_SECRET_KEY`` and the old one in ``HANYA_OLD_SECRET_KEYS``
(the service keeps answering everyone meanwhile: the vault accepts both), run
``hanya keys rotate``, then remove the old key.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.committee_models import rotate_report_texts
from bot.crypto import Vault
from bot.models import Contact, DeadLetter, IntakeMessage, OutboxMessage
from bot.recipients import Recipient


@dataclass(frozen=True)
class Rotated:
    contacts: int
    recipients: int
    outbox: int
    dead_letters: int
    intake: int = 0  # messages accepted and not yet handled


def rotate_all(session: Session, vault: Vault) -> Rotated:
    """Re-key every stored address under the vault's current key (in one transaction)."""
    contacts = _repseudonymise(session, vault, Contact)
    recipients = _repseudonymise(session, vault, Recipient)
    outbox = 0
    for row in session.scalars(select(OutboxMessage)
                               .where(OutboxMessage.status.in_(["pending", "sending"]))):
        row.address_enc = vault.rotate(row.address_enc)
        outbox += 1
    dead = 0
    for letter in session.scalars(select(DeadLetter)):
        letter.payload_enc = vault.rotate(letter.payload_enc)
        dead += 1
    intake = 0
    for waiting in session.scalars(select(IntakeMessage)):  # accepted, not handled yet
        waiting.payload_enc = vault.rotate(waiting.payload_enc)
        intake += 1
    rotate_report_texts(session, vault)  # committee reports: description and raw SMS
    return Rotated(contacts, recipients, outbox, dead, intake)


def _repseudonymise(session: Session, vault: Vault, model: type[Contact] | type[Recipient]) -> int:
    rows: list[Contact | Recipient] = list(session.scalars(select(model)))
    for row in rows:  # two passes: a new pseudonym may equal another row's old one
        row.pseudonym = f"rotating-{row.id}"
    session.flush()
    for row in rows:
        address = vault.decrypt(row.address_enc)
        row.pseudonym, row.address_enc = vault.pseudonym(address), vault.encrypt(address)
    session.flush()
    return len(rows)

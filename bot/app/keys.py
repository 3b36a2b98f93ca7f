"""Key rotation: move every pseudonym and ciphertext to a new secret key.

Operators set the new key as ``HANYA_SECRET_KEY`` and the old one in ``HANYA_OLD_SECRET_KEYS``
(the service keeps answering everyone meanwhile: the vault accepts both), run
``hanya keys rotate``, then remove the old key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from bot.app.personal_data import ENCRYPTED
from bot.core.crypto import Vault
from bot.core.models import Contact
from bot.core.recipients import Recipient


@dataclass(frozen=True)
class Rotated:
    contacts: int
    recipients: int
    # Ciphertexts re-encrypted, by ``table.column`` (every column of the registry).
    columns: dict[str, int] = field(default_factory=dict)


def rotate_all(session: Session, vault: Vault) -> Rotated:
    """Re-key every pseudonym and re-encrypt every ciphertext the personal-data registry
    (``bot/app/personal_data.py``) names, under the vault's current key, in one transaction."""
    contacts = _repseudonymise(session, vault, Contact)
    recipients = _repseudonymise(session, vault, Recipient)
    columns = {entry.name: _reencrypt(session, vault, entry.column) for entry in ENCRYPTED}
    session.expire_all()  # loaded rows must not hide what the UPDATEs wrote
    return Rotated(contacts, recipients, columns)


def _reencrypt(session: Session, vault: Vault, column: Any) -> int:
    """Every non-empty ciphertext of ``column``, one UPDATE per row by id (Core statements:
    the rows' other columns are neither loaded nor written)."""
    table = cast(Table, column.class_.__table__)
    rows = session.execute(select(table.c.id, table.c[column.key])
                           .where(table.c[column.key].is_not(None))).all()
    values = [{"row_id": row_id, "value": vault.rotate(token)} for row_id, token in rows if token]
    if values:
        session.execute(update(table).where(table.c.id == bindparam("row_id"))
                        .values({column.key: bindparam("value")}), values)
    return len(values)


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

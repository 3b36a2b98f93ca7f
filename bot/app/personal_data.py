"""The registry of every column that holds personal data, and what happens to it.

One list, read by the three things that must never miss a column: key rotation
(``bot/app/keys.py`` re-encrypts every ``ENCRYPTED`` column; it also re-keys the pseudonyms that
find a row by address, contacts' and recipients'),
DELETE (``bot/app/erasure.py`` applies each column's ``on_delete``) and retention
(``bot/app/retention.py`` applies each ``on_retention``). ``tests/test_personal_data.py`` fails when
a model gains an ``*_enc`` column, a link to ``contacts`` or a column derived from an address
that is not named here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import MetaData
from sqlalchemy.orm import InstrumentedAttribute

from bot.core.models import Contact, DeadLetter, InboundMessage, IntakeMessage, OutboxMessage
from bot.core.recipients import Recipient
from bot.features.committees.models import CommitteeMember, Report
from bot.features.ideas.models import Idea, SensitiveFeedback


class Holds(StrEnum):
    """What a column holds."""

    ADDRESS = "an address"
    TEXT = "a person's words"
    PSEUDONYM = "a keyed hash of an address"
    ROUTE = "a keyed hash of an address, shortened"
    LINK = "a link to the contact"
    CHOICE = "a choice the person made"


class Action(StrEnum):
    """What DELETE or retention does to a column of the person's rows."""

    ROW_DELETED = "the row is deleted"
    UNLINKED = "set to null: the row stays, with no way back to the person"
    ERASED_IF_SIGNED = "emptied when the person signed it (the row stays, unlinked)"
    RANDOMISED = "replaced by one random value for all the person's rows (counts still hold)"
    KEPT = "kept (says nothing about who sent it, or is not a contact's)"
    OLD_ROWS_DELETED = "rows older than the retention period are deleted"
    OLD_ROWS_UNLINKED = "rows older than the retention period lose the link"
    NOT_APPLICABLE = "not a person's (staff recipients), or gone within seconds (intake)"


@dataclass(frozen=True)
class PersonalColumn:
    column: InstrumentedAttribute  # type: ignore[type-arg]
    holds: Holds
    on_delete: Action
    on_retention: Action

    @property
    def encrypted(self) -> bool:
        return self.column.key.endswith("_enc")

    @property
    def name(self) -> str:
        return f"{self.column.class_.__tablename__}.{self.column.key}"


_ = PersonalColumn
REGISTRY: tuple[PersonalColumn, ...] = (
    # The person: found by pseudonym, answered through the address.
    _(Contact.pseudonym, Holds.PSEUDONYM, Action.ROW_DELETED, Action.ROW_DELETED),
    _(Contact.address_enc, Holds.ADDRESS, Action.ROW_DELETED, Action.ROW_DELETED),
    # Whether they chose to hear recorded answers (issue 24): goes with their row.
    _(Contact.listen, Holds.CHOICE, Action.ROW_DELETED, Action.ROW_DELETED),
    # Every message sent to them: address, text (the idea's reference, an answer...).
    _(OutboxMessage.address_enc, Holds.ADDRESS, Action.ROW_DELETED, Action.OLD_ROWS_DELETED),
    _(OutboxMessage.payload_enc, Holds.TEXT, Action.ROW_DELETED, Action.OLD_ROWS_DELETED),
    _(OutboxMessage.route, Holds.ROUTE, Action.ROW_DELETED, Action.OLD_ROWS_DELETED),
    _(OutboxMessage.contact_id, Holds.LINK, Action.ROW_DELETED, Action.OLD_ROWS_DELETED),
    # Their messages accepted and not yet handled, and those that failed for good.
    _(IntakeMessage.payload_enc, Holds.TEXT, Action.ROW_DELETED, Action.NOT_APPLICABLE),
    _(IntakeMessage.route, Holds.ROUTE, Action.ROW_DELETED, Action.NOT_APPLICABLE),
    _(DeadLetter.payload_enc, Holds.TEXT, Action.ROW_DELETED, Action.OLD_ROWS_DELETED),
    # What they did: counted, never traced back.
    _(InboundMessage.contact_id, Holds.LINK, Action.UNLINKED, Action.OLD_ROWS_UNLINKED),
    _(Idea.contact_id, Holds.LINK, Action.UNLINKED, Action.UNLINKED),
    _(Idea.text_enc, Holds.TEXT, Action.ERASED_IF_SIGNED, Action.KEPT),
    _(SensitiveFeedback.contact_id, Holds.LINK, Action.UNLINKED, Action.UNLINKED),
    _(SensitiveFeedback.text_enc, Holds.TEXT, Action.ERASED_IF_SIGNED, Action.KEPT),
    _(CommitteeMember.contact_id, Holds.LINK, Action.UNLINKED, Action.UNLINKED),
    # A report is about an event, not its reporter: its texts stay (encrypted), its
    # reporter's keyed hash does not lead back once DELETE has replaced it. That hash is not
    # re-keyed by a rotation (only compared with itself): DELETE matches it under every key.
    _(Report.reporter, Holds.PSEUDONYM, Action.RANDOMISED, Action.KEPT),
    _(Report.description_enc, Holds.TEXT, Action.KEPT, Action.KEPT),
    _(Report.raw_text_enc, Holds.TEXT, Action.KEPT, Action.KEPT),
    # SP/CCM staff who receive alerts and digests: managed by administrators.
    _(Recipient.pseudonym, Holds.PSEUDONYM, Action.NOT_APPLICABLE, Action.NOT_APPLICABLE),
    _(Recipient.address_enc, Holds.ADDRESS, Action.NOT_APPLICABLE, Action.NOT_APPLICABLE),
)
del _

ENCRYPTED = tuple(c for c in REGISTRY if c.encrypted)


# Column names that hold a keyed hash of an address wherever they appear.
_HASH_NAMES = ("pseudonym", "route", "reporter")


def named() -> set[str]:
    """Every registered column as ``table.column``."""
    return {c.name for c in REGISTRY}


def unregistered(metadata: MetaData) -> list[str]:
    """Columns that look personal and the registry does not name: ciphertexts (``*_enc``),
    links to a contact, keyed hashes of an address. Empty, or rotation, DELETE or retention
    would miss them."""
    known = named()
    found = []
    for table in metadata.tables.values():
        for column in table.columns:
            links = any(fk.target_fullname == "contacts.id" for fk in column.foreign_keys)
            if column.name.endswith("_enc") or links or column.name in _HASH_NAMES:
                found.append(f"{table.name}.{column.name}")
    return sorted(name for name in found if name not in known)


__all__ = ["ENCRYPTED", "REGISTRY", "Action", "Holds", "PersonalColumn", "named",
           "unregistered"]

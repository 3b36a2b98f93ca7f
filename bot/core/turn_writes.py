"""A handled message's own rows, written at the end of its turn.

The rows are the exactly-once record, the contact's changes, the topics served, the replies
and, from the intake, the deletion of the waiting row. SQLite runs them as one statement each
(in process, a statement costs no round trip). PostgreSQL gets them as one statement of
data-modifying CTEs: one round trip where five cost the handling half of its time waiting and
a fifth of its CPU (py-spy on the bench's handling, 2026-12-02). The statement is as atomic as
the five: it fails whole, the record's unique key included, and rolls the transaction back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from bot.core.models import Contact, InboundMessage, InfoRequest, OutboxMessage

_CONTACTS = cast(Table, Contact.__table__)
_INBOUND = cast(Table, InboundMessage.__table__)
_REQUESTS = cast(Table, InfoRequest.__table__)
_OUTBOX = cast(Table, OutboxMessage.__table__)


@dataclass(frozen=True)
class DeleteRow:
    """Delete one row by id in the turn's transaction (the intake's handled message).

    Callable with a session, as any ``also`` is; PostgreSQL folds it into the one statement.
    """

    table: Table
    row_id: int

    def __call__(self, db: Session | Connection) -> None:
        db.execute(delete(self.table).where(self.table.c.id == self.row_id))


@dataclass
class TurnWrites:
    inbound: dict[str, Any]  # one inbound_messages row
    contact_id: int | None = None
    contact_changes: dict[str, Any] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)  # info_requests rows
    outbox: list[dict[str, Any]] = field(default_factory=list)  # outbox rows, every column set
    also: Callable[[Session], object] | None = None


def write(session: Session, writes: TurnWrites, *, postgres: bool) -> None:
    if postgres and (writes.also is None or isinstance(writes.also, DeleteRow)):
        _write_one_statement(session, writes)
        return
    session.execute(_RECORD, writes.inbound)
    update_contact(session, writes.contact_id, writes.contact_changes)
    if writes.requests:
        session.execute(_COUNT_REQUEST, writes.requests)
    if writes.outbox:
        session.execute(_QUEUE, writes.outbox)
    if writes.also is not None:
        writes.also(session)


def update_contact(session: Session, contact_id: int | None, changes: dict[str, Any]) -> None:
    """The contact's changes alone, as one plain UPDATE (nothing when there are none)."""
    if changes:
        session.execute(_UPDATE_CONTACT, {"contact_id": contact_id, **changes})


# Table-level inserts: an insert of the ORM entity takes SQLAlchemy's slower ORM bulk path.
_RECORD = insert(_INBOUND)
_COUNT_REQUEST = insert(_REQUESTS)
_QUEUE = insert(_OUTBOX)
_UPDATE_CONTACT = update(_CONTACTS).where(_CONTACTS.c.id == bindparam("contact_id"))


def _write_one_statement(session: Session, writes: TurnWrites) -> None:
    deleted = writes.also.table.name if isinstance(writes.also, DeleteRow) else None
    statement = _statement(tuple(sorted(writes.contact_changes)), deleted)
    params: dict[str, Any] = {
        "inbound": _document([writes.inbound]), "requests": _document(writes.requests),
        "outbox": _document(writes.outbox), "contact_id": writes.contact_id,
        **{f"c_{key}": value for key, value in writes.contact_changes.items()}}
    if isinstance(writes.also, DeleteRow):
        params["deleted_id"] = writes.also.row_id
    session.execute(statement, params)


@lru_cache(maxsize=64)  # one per set of changed contact columns: a handful in practice
def _statement(contact_keys: tuple[str, ...], deleted_table: str | None) -> TextClause:
    # Every name below comes from the mapped tables, never from a message.
    parts = [_insert_from_json("rec", _INBOUND, "inbound"),
             _insert_from_json("req", _REQUESTS, "requests"),
             _insert_from_json("queued", _OUTBOX, "outbox")]
    binds = [bindparam(name, type_=_TEXT) for name in ("inbound", "requests", "outbox")]
    if contact_keys:
        assignments = ", ".join(f"{key} = :c_{key}" for key in contact_keys)
        parts.append(f"upd AS (UPDATE contacts SET {assignments} WHERE id = :contact_id)")  # noqa: S608 - mapped column names
        binds += [bindparam(f"c_{key}", type_=_CONTACTS.c[key].type) for key in contact_keys]
    if deleted_table is not None:
        parts.append(f"del AS (DELETE FROM {deleted_table} WHERE id = :deleted_id)")  # noqa: S608
    return text("WITH " + ",\n".join(parts) + "\nSELECT 1").bindparams(*binds)


_TEXT = postgresql.TEXT()
_PG = postgresql.dialect()  # type: ignore[no-untyped-call]


def _insert_from_json(name: str, table: Table, param: str) -> str:
    """``name AS (INSERT INTO table (…) SELECT … FROM json_to_recordset(:param))``: every
    column but the id, so no Python-side default is left to apply."""
    columns = [c for c in table.columns if not c.primary_key]
    names = ", ".join(c.name for c in columns)
    record = ", ".join(f"{c.name} {c.type.compile(dialect=_PG)}" for c in columns)
    return (f"{name} AS (INSERT INTO {table.name} ({names}) SELECT {names} "  # noqa: S608
            f"FROM json_to_recordset(CAST(:{param} AS JSON)) AS r({record}))")


def _document(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, default=_json_value, separators=(",", ":"))


def _json_value(value: object) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:  # as UTCDateTime refuses it
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")

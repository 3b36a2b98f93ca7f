"""Dead letters: inbound messages that failed for good, kept aside encrypted, and their way back.

A message is dead-lettered when handling it raised (bot/core/intake.py) or when the intake refused
its row (webhooks/app.py). An operator lists them by their metadata only (channel, times,
error type, size: never an address or a text), replays one once the bug is fixed, or drops it.

A replay puts the message back into the intake and deletes its letter in one transaction, so
it is handled like any message (in its person's order) and once: the intake's unique key keeps
a second replay out, and the inbox's recognises a message that was handled after all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.core.crypto import Vault
from bot.core.intake import decode, insert_waiting, intake_row
from bot.core.messages import MsgIn
from bot.core.models import DeadLetter
from bot.core.store import Store

# Letters written before they held the neutral message kept the provider's own payload (a
# Telegram update, a Twilio form); the command passes each channel's parser for those.
Parsers = dict[str, Callable[[Any], MsgIn]]


@dataclass(frozen=True)
class Letter:
    """What an operator may see of a dead letter: never the address or the text."""

    id: int
    channel: str
    external_id: str
    error: str
    dead_at: datetime
    received_at: datetime | None  # None: unreadable with the configured keys
    kind: str | None
    characters: int | None  # the length of its text


@dataclass(frozen=True)
class Replayed:
    id: int
    ok: bool
    reason: str = ""


def count(store: Store) -> int:
    with store.transaction() as connection:
        return int(connection.scalar(select(func.count()).select_from(DeadLetter)) or 0)


def ids(session: Session) -> list[int]:
    return list(session.scalars(select(DeadLetter.id).order_by(DeadLetter.id)))


def letters(session: Session, vault: Vault, parsers: Parsers,
            ids: Iterable[int] | None = None) -> list[Letter]:
    """The dead letters (those of ``ids``, or all), oldest first."""
    query = select(DeadLetter).order_by(DeadLetter.id)
    if ids is not None:
        query = query.where(DeadLetter.id.in_(list(ids)))
    return [_describe(row, vault, parsers) for row in session.scalars(query)]


def replay(store: Store, vault: Vault, parsers: Parsers, ids: Iterable[int]) -> list[Replayed]:
    """Put each letter back into the intake, oldest first, each in its own transaction: one
    that cannot be read stays a letter and does not stop the others."""
    done = []
    for letter_id in sorted(set(ids)):
        try:
            with store.session() as session:
                row = session.get(DeadLetter, letter_id)
                if row is None:
                    done.append(Replayed(letter_id, False, "no such dead letter"))
                    continue
                msg = message(row, vault, parsers)
                insert_waiting(session.connection(), intake_row(vault, msg))
                session.delete(row)
        except Exception as exc:  # noqa: BLE001 - said to the operator, the letter kept
            done.append(Replayed(letter_id, False, type(exc).__name__))
        else:
            done.append(Replayed(letter_id, True))
    return done


def drop(session: Session, ids: Iterable[int]) -> int:
    """Delete these letters for good; how many there were."""
    result = session.execute(delete(DeadLetter).where(DeadLetter.id.in_(list(ids))))
    return int(getattr(result, "rowcount", 0) or 0)


def message(row: DeadLetter, vault: Vault, parsers: Parsers) -> MsgIn:
    """The neutral message a letter holds, with the time it first came."""
    text = vault.decrypt(row.payload_enc)
    data = json.loads(text)
    if isinstance(data, dict) and "address" in data:
        return decode(text, row.channel, row.external_id, row.created_at)
    if row.channel not in parsers:
        raise ValueError(f"no parser for channel {row.channel!r}")
    return replace(parsers[row.channel](data), received_at=row.created_at)


def _describe(row: DeadLetter, vault: Vault, parsers: Parsers) -> Letter:
    try:
        msg = message(row, vault, parsers)
    except Exception:  # noqa: BLE001 - listed all the same, as unreadable
        return Letter(row.id, row.channel, row.external_id, row.error, row.created_at,
                      None, None, None)
    return Letter(row.id, row.channel, row.external_id, row.error, row.created_at,
                  msg.received_at, msg.kind, len(msg.text))

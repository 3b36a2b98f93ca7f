"""Inbound messages accepted before the webhook answers, handled right after (courier's way).

A webhook verifies and parses a message, then awaits ``Intake.accept(msg)``: the message is
written, encrypted, in one commit shared by every request that arrived meanwhile (a group
commit: a burst costs one commit per batch, not one per message), and only then does the
provider get its 200. ``Intake.run()`` takes each person's first waiting message, hands it to
``Inbox.process`` and deletes it in that same transaction.

Why: handling a message (engine, contact, replies) costs about twenty times what accepting it
does, and a provider kept waiting through a burst times out and delivers again. An accepted
message is as durable as a handled one: a crash between the two leaves the row, handled after
the restart (a lease lets another process take it); handling stays exactly-once through the
inbox's unique key.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

import anyio
import anyio.to_thread
from sqlalchemy import (
    JSON,
    Integer,
    Table,
    Text,
    bindparam,
    column,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from bot.core.crypto import Vault
from bot.core.errors import StoreUnavailable
from bot.core.inbox import Inbox, Outcome
from bot.core.messages import MsgIn
from bot.core.models import DeadLetter, IntakeMessage, utcnow
from bot.core.recipients import route_of
from bot.core.settings import Settings
from bot.core.store import Store
from bot.core.turn_writes import DeleteRow

log = logging.getLogger(__name__)
_INTAKE = cast(Table, IntakeMessage.__table__)


def encode(msg: MsgIn) -> str:
    """What ``Inbox.process`` reads that the row's columns do not hold (channel, external id and
    time are columns), before encryption: the address, and each field that is not its default.
    Short on purpose: every byte is encrypted, sent to the store and written in its log."""
    data: dict[str, Any] = {"address": msg.address}
    if msg.kind != "text":
        data["kind"] = msg.kind
    if msg.text:
        data["text"] = msg.text
    if msg.choice is not None:
        data["choice"] = msg.choice
    if msg.location:
        data["location"] = list(msg.location)
    if msg.media:
        data["media"] = list(msg.media)
    if msg.language_hint:
        data["language_hint"] = msg.language_hint
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def decode(text: str, channel: str, external_id: str, received_at: datetime) -> MsgIn:
    data = json.loads(text)
    # Rows accepted before the columns were left out of the payload carry every field.
    data.setdefault("channel", channel)
    data.setdefault("external_id", external_id)
    when = data.pop("received_at", None)
    location, media = data.pop("location", None), data.pop("media", None)
    return MsgIn(**data, received_at=datetime.fromisoformat(when) if when else received_at,
                 location=(location[0], location[1]) if location else None,
                 media=(media[0], media[1]) if media else None)


@dataclass(frozen=True)
class Claimed:
    id: int
    channel: str
    external_id: str
    received_at: datetime
    payload_enc: str


class HandlingParts(Protocol):
    """What the intake takes from the app's wiring (``bot.app.runtime.Runtime``)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def store(self) -> Store: ...
    @property
    def vault(self) -> Vault: ...
    @property
    def inbox(self) -> Inbox: ...


def handling_limiter(settings: Settings, store: Store) -> anyio.CapacityLimiter:
    """Messages handled at once in one process (``inbox_threads``; 0: 1 on SQLite, 4 on
    PostgreSQL): more threads than the store can serve only fight over the GIL and the
    connections, and lengthen the tail."""
    return anyio.CapacityLimiter(settings.inbox_threads or (4 if store.is_postgres else 1))


class Intake:
    """Accepts messages in group commits and hands them, one per person at a time, to the inbox.

    ``on_handled`` is called in the event loop after a message queued replies (wakes the sender);
    ``on_accepted`` after each group commit (wakes a handling process, bot/app/intake_process.py).
    """

    def __init__(self, store: Store, vault: Vault, inbox: Inbox, *, batch: int = 64,
                 lease: float = 10.0, retry_after: float = 2.0, idle_poll: float = 1.0,
                 on_handled: Callable[[], None] | None = None,
                 on_accepted: Callable[[], None] | None = None,
                 sos_alone: float = 1.0) -> None:
        self.store, self.vault, self.inbox = store, vault, inbox
        # For up to ``sos_alone`` s after a full claim, a claim that finds SOS rows takes
        # them alone (``_claim``); then a full batch again, so that a flood of SOS (never
        # throttled) slows the others down but cannot stop them.
        self.sos_alone, self._full_at = sos_alone, time.monotonic()
        self.batch, self.lease = batch, timedelta(seconds=lease)
        self.retry_after, self.idle_poll = timedelta(seconds=retry_after), idle_poll
        self.on_handled, self.on_accepted = on_handled, on_accepted
        self._claim_statement = _CLAIM_LOCKED if store.is_postgres else _CLAIM
        self._claim_urgent = _CLAIM_URGENT_LOCKED if store.is_postgres else _CLAIM_URGENT
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        # Group commits in flight at once. PostgreSQL: two, so that a batch fills and goes
        # while the previous one waits for its round trip and WAL flush (with one, the
        # server idled through each commit). SQLite: one, its writes are serialised anyway.
        # A person's order holds: a message that waits for its 200 before the next is sent is
        # committed, with a lower id, before the next is accepted.
        self._writers_max = 2 if store.is_postgres else 1
        self._writers: set[asyncio.Task[None]] = set()
        # The writers' own thread tokens: a group commit never waits behind other threads.
        self._write_limiter = anyio.CapacityLimiter(self._writers_max)
        self._wake = asyncio.Event()
        self._stopping = False

    @classmethod
    def from_settings(cls, runtime: HandlingParts, on_handled: Callable[[], None] | None = None,
                      on_accepted: Callable[[], None] | None = None) -> Intake:
        return cls(runtime.store, runtime.vault, runtime.inbox,
                   lease=runtime.settings.intake_lease_seconds,
                   idle_poll=runtime.settings.idle_poll_seconds,
                   on_handled=on_handled, on_accepted=on_accepted)

    # -- accepting: in the webhook -------------------------------------------------------
    async def accept(self, msg: MsgIn) -> None:
        """Return once ``msg`` is committed (with the others that arrived meanwhile).

        Raises StoreUnavailable when it could not be written: the caller answers 503 or spools.
        A second delivery of a message still waiting is dropped here; one already handled is
        recognised by the inbox.
        """
        row = intake_row(self.vault, msg, urgent=self.inbox.is_sos(msg))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((row, done))
        if len(self._writers) < self._writers_max:
            writer = asyncio.create_task(self._write_waiting(), name="intake-writer")
            self._writers.add(writer)
        await done

    async def _write_waiting(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                rows = [row for row, _ in batch]
                try:
                    await anyio.to_thread.run_sync(self._write, rows,
                                                   limiter=self._write_limiter)
                    failures: list[Exception | None] = [None] * len(batch)
                except StoreUnavailable as exc:  # each waiting webhook answers 503 or spools
                    failures = [exc] * len(batch)
                except Exception:  # noqa: BLE001 - one bad row must not take the others with it
                    failures = await anyio.to_thread.run_sync(self._write_each, rows,
                                                              limiter=self._write_limiter)
                self._settle(batch, failures)
        finally:
            # Here, not in a done callback: an accept() between this task's end and the
            # callback would count it as running, and its row would wait for the next one.
            self._writers.discard(asyncio.current_task())

    def _settle(self, batch: list[tuple[dict[str, Any], asyncio.Future[None]]],
                failures: list[Exception | None]) -> None:
        """Answer each waiting webhook: its row kept, or the error that kept it out."""
        for (_, done), failure in zip(batch, failures, strict=True):
            if done.done():  # its request may have been cancelled meanwhile
                continue
            if failure is None:
                done.set_result(None)
            else:
                done.set_exception(failure)
        if any(failure is None for failure in failures):
            self.accepted()

    def _write_each(self, rows: list[dict[str, Any]]) -> list[Exception | None]:
        """A failed group commit again, row by row: the row the store refuses fails alone
        (an id too long for the key failed a whole batch of 40 on PostgreSQL)."""
        failures: list[Exception | None] = []
        for row in rows:
            try:
                self._write([row])
                failures.append(None)
            except StoreUnavailable as exc:  # the store went: no point asking again
                return failures + [exc] * (len(rows) - len(failures))
            except Exception as exc:  # noqa: BLE001 - given to that row's webhook
                failures.append(exc)
        return failures

    def keep(self, msg: MsgIn) -> None:
        """Write ``msg`` alone, from a thread, outside the group commits (the spool's flush);
        a message already waiting is left as it is. Call ``accepted()`` after, in the loop."""
        with self.store.transaction() as connection:
            insert_waiting(connection, intake_row(self.vault, msg, urgent=self.inbox.is_sos(msg)))

    def accepted(self) -> None:
        """Messages were written outside a group commit: wake whoever handles them."""
        self.wake()
        if self.on_accepted is not None:
            self.on_accepted()

    def _write(self, rows: list[dict[str, Any]]) -> None:
        # One statement (Store.statement): on PostgreSQL one round trip, where BEGIN, the
        # insert and COMMIT took three, each costing more CPU here than encrypting a message.
        with self.store.statement() as connection:
            if self.store.is_postgres:
                connection.execute(_INSERT_BATCH, {"rows": _batch_document(rows)})
            else:
                connection.execute(_INSERT_SQLITE, rows)

    # -- handling: a task beside the web app ---------------------------------------------
    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self, limiter: anyio.CapacityLimiter) -> None:
        """Handle accepted messages until ``stop()``: those of this process and, after their
        lease, those another process accepted and did not handle (it stopped or crashed)."""
        while not self._stopping:
            self._wake.clear()
            try:
                claimed = await anyio.to_thread.run_sync(self._claim, limiter=limiter)
            except StoreUnavailable:
                claimed = []
            except Exception:
                log.exception("intake claim failed")
                claimed = []
            if claimed:
                await asyncio.gather(*(self._handle(row, limiter) for row in claimed))
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.idle_poll)

    def _claim(self) -> list[Claimed]:
        """SOS messages first (a burst ahead of one must not delay it), then the others.

        A claim that found SOS rows (or a caller's earlier messages before theirs) takes
        nothing else: the next claim comes as soon as they are handled, not after a whole
        batch, so a caller's earlier messages and then their SOS go one short round each.
        At least every ``sos_alone`` s a claim is filled up to the batch all the same.
        """
        now, clock = utcnow(), time.monotonic()
        values = {"now": now, "until": now + self.lease, "take": self.batch}
        with self.store.statement() as connection:  # UPDATE … RETURNING, the SOS's almost free
            rows = list(connection.execute(self._claim_urgent, values))
            if len(rows) < self.batch and (not rows or clock - self._full_at >= self.sos_alone):
                self._full_at = clock
                rows += connection.execute(self._claim_statement,
                                           {**values, "take": self.batch - len(rows)})
            return [Claimed(r.id, r.channel, r.external_id, r.received_at, r.payload_enc)
                    for r in rows]

    async def _handle(self, row: Claimed, limiter: anyio.CapacityLimiter) -> None:
        try:
            queued = await anyio.to_thread.run_sync(self._process, row, limiter=limiter)
        except StoreUnavailable:  # the message waits for the store; nothing is lost
            await self._record_failure(self._retry_later, row)
            return
        except Exception as exc:  # a poison message must not block this person's next ones
            log.exception("intake %s failed for good (%s); dead-lettered", row.id,
                          type(exc).__name__)
            await self._record_failure(self._dead_letter, row, exc)
            return
        if queued and self.on_handled is not None:
            self.on_handled()

    def _process(self, row: Claimed) -> int:
        msg = decode(self.vault.decrypt(row.payload_enc), row.channel, row.external_id,
                     row.received_at)
        result = self.inbox.process(msg, also=DeleteRow(_INTAKE, row.id))
        if result.outcome is Outcome.DUPLICATE:  # handled before: its transaction rolled back
            with self.store.transaction() as connection:
                _forget(connection, row.id)
        return result.queued

    async def _record_failure(self, write: Callable[..., None], *args: Any) -> None:
        try:
            await anyio.to_thread.run_sync(write, *args)
        except Exception:  # noqa: BLE001 - the lease runs out and the row is taken again
            log.warning("intake %s: could not record the failure; retried after its lease",
                        args[0].id)

    def _retry_later(self, row: Claimed) -> None:
        with self.store.transaction() as connection:
            connection.execute(update(_INTAKE).where(_INTAKE.c.id == row.id).values(
                claimed_until=utcnow() + self.retry_after))

    def _dead_letter(self, row: Claimed, failure: Exception) -> None:
        """The message kept aside (encrypted, with the time it came), gone from the intake;
        ``hanya dead-letters replay`` puts it back (bot/core/dead_letters.py)."""
        with self.store.session() as session:
            if session.get(IntakeMessage, row.id) is not None:
                session.add(self._letter(row, failure))
            _forget(session, row.id)

    def _letter(self, row: Claimed, failure: Exception) -> DeadLetter:
        try:
            msg = decode(self.vault.decrypt(row.payload_enc), row.channel, row.external_id,
                         row.received_at)
        except Exception:  # noqa: BLE001 - unreadable (a key gone): kept as it was stored
            return DeadLetter(channel=row.channel, external_id=row.external_id,
                              payload_enc=row.payload_enc, error=type(failure).__name__[:200])
        return dead_letter(self.vault, msg, failure)

    def waiting(self) -> int:
        """Messages accepted and not yet handled, in every process."""
        with self.store.transaction() as connection:
            return int(connection.scalar(select(func.count()).select_from(_INTAKE)) or 0)


def intake_row(vault: Vault, msg: MsgIn, *, urgent: bool = False) -> dict[str, Any]:
    """The intake's row for ``msg``: its address only as a route and inside the sealed payload;
    ``urgent`` for an SOS (claimed first)."""
    return {"channel": msg.channel, "external_id": msg.external_id,
            "route": route_of(vault.pseudonym(msg.address)),
            "payload_enc": vault.seal(encode(msg)),
            "received_at": msg.received_at, "claimed_until": None, "attempts": 0,
            "urgent": urgent}


def insert_waiting(connection: Connection, row: dict[str, Any]) -> None:
    """One row into the intake, a message already waiting left as it is (its unique key)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    connection.execute(dialect.insert(_INTAKE).values(row).on_conflict_do_nothing(
        index_elements=[_INTAKE.c.channel, _INTAKE.c.external_id]))


def dead_letter(vault: Vault, msg: MsgIn, failure: Exception) -> DeadLetter:
    """``msg`` kept aside, encrypted, with the time it came (``decode`` reads it back)."""
    data = json.loads(encode(msg))
    data["received_at"] = msg.received_at.isoformat()
    return DeadLetter(channel=msg.channel, external_id=msg.external_id[:64],
                      payload_enc=vault.seal(json.dumps(data, ensure_ascii=False)),
                      error=type(failure).__name__[:200])


def _forget(db: Session | Connection, row_id: int) -> None:
    DeleteRow(_INTAKE, row_id)(db)


# SQLite: the batch by executemany, a waiting duplicate dropped.
_INSERT_SQLITE = sqlite.insert(_INTAKE).on_conflict_do_nothing(
    index_elements=[_INTAKE.c.channel, _INTAKE.c.external_id])


_BATCH_COLUMNS = ("channel", "external_id", "route", "payload_enc", "received_at", "urgent")


def _insert_batch() -> Any:
    """PostgreSQL: a whole batch in one INSERT … SELECT FROM json_to_recordset(one JSON text),
    a waiting duplicate dropped (ON CONFLICT DO NOTHING). One JSON document costs the client
    half the CPU of one array per column, which psycopg dumps element by element."""
    rows = func.json_to_recordset(sql_cast(bindparam("rows", type_=Text), JSON)).table_valued(
        *(column(name, _INTAKE.c[name].type) for name in _BATCH_COLUMNS)
    ).render_derived(name="batch", with_types=True)
    return (postgresql.insert(_INTAKE)
            .from_select([*_BATCH_COLUMNS, "attempts"],
                         select(*(rows.c[name] for name in _BATCH_COLUMNS), literal(0)))
            .on_conflict_do_nothing(index_elements=[_INTAKE.c.channel, _INTAKE.c.external_id]))


def _batch_document(rows: list[dict[str, Any]]) -> str:
    """The rows as json_to_recordset reads them: one object each, the time in ISO 8601 UTC."""
    if any(row["received_at"].tzinfo is None for row in rows):  # as UTCDateTime refuses it
        raise ValueError("naive datetime given to the store")
    return json.dumps([{"channel": row["channel"], "external_id": row["external_id"],
                        "route": row["route"], "payload_enc": row["payload_enc"],
                        "received_at": row["received_at"].astimezone(UTC).isoformat(),
                        "urgent": row["urgent"]}
                       for row in rows])


_INSERT_BATCH = _insert_batch()


def _claim_statements(urgent: bool = False) -> tuple[Any, Any]:
    """Each person's first waiting message, oldest first, not leased by a live process;
    ``urgent``: only the first message of a person with an SOS waiting (the SOS itself, or
    the person's earlier one that must go before it; SOS rows read through the partial index
    ix_intake_urgent). Without the second, an SOS sent mid-conversation waited for its
    sender's previous message, and that one behind the whole burst (bench/e2e.py, U2).

    "First" among all the person's rows, leased or not: a message is never handled before an
    earlier one of the same person, in any process. The probe goes by ix_intake_route_id.
    """
    row, earlier = _INTAKE, _INTAKE.alias("earlier")
    now = bindparam("now", type_=row.c.received_at.type)
    free = or_(row.c.claimed_until.is_(None), row.c.claimed_until < now)
    first = ~exists().where(earlier.c.route == row.c.route, earlier.c.id < row.c.id)
    sos = _INTAKE.alias("sos")
    # Spelt as the partial index's own WHERE: SQLite reads ix_intake_urgent only then ("= 1"
    # or "IS 1" scanned the whole intake at every claim).
    sos_routes = select(sos.c.route).where(text("sos.urgent"))
    wanted = (free, first, row.c.route.in_(sos_routes)) if urgent else (free, first)
    heads = (select(row.c.id).where(*wanted).order_by(row.c.id)
             .limit(bindparam("take", type_=Integer)))
    leased = {"claimed_until": bindparam("until", type_=row.c.claimed_until.type),
              "attempts": row.c.attempts + 1}
    returned = (row.c.id, row.c.channel, row.c.external_id, row.c.received_at,
                row.c.payload_enc)
    plain = (update(row).where(row.c.id.in_(heads.scalar_subquery())).values(leased)
             .returning(*returned))
    # PostgreSQL: rows another process is claiming right now are skipped, not waited for.
    locked = (update(row).where(row.c.id.in_(
        heads.with_for_update(skip_locked=True).scalar_subquery()))
        .values(leased).returning(*returned))
    return plain, locked


_CLAIM, _CLAIM_LOCKED = _claim_statements()
_CLAIM_URGENT, _CLAIM_URGENT_LOCKED = _claim_statements(urgent=True)

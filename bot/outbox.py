"""The sender: delivers outbox rows through each channel's adapter, within each provider's limits.

How a row travels::

    pending --claim (lease)--> sending --provider ok--> sent
       ^                          |--429------------> pending (after retry_after; not a try)
       |                          |--5xx/network----> pending (backoff + jitter) ... failed
       +--- slot not free yet ----+--permanent------> failed (contact marked stopped)

* Lanes: rows are claimed by ``priority`` (0 a person waiting, 5 alerts, 9 digests), then age.
* Limits (``Limits``): Telegram ~30/s overall, 1/s per chat, 20/min per group (negative chat
  id), with a short burst per chat as Telegram tolerates (a reply of three messages goes at
  once); SMS a configurable rate per sending number. A row whose slot is not free soon goes back
  to ``pending`` with ``next_attempt_at`` at its slot, so it never blocks the lanes behind it.
  The limits are kept per process: with several senders the provider's 429 (honoured) is the
  backstop.
* Crash safety: a claim is committed (``sending`` + lease) before the provider is called; a
  row whose lease expired (its sender died) is claimed again. Just before each send the lease
  is renewed on the condition that nobody re-claimed the row, so a slow sender never sends a
  row another one has taken. Rows recorded ``sent`` are never
  sent again; only the few in flight at the instant of a crash (at most ``concurrency``) can
  be, since neither Telegram nor Twilio offers an idempotency key.
* Several processes: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite ``BEGIN IMMEDIATE``
  serialises claims, so a second sender is safe but adds nothing (run one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import String, and_, func, or_, select, update

from bot.crypto import Vault
from bot.errors import ContactStopped, PermanentSendError, SendError, StoreUnavailable, Throttled
from bot.messages import Outgoing
from bot.models import Contact, OutboxMessage, utcnow
from bot.store import Store

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)


class ChannelSender(Protocol):
    """What a channel adapter offers the sender."""

    async def send(self, address: str, message: Outgoing) -> str | None:
        """Deliver one message; return the provider's id. Raise a SendError subclass."""
        ...


@dataclass(frozen=True)
class Rule:
    """At most ``burst`` sends at once under ``key``, then one every ``gap`` seconds."""

    key: str
    gap: float
    burst: int = 1


@dataclass(frozen=True)
class Limits:
    """Provider rate limits, in messages per second."""

    telegram_overall: float = 30.0
    telegram_per_chat: float = 1.0
    telegram_per_group: float = 20 / 60
    sms_per_number: float = 10.0
    # Messages a chat may get at once before the per-chat pace applies.
    chat_burst: int = 3
    # Per-chat spacing is stretched by this factor: at 1 message a second, network jitter must
    # not land two sends in one provider window.
    margin: float = 1.1
    # Overall and per-number rates are far apart per message: a small margin is enough (3%
    # keeps arrivals from bunching into the provider's window), where 10% capped the achieved
    # rate at 91% of the limit.
    overall_margin: float = 1.03

    def rules(self, channel: str, address: str) -> list[Rule]:
        """The limits a send to ``address`` must respect, the narrowest last."""
        if channel == "telegram":
            chat = address.removeprefix("telegram:")
            per_chat = self.telegram_per_group if chat.startswith("-") else self.telegram_per_chat
            return [Rule("telegram", self._gap(self.telegram_overall, self.overall_margin)),
                    Rule(address, self._gap(per_chat, self.margin), self.chat_burst)]
        if channel == "sms":  # Twilio limits each sending number; a deployment has one
            return [Rule("sms", self._gap(self.sms_per_number, self.overall_margin))]
        return []

    @staticmethod
    def _gap(rate: float, margin: float) -> float:
        return margin / rate if rate > 0 else 0.0


class Pacer:
    """Paces sends per key with GCRA (a leaky bucket kept as one time per key), in this
    process's memory only."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._due: dict[str, float] = {}  # theoretical time of the key's next send

    def delay(self, rules: Iterable[Rule]) -> float:
        """Seconds until every key of ``rules`` allows a send."""
        now = self.clock()
        return max([0.0, *(self._due.get(r.key, now) - (r.burst - 1) * r.gap - now
                           for r in rules)])

    def reserve(self, rules: list[Rule]) -> float:
        """Take the next slot of every key; return how long to wait for it."""
        now = self.clock()
        start = now + self.delay(rules)
        for rule in rules:
            self._due[rule.key] = max(self._due.get(rule.key, start), start) + rule.gap
        if len(self._due) > 10_000:  # forget chats idle for a while
            self._due = {k: t for k, t in self._due.items() if t > now}
        return start - now

    def hold(self, key: str, seconds: float) -> None:
        """Keep ``key`` closed for ``seconds`` (the provider said so)."""
        self._due[key] = max(self._due.get(key, 0.0), self.clock() + seconds)


@dataclass(frozen=True)
class Claimed:
    id: int
    channel: str
    address_enc: str
    payload: dict[str, object]
    attempts: int
    contact_id: int | None
    lease_until: datetime  # also the claim's token: whoever claims it again changes it
    route: str | None = None


class Sender:
    """Claims due outbox rows and hands them to the channel adapters."""

    def __init__(self, store: Store, vault: Vault, channels: dict[str, ChannelSender], *,
                 limits: Limits | None = None, batch: int = 600, concurrency: int = 16,
                 max_attempts: int = 8, base_backoff: float = 2.0, max_backoff: float = 900.0,
                 lease: timedelta = LEASE, hold: float = 1.0) -> None:
        self.store, self.vault, self.channels = store, vault, channels
        self.limits, self.pacer = limits or Limits(), Pacer()
        self.batch, self.concurrency = batch, concurrency
        self.max_attempts, self.base_backoff, self.max_backoff = (max_attempts, base_backoff,
                                                                  max_backoff)
        # A row waits in memory for its slot at most ``hold`` s, else it goes back to the store.
        self.lease, self.hold = lease, hold
        self.failed_total = 0  # rows given up in this process (the store keeps them all)
        # When each route (chat) may take its next message, per this process's pacer: routes
        # not free within ``hold`` are left out of claims instead of claimed and put back.
        self._route_free: dict[str, float] = {}
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False

    @classmethod
    def from_settings(cls, store: Store, vault: Vault, channels: dict[str, ChannelSender],
                      settings: Any) -> Sender:
        """A sender with the limits, tries and lease of ``settings``."""
        limits = Limits(telegram_overall=settings.telegram_rate_overall,
                        telegram_per_chat=settings.telegram_rate_per_chat,
                        telegram_per_group=settings.telegram_group_per_minute / 60,
                        sms_per_number=settings.twilio_rate_per_number,
                        chat_burst=settings.telegram_chat_burst)
        return cls(store, vault, channels, limits=limits,
                   max_attempts=settings.outbox_max_attempts,
                   base_backoff=settings.outbox_backoff_base,
                   lease=timedelta(seconds=settings.outbox_lease_seconds))

    def wake(self) -> None:
        """Ask the running loop to look at the outbox now (callable from any thread)."""
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def stop(self) -> None:
        """Finish the messages in hand, then leave ``run`` (never cut a send in half)."""
        self._stopping = True
        self.wake()

    async def run(self, idle: float = 1.0) -> None:
        """Send until stopped: whenever woken, when a deferred row falls due, every ``idle`` s."""
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        while not self._stopping:
            # Cleared before looking, not after: a wake() during the look is not lost.
            self._wake.clear()
            wait = idle
            try:
                if await self.drain():
                    continue
                wait = min(idle, await asyncio.to_thread(self._seconds_to_next_due))
            except StoreUnavailable:
                log.warning("sender: store unavailable, will retry")
            except Exception:  # the loop must survive any single failure
                log.exception("sender: unexpected failure")
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(wait, 0.01))

    async def drain(self) -> int:
        """Send every row due now; return how many were handed to a provider."""
        total = 0
        while not self._stopping:
            claimed = await asyncio.to_thread(self._claim)
            if not claimed:
                return total
            total += await self._send_batch(claimed)
        return total

    async def _send_batch(self, rows: list[Claimed]) -> int:
        # One queue per address keeps a person's messages in order; addresses run side by side.
        # Grouped by the clear address: two ciphertexts of one address differ (Fernet's IV).
        queues: dict[tuple[str, str], list[Claimed]] = {}
        for row in rows:
            try:
                address = self.vault.decrypt(row.address_enc)
            except ValueError as exc:  # undecryptable address: nothing will ever fix it
                await asyncio.to_thread(self._failed, row, PermanentSendError(str(exc)))
                continue
            queues.setdefault((row.channel, address), []).append(row)
        gate = asyncio.Semaphore(self.concurrency)

        async def one_address(key: tuple[str, str], queue: list[Claimed]) -> int:
            async with gate:
                return await self._send_queue(key[1], queue)

        results = await asyncio.gather(*(one_address(k, q) for k, q in queues.items()))
        return sum(results)

    async def _send_queue(self, address: str, queue: list[Claimed]) -> int:
        sent = 0
        for index, row in enumerate(queue):
            if self._stopping:  # hand unsent rows back now rather than at lease expiry
                await asyncio.to_thread(self._release, queue[index:], 0.0)
                break
            rules = self.limits.rules(row.channel, address)
            wait = self.pacer.delay(rules)
            if wait > self.hold:  # not soon: back to the store, the lanes behind go on
                await asyncio.to_thread(self._release, queue[index:], wait)
                break
            await asyncio.sleep(self.pacer.reserve(rules))
            if not await asyncio.to_thread(self._still_mine, row):
                break  # our lease ran out and another sender took these rows: its turn now
            sent += await self._deliver(row, address, rules)
            self._note_route(row, rules)
        return sent

    async def _deliver(self, row: Claimed, address: str, rules: list[Rule]) -> int:
        channel = self.channels[row.channel]
        try:
            provider_id = await channel.send(address, Outgoing.from_payload(row.payload))
        except SendError as exc:
            if isinstance(exc, Throttled) and rules:
                self.pacer.hold(rules[-1].key, exc.retry_after)  # the narrowest key
            await asyncio.to_thread(self._failed, row, exc)
            return 0
        except Exception as exc:  # an adapter bug must not leave the row leased
            log.exception("outbox %s: adapter failed unexpectedly", row.id)
            await asyncio.to_thread(self._failed, row, SendError(type(exc).__name__))
            return 0
        await asyncio.to_thread(self._sent, row.id, provider_id)
        return 1

    # --- the store ------------------------------------------------------------------------------

    def _claim(self) -> list[Claimed]:
        """Take due rows, at most one per route (chat), none for a route already in flight.

        Rows of a chat that must wait are therefore never claimed just to be put back: the
        store keeps them until their turn, and a person's messages keep their order.
        """
        now = utcnow()
        with self.store.session() as session:
            ids = list(session.scalars(self._first_per_route(now)))
            if not ids:
                return []
            query = (select(OutboxMessage).where(OutboxMessage.id.in_(ids), _due(now))
                     .order_by(OutboxMessage.priority, OutboxMessage.id))
            if self.store.is_postgres:
                query = query.with_for_update(skip_locked=True)
            rows = list(session.scalars(query))
            for row in rows:
                if row.status == "sending":  # its sender died mid-send: may be a 2nd copy
                    log.warning("outbox %s: lease expired, sending again", row.id)
                row.status, row.lease_until = "sending", now + self.lease
                row.attempts += 1
            return [Claimed(r.id, r.channel, r.address_enc, r.payload, r.attempts, r.contact_id,
                            now + self.lease, r.route) for r in rows]

    def _busy_routes(self) -> list[str]:
        soon = time.monotonic() + self.hold
        if len(self._route_free) > 5_000:  # forget routes long free
            self._route_free = {r: t for r, t in self._route_free.items() if t > soon - 60}
        return [route for route, free in self._route_free.items() if free > soon]

    def _note_route(self, row: Claimed, rules: list[Rule]) -> None:
        if row.route and rules:
            self._route_free[row.route] = time.monotonic() + self.pacer.delay(rules[-1:])

    def _first_per_route(self, now: datetime) -> Any:
        # A row without a route is its own route.
        route = func.coalesce(OutboxMessage.route, func.cast(OutboxMessage.id, String))
        in_flight = (select(OutboxMessage.route)
                     .where(OutboxMessage.status == "sending", OutboxMessage.lease_until >= now,
                            OutboxMessage.route.is_not(None)))
        ranked = (select(OutboxMessage.id, OutboxMessage.priority, func.row_number().over(
                      partition_by=route,
                      order_by=(OutboxMessage.priority, OutboxMessage.id)).label("rank"))
                  .where(_due(now), OutboxMessage.channel.in_(list(self.channels)))
                  .where(or_(OutboxMessage.route.is_(None),
                             OutboxMessage.route.not_in(in_flight)))
                  .where(or_(OutboxMessage.route.is_(None),
                             OutboxMessage.route.not_in(self._busy_routes())))
                  .subquery())
        return (select(ranked.c.id).where(ranked.c.rank == 1)
                .order_by(ranked.c.priority, ranked.c.id).limit(self.batch))

    def _still_mine(self, row: Claimed) -> bool:
        """Renew the lease for the send about to start, unless another sender took the row.

        The lease then only has to outlast one provider call, not the whole batch. While the
        claim is young (less than half its lease used) no other sender can have taken the row
        (claims only take expired leases), so the store is not asked: one round trip saved per
        message on the common path.
        """
        if utcnow() < row.lease_until - self.lease / 2:
            return True
        with self.store.session() as session:
            renewed = session.execute(update(OutboxMessage).where(
                OutboxMessage.id == row.id, OutboxMessage.status == "sending",
                OutboxMessage.lease_until == row.lease_until).values(
                lease_until=utcnow() + self.lease))
        return bool(renewed.rowcount)  # type: ignore[attr-defined]

    def _seconds_to_next_due(self) -> float:
        with self.store.session() as session:
            due = session.scalar(select(func.min(OutboxMessage.next_attempt_at))
                                 .where(OutboxMessage.status == "pending")
                                 .where(OutboxMessage.channel.in_(list(self.channels))))
        if due is None:
            return float("inf")
        return max(0.0, (due - utcnow()).total_seconds())

    def _sent(self, row_id: int, provider_id: str | None) -> None:
        with self.store.session() as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(
                status="sent", sent_at=utcnow(), provider_id=provider_id, lease_until=None))

    def _release(self, rows: list[Claimed], after: float) -> None:
        """Put claimed rows back, due in ``after`` s; the claim was not a try."""
        due = utcnow() + timedelta(seconds=after)
        with self.store.session() as session:  # one statement, however many rows
            session.execute(update(OutboxMessage)
                            .where(OutboxMessage.id.in_([row.id for row in rows]))
                            .values(status="pending", next_attempt_at=due, lease_until=None,
                                    attempts=OutboxMessage.attempts - 1))
            routes = {row.route for row in rows if row.route}
            if routes:  # the chat's later messages wait for the same slot, untouched till then
                session.execute(update(OutboxMessage)
                                .where(OutboxMessage.route.in_(routes),
                                       OutboxMessage.status == "pending",
                                       OutboxMessage.next_attempt_at < due)
                                .values(next_attempt_at=due))

    def _failed(self, row: Claimed, exc: SendError) -> None:
        now = utcnow()
        values: dict[str, object] = {"last_error": f"{type(exc).__name__}: {exc}"[:200],
                                     "lease_until": None}
        if isinstance(exc, Throttled):  # the provider's pace, not a failed try
            values.update(status="pending", attempts=OutboxMessage.attempts - 1,
                          next_attempt_at=now + timedelta(seconds=exc.retry_after))
        elif not exc.retryable or row.attempts >= self.max_attempts:
            # next_attempt_at becomes the time of the last try: digests count failures by it.
            values.update(status="failed", next_attempt_at=now)
            self.failed_total += 1
            log.warning("outbox %s failed for good after %s tries: %s", row.id, row.attempts,
                        type(exc).__name__)
        else:
            values.update(status="pending",
                          next_attempt_at=now + timedelta(seconds=self._backoff(row.attempts)))
        with self.store.session() as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id)
                            .values(**values))
            if isinstance(exc, ContactStopped) and row.contact_id is not None:
                session.execute(update(Contact).where(Contact.id == row.contact_id)
                                .values(stopped=True))

    def _backoff(self, attempts: int) -> float:
        """Exponential backoff with jitter: half fixed, half random, so retries spread out."""
        ceiling = min(self.max_backoff, self.base_backoff * 2 ** (attempts - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - not for secrets


def _due(now: datetime) -> Any:
    """Rows to send now: pending and due, or leased by a sender that died (lease expired)."""
    return or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.lease_until < now),
    )

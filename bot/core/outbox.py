"""The sender: delivers outbox rows through each channel's adapter, within each provider's limits.

How a row travels::

    pending --claim (lease)--> sending --provider ok--> sent
       ^                          |--429------------> pending (after retry_after; not a try)
       |                          |--5xx/network----> pending (backoff + jitter) ... failed
       +--- slot not free yet ----+--permanent------> failed (contact marked stopped)

* Lanes: rows are claimed by ``priority`` (-1 an SOS, 0 a person waiting, 5 alerts, 9
  digests), then by the time they fell due. A row of the SOS lane does not wait for the rows
  already in hand: it is claimed at the next look even when the channel's hand is full, and
  enters the provider's gate ahead of them (``_Gate``). A claim takes each chat's first
  waiting message only, and only once
  it is due: when a message goes, the chat's later ones are made due at the chat's next slot,
  so claims go round the chats waiting longest (a broadcast reaches everyone's first part
  before anyone's third) and one chat never holds the pace back at the end.
* Pipeline: each channel keeps about ``lookahead`` seconds of its pace claimed; the store is
  asked again once half of that has gone, while the sends go on, so the provider's pace is
  never idle waiting for a batch's last send. Sent marks are written together (group commit).
* Limits (``Limits``): Telegram ~30/s overall, 1/s per chat, 20/min per group (negative chat
  id), with a short burst per chat as Telegram tolerates (a reply of three messages goes at
  once); SMS a configurable rate per sending number. A row whose slot is not free soon goes back
  to ``pending`` with ``next_attempt_at`` at its slot, so it never blocks the lanes behind it.
  The limits are kept per process: with several senders the provider's 429 (honoured) is the
  backstop.
* Crash safety: a claim is committed (``sending`` + lease) before the provider is called; a
  row whose lease expired (its sender died) is claimed again. Just before each send the lease
  is renewed on the condition that nobody re-claimed the row, so a slow sender never sends a
  row another one has taken. Rows recorded ``sent`` are never sent again; only those in
  flight or sent and not yet recorded at the instant of a crash (at most ``unrecorded``, a
  place each send holds until its mark is written: 64, ~0.2 s of sends at 300/s) can be,
  since neither Telegram nor Twilio offers an idempotency key.
* Several processes: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite ``BEGIN IMMEDIATE``
  serialises claims, so a second sender is safe but adds nothing (run one).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import heapq
import itertools
import logging
import math
import random
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, bindparam, case, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot.core import channel_registry, metrics
from bot.core.crypto import Vault
from bot.core.errors import (
    ContactStopped,
    OutOfReach,
    PermanentSendError,
    SendError,
    StoreUnavailable,
    Throttled,
)
from bot.core.messages import Outgoing
from bot.core.models import Contact, OutboxMessage, utcnow
from bot.core.pacing import ChannelSender, Limits, Rule
from bot.core.recipients import PRIORITY_REPLY
from bot.core.reroute import reroute
from bot.core.settings import Settings
from bot.core.store import Store

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)


class Pacer:
    """Paces sends per key, in this process's memory only.

    Two checks per key: GCRA (a leaky bucket kept as one time per key) books evenly spaced
    slots, and a log of the times sends really left keeps any rolling window within the rule
    when the event loop wakes late and several booked sends leave at once (they would land in
    one provider window and come back as 429s).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._due: dict[str, float] = {}  # theoretical time of the key's next send
        self._left: dict[str, collections.deque[float]] = {}  # when the last sends left

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
            self._left = {k: v for k, v in self._left.items() if k in self._due}
        return start - now

    def admit(self, rules: Iterable[Rule]) -> float:
        """Seconds until a send may really leave: 0 when no key's window is full."""
        now, wait = self.clock(), 0.0
        for rule in rules:
            window, capacity = _window(rule)
            left = self._left.get(rule.key)
            if left is None:
                continue
            while left and left[0] <= now - window:
                left.popleft()
            if len(left) >= capacity:
                wait = max(wait, left[0] + window - now)
        return wait

    def record(self, rules: Iterable[Rule]) -> None:
        """A send leaves now: log it against every key (call right after ``admit`` said 0)."""
        now = self.clock()
        for rule in rules:
            self._left.setdefault(rule.key, collections.deque()).append(now)
            # A late departure pushes the key's next booked slot too.
            self._due[rule.key] = max(self._due.get(rule.key, now), now + rule.gap
                                      - (rule.burst - 1) * rule.gap)

    def hold(self, key: str, seconds: float) -> None:
        """Keep ``key`` closed for ``seconds`` (the provider said so)."""
        self._due[key] = max(self._due.get(key, 0.0), self.clock() + seconds)


def _window(rule: Rule) -> tuple[float, int]:
    """The rolling window a rule implies (at least a second: providers count per second,
    stretched to a whole number of gaps) and how many sends it admits: 1.03/300 s -> 292 per
    1.0025 s, 1.1 s burst 1 -> 1 per 1.1 s, 1.03/2 s -> 2 per 1.03 s. Cut at one second, a gap
    that does not divide it held the pace to a whole number a second: 2/s (with the margin)
    sent 1/s, 10/s sent 9/s (bench/channel_pacing.py measured it)."""
    if rule.gap <= 0:
        return 1.0, max(rule.burst, 1)
    sends = max(rule.burst, math.ceil(max(1.0, rule.gap * rule.burst) / rule.gap - 1e-9))
    return sends * rule.gap, sends


@dataclass(frozen=True)
class Claimed:
    id: int
    channel: str
    address_enc: str
    payload_enc: str
    attempts: int
    contact_id: int | None
    lease_until: datetime  # also the claim's token: whoever claims it again changes it
    route: str | None = None
    forget: bool = False  # the reply to a DELETE: the row goes once it is sent
    message: Outgoing | None = None  # the payload, opened with the address
    priority: int = PRIORITY_REPLY  # its lane: the gates let a lower one in first


class _Gate:
    """A semaphore whose waiters enter by lane (``priority``, lower first), then in the order
    they came: an SOS claimed while hundreds of rows wait for their slot goes next, not last
    (asyncio's semaphore is first come, first served)."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @contextlib.asynccontextmanager
    async def held(self, priority: int) -> AsyncIterator[None]:
        if self._free > 0 and not self._waiting:
            self._free -= 1
        else:
            turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiting, (priority, next(self._order), turn))
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():  # let in, then cancelled: pass it on
                    self._release()
                raise  # still waiting: its cancelled future is skipped by _release
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        while self._waiting:
            turn = heapq.heappop(self._waiting)[2]
            if not turn.done():
                turn.set_result(None)
                return
        self._free += 1


class Sender:
    """Claims due outbox rows and hands them to the channel adapters."""

    def __init__(self, store: Store, vault: Vault, channels: dict[str, ChannelSender], *,
                 limits: Limits | None = None, batch: int = 600, concurrency: int = 16,
                 unrecorded: int = 64,
                 max_attempts: int = 8, base_backoff: float = 2.0, max_backoff: float = 900.0,
                 lease: timedelta = LEASE, hold: float = 1.0, lookahead: float = 2.0,
                 poll: float = 0.1) -> None:
        self.store, self.vault, self.channels = store, vault, channels
        self.limits, self.pacer = limits or Limits(), Pacer()
        self.batch, self.concurrency = batch, concurrency
        # Sends in flight or sent and not yet marked: the most a crash can repeat. Larger than
        # ``concurrency`` so that the provider's pace goes on while a mark waits for the store
        # (behind a claim, SQLite's one writer, for up to ~0.1 s under load).
        self.unrecorded = max(unrecorded, concurrency)
        self._unmarked: _Gate | None = None
        self.max_attempts, self.base_backoff, self.max_backoff = (max_attempts, base_backoff,
                                                                  max_backoff)
        # A row waits in memory for its slot at most ``hold`` s, else it goes back to the store.
        self.lease, self.hold = lease, hold
        # Rows claimed per channel: ``lookahead`` s of its pace (at most ``batch``); with
        # fewer due, the store is asked again every ``poll`` s while sends go on.
        self.lookahead, self.poll = lookahead, poll
        self._in_hand: collections.Counter[str] = collections.Counter()
        # Own slots booked for rows sent back to the store to wait (row id -> monotonic time):
        # a row keeps its place in a shared pace (a gateway phone's) while it waits there.
        self._kept_slots: dict[int, float] = {}
        self._progress: asyncio.Event | None = None
        self.failed_total = 0  # rows given up in this process (the store keeps them all)
        # Sent marks not yet written: written together by one flush (group commit), each send
        # waiting for its own before it frees its place in the gate.
        self._marks: list[dict[str, Any]] = []
        self._marks_written: asyncio.Future[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False

    @classmethod
    def from_settings(cls, store: Store, vault: Vault, channels: dict[str, ChannelSender],
                      settings: Settings) -> Sender:
        """A sender with the limits, tries and lease of ``settings``."""
        limits = Limits(telegram_overall=settings.telegram_rate_overall,
                        telegram_per_chat=settings.telegram_rate_per_chat,
                        telegram_per_group=settings.telegram_group_per_minute / 60,
                        sms_per_number=settings.twilio_rate_per_number,
                        chat_burst=settings.telegram_chat_burst,
                        android_sms_per_phone=settings.android_sms_per_minute / 60,
                        android_sms_phones=tuple((phone.name, phone.prefixes) for phone
                                                 in settings.android_sms_phone_list()))
        return cls(store, vault, channels, limits=limits,
                   max_attempts=settings.outbox_max_attempts,
                   base_backoff=settings.outbox_backoff_base,
                   lease=timedelta(seconds=settings.outbox_lease_seconds),
                   unrecorded=settings.outbox_unrecorded)

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
        """Send every row due now; return how many were handed to a provider.

        A pipeline rather than batches: rows are claimed again whenever a channel has less
        than ``lookahead`` seconds of its pace in hand, while earlier sends are still going, so
        the provider's pace is never left idle between a batch's last sends and the next claim.
        """
        tasks: set[asyncio.Task[int]] = set()
        # Requests at each provider at once: a gate per channel, so rows waiting for one
        # provider's pace (Telegram's, saturated) never hold an SMS or a gateway phone back.
        gates: dict[str, _Gate] = collections.defaultdict(lambda: _Gate(self.concurrency))
        self._unmarked = _Gate(self.unrecorded)
        self._progress = asyncio.Event()
        total, next_claim, next_urgent = 0, 0.0, 0.0
        try:
            while not self._stopping:
                total += _reap(tasks)
                wanted = self._room()
                now = time.monotonic()
                # A channel whose hand is full is still asked for its SOS rows every ``poll``
                # s: they must not wait for half the rows in hand to go (seconds at a slow
                # pace). One transaction, one seek on the claim's index, when there are none
                # (on SQLite each takes the one write lock: a gateway's hand of 4 is full
                # nearly always).
                full = [c for c in self.channels if c not in wanted]
                if full and now >= next_urgent:
                    next_urgent = now + self.poll
                    urgent = await asyncio.to_thread(self._claim_sos, full)
                    for key, queue in _by_address(urgent).items():
                        self._in_hand[key[0]] += len(queue)
                        tasks.add(asyncio.create_task(self._send_queue(key, queue, gates[key[0]])))
                if wanted and now >= next_claim:
                    opened = await asyncio.to_thread(self._claim_open, wanted)
                    for key, queue in _by_address(opened).items():
                        self._in_hand[key[0]] += len(queue)
                        tasks.add(asyncio.create_task(self._send_queue(key, queue, gates[key[0]])))
                    # Fewer rows than asked: nothing more is due now; look again shortly
                    # (a chat freed by a send, a deferred row falling due, a new reply).
                    if sum(wanted.values()) > len(opened):
                        next_claim = now + self.poll
                    if not opened and not tasks:
                        break
                    if opened:
                        continue
                self._progress.clear()
                pause = max(next_claim - now, 0.005) if wanted else self.poll
                if full:
                    pause = min(pause, max(next_urgent - now, 0.005))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._progress.wait(), timeout=pause)
        finally:
            if tasks:  # rows in hand are sent, or handed back if stopping, never abandoned
                results = await asyncio.gather(*tasks, return_exceptions=True)
                total += sum(r for r in results if isinstance(r, int))
        return total

    def _room(self) -> dict[str, int]:
        """Rows each channel may take now: up to ``lookahead`` s of its pace, claimed once at
        least half of that has gone (a person's reply is never queued behind a long claim)."""
        room = {}
        for channel in self.channels:
            rate = channel_registry.overall_rate(self.limits, channel)
            want = self.batch if rate <= 0 else max(1, min(self.batch, int(rate * self.lookahead)))
            if self._in_hand[channel] <= want // 2:
                room[channel] = want - self._in_hand[channel]
        return room

    def _claim_sos(self, channels: list[str]) -> list[tuple[Claimed, str]]:
        """The SOS lane's due rows of ``channels`` (whose hands are full), claimed and opened;
        first one look at the lanes present, and nothing more when none is below replies'."""
        with self.store.session() as session:
            lane = session.scalar(_CLAIM.first_lane)
        if lane is None or lane >= PRIORITY_REPLY:
            return []
        return self._claim_open(dict.fromkeys(channels, self.concurrency), PRIORITY_REPLY)

    def _claim_open(self, wanted: dict[str, int],
                    below: int | None = None) -> list[tuple[Claimed, str]]:
        """Claim rows (of the lanes ``below`` a priority only, when given) and decrypt their
        addresses and payloads, off the event loop (Fernet takes time; opening the sealed
        payload costs about as much again, docs/RELIABILITY.md)."""
        opened = []
        for channel, limit in wanted.items():
            for row in self._claim(limit, channels=[channel], below=below):
                try:
                    message = Outgoing.unseal(self.vault, row.payload_enc)
                    opened.append((replace(row, message=message),
                                   self.vault.decrypt(row.address_enc)))
                except ValueError as exc:  # undecryptable address or text: nothing will fix it
                    self._failed(row, PermanentSendError(str(exc)))
        return opened

    async def _send_queue(self, key: tuple[str, str], queue: list[Claimed],
                          gate: _Gate) -> int:
        """One address's rows in order: wait for the chat's own slot holding nothing, then
        take the channel's next overall slot, then send within the ``gate``."""
        address, sent = key[1], 0
        try:
            for index, row in enumerate(queue):
                if self._stopping:  # hand unsent rows back now rather than at lease expiry
                    await asyncio.to_thread(self._release, queue[index:], 0.0)
                    break
                rules = channel_registry.rules(self.limits, row.channel, address)
                own = rules[1:]  # the first rule is the channel's overall pace, shared by all
                # The own slot is booked here, with no await since the look (queues sharing a
                # key, a gateway phone's numbers, never take one slot twice), and the overall
                # slot only once it has come: booked together, a phone's slot a second ahead
                # pushed the channel's overall pace past it, and the other phone waited idle
                # (0.6 of two phones' pace, bench/channel_pacing.py).
                kept = self._kept_slots.pop(row.id, None)
                wait = (kept - time.monotonic() if kept is not None
                        else self.pacer.reserve(own))
                if wait > self.hold:  # not soon: back to the store, the lanes behind go on
                    # Its slot stays booked for it, and it comes back just before: released
                    # unbooked, due at its slot, it lost the slot to rows claimed meanwhile
                    # (a phone's newer numbers overtook it, again and again while the phone
                    # was busy: seconds beyond its slot in make bench's U1).
                    self._keep_slot(row.id, time.monotonic() + wait)
                    await asyncio.to_thread(self._release, queue[index:], wait - self.hold)
                    break
                await asyncio.sleep(max(0.0, wait))
                sent += await self._deliver(row, address, rules, gate)
        finally:
            self._in_hand[key[0]] -= len(queue)
            if self._progress is not None:
                self._progress.set()
        return sent

    def _keep_slot(self, row_id: int, at: float) -> None:
        self._kept_slots[row_id] = at
        if len(self._kept_slots) > 10_000:  # rows another sender took, or gone: forget
            past = time.monotonic() - 60.0
            self._kept_slots = {k: t for k, t in self._kept_slots.items() if t > past}

    async def _deliver(self, row: Claimed, address: str, rules: list[Rule],
                       gate: _Gate) -> int:
        """Take the channel's next overall slot and send, within the gate.

        Overall slots are booked only by the gate's holders (a row's own slot, a chat's or a
        phone's, was booked before: ``_send_queue``), so at most ``concurrency`` are booked
        ahead and each send leaves at its slot (booking first and queueing for the gate
        after would let a freed gate release several sends at once into one provider
        window). The gate is freed when the provider answers; a place among ``unrecorded``
        is held until the send is recorded, so a crash can repeat at most that many
        messages (in flight, or sent and not yet marked).
        """
        async with contextlib.AsyncExitStack() as unrecorded:
            sent = await self._send_one(row, address, rules, gate, unrecorded)
            if sent is None:
                return 0
            provider_id, free_at = sent
            await self._mark_sent(row, provider_id, free_at)
        return 1

    async def _send_one(self, row: Claimed, address: str, rules: list[Rule],
                        gate: _Gate, unrecorded: contextlib.AsyncExitStack,
                        ) -> tuple[str | None, datetime | None] | None:
        """At the row's slot, within the gate: send; return the provider's id and when the
        chat's next message may go, or None when it was not sent (its failure recorded)."""
        assert self._unmarked is not None  # set by drain()
        channel = self.channels[row.channel]
        async with gate.held(row.priority):
            # The place among the unrecorded is taken inside the channel's gate (and kept
            # in ``unrecorded`` until the mark): taken before, rows queueing for a saturated
            # provider's gate held all of them, and the other channels' sends waited too.
            await unrecorded.enter_async_context(self._unmarked.held(row.priority))
            # Before the slot, not between it and the send: a trip to a thread there made
            # sends leave later than booked, in bunches the provider counted as too many.
            if not self._lease_young(row) and not await asyncio.to_thread(self._renew, row):
                return None  # our lease ran out and another sender took the row: its turn
            await asyncio.sleep(self.pacer.reserve(rules[:1]))  # the own slot is taken
            while (late := self.pacer.admit(rules)) > 0:  # the loop woke late: keep the window
                await asyncio.sleep(late)
            self.pacer.record(rules)
            try:
                provider_id = await channel.send(address, row.message or Outgoing.unseal(
                    self.vault, row.payload_enc))
            except SendError as exc:
                _count_refusal(row.channel, exc)
                if isinstance(exc, Throttled) and rules:
                    self.pacer.hold(rules[-1].key, exc.retry_after)  # the narrowest key
                await asyncio.to_thread(self._failed, row, exc)
                return None
            except Exception as exc:  # an adapter bug must not leave the row leased
                log.exception("outbox %s: adapter failed unexpectedly", row.id)
                await asyncio.to_thread(self._failed, row, SendError(type(exc).__name__))
                return None
        metrics.sends.labels(row.channel).inc()
        # The chat's later messages are due when its own pace allows, not before: claims
        # then go round the chats waiting longest instead of back to the same few.
        own = self.pacer.delay(rules[1:])
        return provider_id, utcnow() + timedelta(seconds=own) if own > 0 else None

    async def _mark_sent(self, row: Claimed, provider_id: str | None,
                         free_at: datetime | None) -> None:
        """Record a send; marks arriving while a write is under way go in the next one."""
        if self._marks_written is None or self._marks_written.done():
            self._marks_written = asyncio.get_running_loop().create_future()
        written = self._marks_written
        # Bound names differ from column names: SQLAlchemy keeps those for SET values.
        self._marks.append({"b_id": row.id, "b_provider": provider_id, "b_route": row.route,
                            "b_free": free_at, "b_forget": row.forget})
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_marks())
        await asyncio.shield(written)

    async def _flush_marks(self) -> None:
        while self._marks:
            marks, written = self._marks, self._marks_written
            self._marks, self._marks_written = [], None
            try:
                await asyncio.to_thread(self._sent_many, marks)
            except BaseException as exc:  # the sends stay leased: sent again after the lease
                if written is not None and not written.done():
                    written.set_exception(exc)
                    written.exception()  # retrieved here too: nobody may be left waiting
                if not isinstance(exc, Exception):
                    raise
            else:
                if written is not None and not written.done():
                    written.set_result(None)

    # --- the store ------------------------------------------------------------------------------

    def _claim(self, limit: int | None = None, channels: list[str] | None = None,
               below: int | None = None) -> list[Claimed]:
        """Take due rows, at most one per route (chat), none for a route already in flight;
        with ``below``, only rows of the lanes below that priority.

        Rows of a chat that must wait are therefore never claimed just to be put back: the
        store keeps them until their turn, and a person's messages keep their order.
        """
        now = utcnow()
        lease_until = now + self.lease
        with self.store.session() as session:
            heads = self._first_per_route(session, now, limit or self.batch,
                                          channels or list(self.channels), below)
            if not heads:
                return []
            # One UPDATE ... RETURNING, not ORM objects: the claim holds SQLite's write lock,
            # and loading and flushing 300 rows through the ORM took ~50 ms of it, during
            # which no sent mark could be written (the sends waiting on them stalled).
            take = _CLAIM.take_locked if self.store.is_postgres else _CLAIM.take
            rows = list(session.connection().execute(take, {
                "ids": [h.id for h in heads], "now": now, "lease": lease_until}))
        expired = {h.id for h in heads if h.status == "sending"}
        for row in rows:
            if row.id in expired:  # its sender died mid-send: this may be a second copy
                log.warning("outbox %s: lease expired, sending again", row.id)
        rows.sort(key=lambda r: (r.priority, r.id))
        return [Claimed(r.id, r.channel, r.address_enc, r.payload_enc, r.attempts, r.contact_id,
                        lease_until, r.route, r.forget_after_send, priority=r.priority)
                for r in rows]

    def _first_per_route(self, session: Session, now: datetime, limit: int,
                         channels: list[str], below: int | None = None) -> list[Any]:
        """Each chat's first waiting message, when it is due, the longest due first.

        "First" among all the chat's waiting rows, due or not: a new reply never overtakes an
        earlier message deferred to the chat's next slot. Pending rows are read along
        ``ix_outbox_claim_order`` with a probe per row on ``ix_outbox_route_status``, and the
        read stops at ``limit``: a claim costs about what it takes, however long the queue
        (ranking every waiting row took 150 ms per claim with 100,000 queued).
        """
        values = {"now": now, "channels": channels}
        # Rows whose sender died (a few), then pending rows in claim order.
        heads = [] if below is not None else list(
            session.execute(_CLAIM.expired, {**values, "take": limit}))
        # Then pending rows, lane by lane: within a lane, due rows are one range of
        # ix_outbox_claim_order, so the read stops at the limit or at the first row not yet
        # due, never walking the rows that wait for their chat's slot (tens of thousands
        # after a burst, and the sender asks several times a second).
        lane = session.scalar(_CLAIM.first_lane)
        while lane is not None and len(heads) < limit and (below is None or lane < below):
            heads += session.execute(_CLAIM.due_in_lane,
                                     {**values, "lane": lane, "take": limit - len(heads)})
            lane = session.scalar(_CLAIM.next_lane, {"lane": lane})
        heads.sort(key=lambda h: (h.priority, h.next_attempt_at, h.id))
        return heads[:limit]

    def _lease_young(self, row: Claimed) -> bool:
        """Less than half the claim's lease used: no other sender can have taken the row
        (claims take expired leases only), so the store need not be asked (the common path)."""
        return utcnow() < row.lease_until - self.lease / 2

    def _renew(self, row: Claimed) -> bool:
        """Renew the lease for the send about to start, unless another sender took the row.

        The lease then only has to outlast one provider call, not the whole batch.
        """
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

    def _sent_many(self, marks: list[dict[str, Any]]) -> None:
        """Write sent marks in one transaction, and defer each chat's next messages to its slot."""
        now = utcnow()
        # Executed on the connection: plain executemany, not the ORM's bulk update path.
        with self.store.session() as session:
            session.connection().execute(
                update(OutboxMessage).where(OutboxMessage.id == bindparam("b_id"))
                .values(status="sent", sent_at=now, provider_id=bindparam("b_provider"),
                        lease_until=None), marks)
            later = [m for m in marks if m["b_route"] and m["b_free"] is not None]
            if later:
                session.connection().execute(_DEFER_ROUTE, later)
            gone = [m["b_id"] for m in marks if m.get("b_forget")]
            if gone:  # a DELETE's reply: sent, so nothing of the person stays (bot/app/erasure.py)
                session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(gone)))

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
                                       OutboxMessage.status == "pending")
                                .values(next_attempt_at=_not_before(due)))

    def _failed(self, row: Claimed, exc: SendError) -> None:
        if isinstance(exc, OutOfReach):  # not here, maybe elsewhere: bot/core/reroute.py
            with self.store.session() as session:
                refused = session.get(OutboxMessage, row.id)
                if refused is not None:
                    reroute(session, self.vault, refused, self.channels, str(exc.code))
            return
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
            if row.forget and values.get("status") == "failed":  # nothing kept of the person
                session.execute(delete(OutboxMessage).where(OutboxMessage.id == row.id))
                return
            session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id)
                            .values(**values))
            if isinstance(exc, ContactStopped) and row.contact_id is not None:
                session.execute(update(Contact).where(Contact.id == row.contact_id)
                                .values(stopped=True))

    def _backoff(self, attempts: int) -> float:
        """Exponential backoff with jitter: half fixed, half random, so retries spread out."""
        ceiling = float(min(self.max_backoff, self.base_backoff * 2 ** (attempts - 1)))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - not for secrets


def _count_refusal(channel: str, exc: SendError) -> None:
    if isinstance(exc, Throttled):
        metrics.throttled.labels(channel).inc()
    metrics.send_errors.labels(channel, str(exc.code or type(exc).__name__)).inc()


class _ClaimStatements:
    """The claim's statements, built once: building them per claim (an alias, two EXISTS)
    cost several times what running them did."""

    def __init__(self) -> None:
        row, other = OutboxMessage, aliased(OutboxMessage)
        now = bindparam("now", type_=OutboxMessage.next_attempt_at.type)
        channels: Any = bindparam("channels", expanding=True)
        # "+ 0" keeps these terms off the indexes: the probe must go by the chat's index
        # (route), not walk every row of lower priority or id. Once the lane is a constant,
        # SQLite's planner otherwise chose that walk: a claim of 10,000 rows took 5-19 s.
        other_priority, other_id = other.priority + 0, other.id + 0
        earlier = exists().where(
            other.route == row.route, _waiting(now, other),
            or_(other_priority < row.priority,
                and_(other_priority == row.priority, other_id < row.id)))
        in_flight = exists().where(other.route == row.route, other.status == "sending",
                                   other.lease_until >= now)
        first = or_(row.route.is_(None), and_(~in_flight, ~earlier))
        columns = (row.id, row.priority, row.next_attempt_at, row.status)
        take = bindparam("take", type_=Integer)
        self.expired = (select(*columns)
                        .where(row.status == "sending", row.lease_until < now,
                               row.channel.in_(channels), first)
                        .order_by(row.priority, row.next_attempt_at, row.id).limit(take))
        self.due_in_lane = (select(*columns)
                            .where(row.status == "pending", row.priority == bindparam("lane"),
                                   row.next_attempt_at <= now, row.channel.in_(channels), first)
                            .order_by(row.next_attempt_at, row.id).limit(take))
        # Taking the chosen rows: still due (another sender may have been quicker), leased.
        ids: Any = bindparam("ids", expanding=True)
        lease = bindparam("lease", type_=OutboxMessage.lease_until.type)
        taken = (row.id, row.channel, row.address_enc, row.payload_enc, row.attempts,
                 row.contact_id, row.route, row.priority, row.forget_after_send)
        leased = {"status": "sending", "lease_until": lease, "attempts": row.attempts + 1}
        self.take = (update(row).where(row.id.in_(ids), _due(now)).values(leased)
                     .returning(*taken))
        # PostgreSQL: rows another sender is claiming right now are skipped, not waited for.
        self.take_locked = (update(row).where(row.id.in_(
            select(other.id).where(other.id.in_(ids), _due(now, other))
            .with_for_update(skip_locked=True).scalar_subquery()))
            .values(leased).returning(*taken))
        # The lanes present: one seek each on the index (min() scanned every pending row).
        lanes = select(row.priority).where(row.status == "pending").order_by(row.priority)
        self.first_lane = lanes.limit(1)
        self.next_lane = lanes.where(row.priority > bindparam("lane")).limit(1)


def _by_address(opened: list[tuple[Claimed, str]]) -> dict[tuple[str, str], list[Claimed]]:
    """One queue per address keeps a person's messages in order; addresses run side by side.
    Grouped by the clear address: two ciphertexts of one address differ (Fernet's IV)."""
    queues: dict[tuple[str, str], list[Claimed]] = {}
    for row, address in opened:
        queues.setdefault((row.channel, address), []).append(row)
    return queues


def _reap(tasks: set[asyncio.Task[int]]) -> int:
    """Remove finished tasks; return the messages they sent (a failure is raised here)."""
    done = {task for task in tasks if task.done()}
    tasks -= done
    return sum(task.result() for task in done)


def _waiting(now: Any, row: Any = OutboxMessage) -> Any:
    """Rows waiting to be sent, due or not, and rows whose sender died (lease expired)."""
    return or_(row.status == "pending", and_(row.status == "sending", row.lease_until < now))


def _due(now: Any, row: Any = OutboxMessage) -> Any:
    """Rows to send now: pending and due, or leased by a sender that died (lease expired)."""
    return or_(
        and_(row.status == "pending", row.next_attempt_at <= now),
        and_(row.status == "sending", row.lease_until < now),
    )


def _not_before(moment: Any) -> Any:
    """``next_attempt_at`` pushed to ``moment`` if earlier, as a SET value.

    Kept out of the WHERE clause on purpose: there, ``next_attempt_at < moment`` made SQLite
    pick ix_outbox_status_attempt and walk every pending row due before ``moment`` (all of a
    burst: 45 ms for a mark of 8 sends with 10,000 queued, capping the sender at ~170/s)
    instead of the chat's few rows on ix_outbox_route_status.
    """
    return case((OutboxMessage.next_attempt_at < moment, moment),
                else_=OutboxMessage.next_attempt_at)


# A sent chat's later messages wait for its next slot (executemany: one row per chat).
_DEFER_ROUTE = (update(OutboxMessage)
                .where(OutboxMessage.route == bindparam("b_route"),
                       OutboxMessage.status == "pending")
                .values(next_attempt_at=_not_before(
                    bindparam("b_free", type_=OutboxMessage.next_attempt_at.type))))
_CLAIM = _ClaimStatements()  # after _waiting and _due, which it uses

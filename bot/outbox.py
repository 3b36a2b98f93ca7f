"""The sender: delivers outbox rows through each channel's adapter, retrying what may succeed.

Rows are claimed with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several processes
can send at once); a row whose lease expired (its sender died) is claimed again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import and_, or_, select, update

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
class Claimed:
    id: int
    channel: str
    address_enc: str
    payload: dict[str, object]
    attempts: int
    contact_id: int | None


class Sender:
    def __init__(self, store: Store, vault: Vault, channels: dict[str, ChannelSender], *,
                 batch: int = 50, max_attempts: int = 8, base_backoff: float = 2.0) -> None:
        self.store, self.vault, self.channels = store, vault, channels
        self.batch, self.max_attempts, self.base_backoff = batch, max_attempts, base_backoff
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False

    def wake(self) -> None:
        """Ask the running loop to look at the outbox now (callable from any thread)."""
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def stop(self) -> None:
        """Finish the message in hand, then leave ``run`` (never cut a send in half)."""
        self._stopping = True
        self.wake()

    async def run(self, idle: float = 1.0) -> None:
        """Send until stopped: whenever woken, and every ``idle`` seconds for retries."""
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        while not self._stopping:
            try:
                sent = await self.drain()
            except StoreUnavailable:
                sent = 0
                log.warning("sender: store unavailable, will retry")
            except Exception:  # the loop must survive any single failure
                log.exception("sender: unexpected failure")
                sent = 0
            if sent:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=idle)

    async def drain(self) -> int:
        """Send every row due now; return how many were handed to a provider."""
        total = 0
        while not self._stopping:
            claimed = await asyncio.to_thread(self._claim)
            if not claimed:
                return total
            for row in claimed:
                total += await self._deliver(row)
        return total

    def _claim(self) -> list[Claimed]:
        now = utcnow()
        with self.store.session() as session:
            due = or_(
                and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
                and_(OutboxMessage.status == "sending", OutboxMessage.lease_until < now),
            )
            query = (select(OutboxMessage).where(due)
                     .where(OutboxMessage.channel.in_(list(self.channels)))
                     .order_by(OutboxMessage.priority, OutboxMessage.id).limit(self.batch))
            if self.store.is_postgres:
                query = query.with_for_update(skip_locked=True)
            rows = list(session.scalars(query))
            for row in rows:
                if row.status == "sending":  # its sender died mid-send: may be a 2nd copy
                    log.warning("outbox %s: lease expired, sending again", row.id)
                row.status, row.lease_until = "sending", now + LEASE
                row.attempts += 1
            return [Claimed(r.id, r.channel, r.address_enc, r.payload, r.attempts, r.contact_id)
                    for r in rows]

    async def _deliver(self, row: Claimed) -> int:
        channel = self.channels[row.channel]
        try:
            address = self.vault.decrypt(row.address_enc)
            provider_id = await channel.send(address, Outgoing.from_payload(row.payload))
        except SendError as exc:
            await asyncio.to_thread(self._failed, row, exc)
            return 0
        except ValueError as exc:  # undecryptable address: nothing will ever fix it
            await asyncio.to_thread(self._failed, row, PermanentSendError(str(exc)))
            return 0
        await asyncio.to_thread(self._sent, row.id, provider_id)
        return 1

    def _sent(self, row_id: int, provider_id: str | None) -> None:
        with self.store.session() as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(
                status="sent", sent_at=utcnow(), provider_id=provider_id, lease_until=None))

    def _failed(self, row: Claimed, exc: SendError) -> None:
        now = utcnow()
        values: dict[str, object] = {"last_error": f"{type(exc).__name__}: {exc}"[:200],
                                     "lease_until": None}
        if not exc.retryable or row.attempts >= self.max_attempts:
            values["status"] = "failed"
            log.warning("outbox %s failed for good after %s tries: %s", row.id, row.attempts,
                        type(exc).__name__)
        else:
            if isinstance(exc, Throttled):
                delay = exc.retry_after
            else:  # exponential backoff with full jitter
                delay = random.uniform(0, self.base_backoff * 2 ** (row.attempts - 1))  # noqa: S311
            values["status"], values["next_attempt_at"] = "pending", now + timedelta(seconds=delay)
        with self.store.session() as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id)
                            .values(**values))
            if isinstance(exc, ContactStopped) and row.contact_id is not None:
                session.execute(update(Contact).where(Contact.id == row.contact_id)
                                .values(stopped=True))

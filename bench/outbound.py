"""Outbound at the provider's limit: a queued outbox drained by ``bot.core.outbox.Sender`` against
the fake Bot API / fake Twilio (in their own process) that enforce the limits and answer 429.

Only the sender's public surface is used (``Sender.from_settings`` when it exists, else
``Sender(store, vault, channels)``; ``run()``/``stop()``), so the bench follows its upgrades.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select

from bench.procs import SECRET_KEY, SERVICE_NUMBER, FakesProc
from bot.core.crypto import Vault
from bot.core.messages import Outgoing
from bot.core.models import OutboxMessage
from bot.core.outbox import Sender
from bot.core.settings import Settings
from bot.core.store import Store


@dataclass
class OutboundResult:
    queued: int
    delivered: int  # distinct messages the provider accepted
    duplicates: int  # accepted more than once
    lost: int  # given up by the sender (status failed) and never accepted
    waiting: int  # still queued when the deadline came
    rejected_429: int
    other_errors: int
    seconds: float  # from the sender's start to the provider's last acceptance
    limit: float
    rejected_429_per_chat: int = 0  # of rejected_429, those of a chat's own window
    rejected_429_after: tuple[float, ...] = ()  # when they came, s after the first send

    @property
    def rate(self) -> float:
        return self.delivered / self.seconds if self.seconds else 0.0


def _address(channel: str, i: int) -> str:
    return f"telegram:{300_000_000 + i}" if channel == "telegram" else f"+2279{8_000_000 + i}"


def enqueue(store: Store, vault: Vault, channel: str, messages: int, recipients: int,
            first: int = 0) -> None:
    """``messages`` rows to ``recipients`` addresses, each person's messages one after another
    (as a multi-part reply is queued), every text unique so duplicates can be told."""
    per = messages // recipients
    rows = []
    for r in range(first, first + recipients):
        address = _address(channel, r)
        if channel == "sms":
            address = "tel:" + address
        address_enc = vault.encrypt(address)
        # As the app queues replies: the destination's pseudonym as the pacing key.
        route = vault.pseudonym(address)[:16]
        for k in range(per):
            n = r * per + k
            rows.append({"channel": channel, "address_enc": address_enc, "contact_id": None,
                         "route": route,
                         "payload_enc": Outgoing(text=f"bench message {n} part {k + 1}/{per}")
                         .seal(vault), "priority": 0})
    with store.engine.begin() as conn:
        conn.execute(insert(OutboxMessage.__table__), rows)


def _settings(url: str, fakes: FakesProc, telegram_rate: float, per_chat: float,
              sms_rate: float) -> Settings:
    # Unknown names are ignored by Settings, so this works before and after the upgrade. The
    # fake enforces 1 per rolling second per chat with no burst: the settings say the same.
    return Settings(_env_file=None, database_url=url, secret_key=SECRET_KEY,  # type: ignore[call-arg]
                    telegram_rate_overall=telegram_rate, telegram_rate_per_chat=per_chat,
                    telegram_chat_burst=1,
                    twilio_rate_per_number=sms_rate, **{k.removeprefix("HANYA_").lower(): v
                                                        for k, v in fakes.env().items()})


def _sender(store: Store, vault: Vault, channels: dict[str, Any], settings: Settings) -> Sender:
    if hasattr(Sender, "from_settings"):
        return Sender.from_settings(store, vault, channels, settings)  # type: ignore[no-any-return]
    return Sender(store, vault, channels)


def drain(url: str, fakes: FakesProc, channel: str, *, messages: int, recipients: int,
          telegram_rate: float, per_chat: float, sms_rate: float,
          timeout: float) -> OutboundResult:
    """Queue, then run the sender until the outbox is empty or ``timeout`` s have passed."""
    from webhooks.channels import telegram_sender, twilio_sender

    settings = _settings(url, fakes, telegram_rate, per_chat, sms_rate)
    store, vault = Store(url), Vault(settings.secret_key_or_dev())
    enqueue(store, vault, channel, messages, recipients)
    fakes.reset()
    try:
        started = asyncio.run(_run(store, vault, channel, settings, timeout,
                                   telegram_sender if channel == "telegram" else twilio_sender))
        waiting, failed = _waiting(store), _failed(store)
    finally:
        store.dispose()
    stats = fakes.stats()[channel]
    texts = stats["texts"]
    distinct = len(set(texts))
    last = stats["last_at"] or started
    return OutboundResult(messages, distinct, len(texts) - distinct, failed, waiting,
                          stats["rejected_429"], stats["errors"], last - started,
                          telegram_rate if channel == "telegram" else sms_rate,
                          stats.get("rejected_429_per_chat", 0),
                          tuple(stats.get("rejected_429_after", ())))


async def _run(store: Store, vault: Vault, channel: str, settings: Settings, timeout: float,
               make: Any) -> float:
    adapter = make(settings)
    if hasattr(adapter, "start"):
        await adapter.start()
    sender = _sender(store, vault, {channel: adapter}, settings)
    # As the web process does once started (webhooks/app.py, gc_freeze_at_start): what is
    # already loaded is kept out of the cyclic GC's full passes. This bench process holds far
    # more than a server (the inbound section's request streams, the queued rows), and a full
    # pass over it stalled the sender for tens of ms: the sends then left in a clump and the
    # overall window's 429s came in clusters mid-run (4-10 a run; 0-1 with the freeze).
    gc.collect()
    gc.freeze()
    started = time.time()
    try:
        await run_until_drained(sender, adapter, lambda: _waiting(store), timeout, poll=0.25)
    finally:
        gc.unfreeze()
    return started


async def run_until_drained(sender: Any, adapter: Any, waiting: Callable[[], int],
                            timeout: float, *, poll: float) -> None:
    """Run ``sender`` until ``waiting()`` (read in a thread) is 0 or ``timeout`` passes, then
    stop it and its adapter."""
    task = asyncio.create_task(sender.run())
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not task.done():
            await asyncio.sleep(poll)
            if not await asyncio.to_thread(waiting):
                break
    finally:
        sender.stop()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(task, 30)
        if hasattr(adapter, "stop"):
            await adapter.stop()


def _waiting(store: Store) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status.in_(["pending", "sending"]))) or 0)


def _failed(store: Store) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status == "failed")) or 0)


__all__ = ["OutboundResult", "SERVICE_NUMBER", "drain"]


def claim_cost(url: str, *, small: int, large: int, chats_per: int = 5,
               tries: int = 5) -> tuple[list[float], list[float]]:
    """Seconds per claim of 60 rows with ``small`` rows queued (statistics fresh), then with
    ``large`` queued after a burst (the store's statistics still those of ``small``, as on a
    live table before autovacuum catches up)."""
    from sqlalchemy import text

    store, vault = Store(url), Vault(SECRET_KEY.encode())
    try:
        sender = Sender(store, vault, {"telegram": object()})  # claims only, never sends
        enqueue(store, vault, "telegram", small, small // chats_per)
        with store.engine.begin() as conn:
            conn.execute(text("ANALYZE outbox" if store.is_postgres else "ANALYZE"))
        before = _time_claims(store, sender, tries)
        with store.engine.begin() as conn:  # hand the claimed rows back: measure the same
            conn.execute(OutboxMessage.__table__.update().values(status="pending"))
        enqueue(store, vault, "telegram", large - small, (large - small) // chats_per,
                first=small // chats_per)
        return before, _time_claims(store, sender, tries)
    finally:
        store.dispose()


def _time_claims(store: Store, sender: Sender, tries: int) -> list[float]:
    times = []
    for _ in range(tries):
        started = time.perf_counter()
        sender._claim(60, ["telegram"])  # noqa: SLF001 - the claim alone is what is timed
        times.append(time.perf_counter() - started)
        with store.engine.begin() as conn:
            conn.execute(OutboxMessage.__table__.update()
                         .where(OutboxMessage.status == "sending").values(status="pending"))
    return times

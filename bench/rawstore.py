"""The store's own pace: the rows an inbound message leaves, written straight with SQLAlchemy
Core through the same engine (same pragmas, BEGIN IMMEDIATE on SQLite, same pool), one commit
per message, from as many threads as the server's requests in flight."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update

from bot.core.models import Contact, InboundMessage, InfoRequest, OutboxMessage, utcnow
from bot.core.store import Store


@dataclass
class Shape:
    """What Hanya wrote per inbound message in the same run (read back from its store)."""

    messages: int
    contacts: int
    outbox: int
    info_requests: int
    payloads: list[str]  # sealed, as the outbox stores them

    @classmethod
    def read(cls, url: str) -> Shape:
        store = Store(url)
        try:
            with store.session() as session:
                def count(model: Any) -> int:
                    return int(session.scalar(select(func.count()).select_from(model)) or 0)

                payloads = list(session.scalars(select(OutboxMessage.payload_enc).limit(200)))
                return cls(count(InboundMessage), count(Contact), count(OutboxMessage),
                           count(InfoRequest), payloads or ["g1." + "x" * 400])
        finally:
            store.dispose()


def raw_rate(url: str, shape: Shape, *, seconds: float, threads: int = 8,
             limit: int = 20_000) -> float:
    """Messages per second written straight to the store with Hanya's rows per message."""
    store = Store(url)
    per_contact = max(1.0, shape.messages / max(1, shape.contacts))
    address = "gAAAAA" + "x" * 150  # a Fernet ciphertext's size; crypto is not the store's cost
    done = [0] * threads
    deadline = time.monotonic() + seconds
    start = time.monotonic()

    def work(t: int) -> None:
        i = t
        while time.monotonic() < deadline and i < limit:
            # each thread its own people, as one person's messages come one at a time
            pseudonym = f"raw{t:03d}{int(done[t] // per_contact):058d}"
            _write_one(store, i, pseudonym, shape, address)
            done[t] += 1
            i += threads

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=seconds + 60)
    elapsed = time.monotonic() - start
    store.dispose()
    return sum(done) / elapsed


def _share(i: int, total: int, messages: int) -> int:
    """How many of ``total`` rows message ``i`` writes (spread evenly, Bresenham-style)."""
    return (i + 1) * total // messages - i * total // messages


def _write_one(store: Store, i: int, pseudonym: str, shape: Shape, address: str) -> None:
    n = max(1, shape.messages)
    with store.engine.begin() as conn:
        query = select(Contact.id).where(Contact.pseudonym == pseudonym)
        if store.is_postgres:
            query = query.with_for_update()
        contact_id = conn.scalar(query)
        now = utcnow()
        if contact_id is None:
            contact_id = conn.execute(insert(Contact).values(
                channel="telegram", pseudonym=pseudonym, address_enc=address, language="fr",
                step="choose_language", state_data={}, created_at=now, last_seen_at=now,
                conversation="info", stopped=False)).inserted_primary_key[0]
        else:
            conn.execute(update(Contact).where(Contact.id == contact_id).values(
                step="menu", point_id="agadez", last_seen_at=now))
        conn.execute(insert(InboundMessage).values(channel="telegram", external_id=f"raw-{i}",
                                                   kind="text", contact_id=contact_id,
                                                   received_at=now))
        for _ in range(_share(i, shape.info_requests, n)):
            conn.execute(insert(InfoRequest).values(at=now, channel="telegram", language="fr",
                                                    point_id="agadez", region="NE001",
                                                    topic="rights"))
        for k in range(_share(i, shape.outbox, n)):
            conn.execute(insert(OutboxMessage).values(
                channel="telegram", address_enc=address, contact_id=contact_id,
                payload_enc=shape.payloads[(i + k) % len(shape.payloads)], priority=0,
                status="pending", attempts=0, next_attempt_at=now, created_at=now))

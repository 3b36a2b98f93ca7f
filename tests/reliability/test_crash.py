"""SIGKILL the server while it takes inbound traffic: every message answered 200 was kept
(handled, or accepted and waiting in the intake); after restart and the provider's retries,
every message is recorded once and answered; the only possible extra copies are the
replies that were in flight at the instant of the kill (their lease expires, they go again)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from bot.core.models import InboundMessage, IntakeMessage, OutboxMessage
from tests.conftest import WEBHOOK_SECRET, wait_outbox_drained
from tests.fakes.telegram_updates import text_update
from tests.reliability.servers import Server, free_port

HEADERS = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
N = 300


def test_sigkill_during_inbound_traffic_loses_nothing(settings, store, bot_api):
    updates = [text_update(830_000_000 + i, 8300000000 + i, "bonjour") for i in range(N)]
    acknowledged: set[int] = set()
    lock = threading.Lock()
    port = free_port()
    leases = {"OUTBOX_LEASE_SECONDS": "2", "INTAKE_LEASE_SECONDS": "2"}
    first = Server.start(settings, port=port, **leases)

    def post(http: httpx.Client, update: dict) -> None:
        try:
            response = http.post(f"{first.url}/webhooks/telegram", json=update, headers=HEADERS)
        except httpx.HTTPError:
            return  # the provider saw no answer: it will retry
        if response.status_code == 200:
            with lock:
                acknowledged.add(update["update_id"])

    with httpx.Client(timeout=10) as http, ThreadPoolExecutor(max_workers=16) as pool:
        futures = [pool.submit(post, http, u) for u in updates]
        while len(acknowledged) < N // 3:  # kill in the middle of the traffic
            time.sleep(0.005)
        first.kill()
        for future in futures:
            future.result()
    assert 0 < len(acknowledged) < N, "the kill did not land in the middle of the traffic"
    with store.session() as session:
        # Handled, or accepted and waiting to be handled (the intake keeps it encrypted).
        stored = set(session.scalars(select(InboundMessage.external_id)))
        waiting = set(session.scalars(select(IntakeMessage.external_id)))
        stored |= waiting
        in_flight = session.scalar(select(func.count()).select_from(OutboxMessage)
                                   .where(OutboxMessage.status == "sending"))
    assert {str(u) for u in acknowledged} <= stored  # a 200 means it is in the store

    # The restarted server takes over the rows whose short leases the kill cut, but its own
    # leases are long: under a loaded machine one of its sends took longer than 2 s, its
    # lease expired and it sent the reply again (a duplicate the kill did not cause).
    second = Server.start(settings, port=port, OUTBOX_LEASE_SECONDS="60",
                          INTAKE_LEASE_SECONDS="2")
    try:
        with httpx.Client(timeout=30) as http:  # Telegram retries what it saw no 200 for
            for update in updates:
                if update["update_id"] not in acknowledged:
                    assert http.post(f"{second.url}/webhooks/telegram", json=update,
                                     headers=HEADERS).status_code == 200
        time.sleep(2.5)  # let the leases of messages and replies cut by the kill expire
        wait_outbox_drained(store, timeout=60)
    finally:
        second.stop()
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == N
    per_chat = [len(bot_api.sent(8300000000 + i)) for i in range(N)]
    assert min(per_chat) >= 1, "a message was accepted but never answered"
    duplicates = sum(per_chat) - N
    print(f"crash figures: sent={N} acknowledged_before_kill={len(acknowledged)} "
          f"stored={N} lost=0 replies={sum(per_chat)} duplicates={duplicates} "
          f"in_flight_at_kill={in_flight} waiting_in_intake_at_kill={len(waiting)}")
    assert duplicates <= in_flight, "more duplicates than replies in flight at the kill"

"""The sender claims at most one message per chat (route), never one whose chat already has a
message in flight, and always a chat's oldest first: order holds across sender processes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, update

from bot.core.crypto import Vault
from bot.core.messages import Outgoing
from bot.core.models import OutboxMessage, utcnow
from bot.core.outbox import Pacer, Rule, Sender

VAULT = Vault(b"k")


def sealed(text: str) -> str:
    return Outgoing(text=text).seal(VAULT)


def queue(store, route: str | None, texts: list[str]) -> None:
    with store.engine.begin() as conn:
        conn.execute(insert(OutboxMessage.__table__), [
            {"channel": "telegram", "address_enc": "x", "route": route,
             "payload_enc": sealed(t), "priority": 0} for t in texts])


def text_of(row) -> str:
    return Outgoing.unseal(VAULT, row.payload_enc).text


def texts(claimed) -> list[str]:
    return sorted(text_of(row) for row in claimed)


def test_one_message_per_chat_per_claim_and_none_while_one_is_in_flight(store):
    queue(store, "chat-a", ["a1", "a2", "a3"])
    queue(store, "chat-b", ["b1"])
    queue(store, None, ["x1", "x2"])  # no route: each row is its own
    sender = Sender(store, Vault(b"k"), {"telegram": object()})  # type: ignore[dict-item]
    first = sender._claim()
    assert texts(first) == ["a1", "b1", "x1", "x2"]
    assert sender._claim() == []  # a1 and b1 are in flight: a2 must wait, b has nothing left
    a1 = next(row for row in first if text_of(row) == "a1")
    mark_sent(sender, a1, None)  # as the sender writes it, with no later slot to keep
    assert texts(sender._claim()) == ["a2"]  # a's next, in order, once a1 is done


def test_a_second_sender_process_cannot_overtake_a_chat_in_flight(store):
    queue(store, "chat-a", ["a1", "a2"])
    one = Sender(store, Vault(b"k"), {"telegram": object()})  # type: ignore[dict-item]
    two = Sender(store, Vault(b"k"), {"telegram": object()})  # type: ignore[dict-item]
    assert texts(one._claim()) == ["a1"]
    assert two._claim() == []  # a2 stays until a1 is acknowledged
    with store.engine.begin() as conn:  # a1's sender died: its lease expired
        conn.execute(update(OutboxMessage).where(OutboxMessage.route == "chat-a",
                                                 OutboxMessage.status == "sending")
                     .values(lease_until=OutboxMessage.created_at))
    assert texts(two._claim()) == ["a1"]  # the expired one goes again first, not a2


def mark_sent(sender, row, free_at) -> None:
    sender._sent_many([{"b_id": row.id, "b_provider": "p", "b_route": row.route,
                        "b_free": free_at}])


def test_a_chat_s_next_message_waits_for_its_slot_and_a_new_reply_does_not_overtake_it(store):
    queue(store, "chat-a", ["a1", "a2"])
    sender = Sender(store, Vault(b"k"), {"telegram": object()})  # type: ignore[dict-item]
    (a1,) = sender._claim()
    mark_sent(sender, a1, utcnow() + timedelta(seconds=30))  # the chat's next slot: later
    queue(store, "chat-a", ["a3"])  # a new reply, due now
    assert sender._claim() == []  # a2 is not due yet, and a3 may not go before it
    with store.engine.begin() as conn:  # the slot comes
        conn.execute(update(OutboxMessage).where(OutboxMessage.route == "chat-a",
                                                 OutboxMessage.status == "pending")
                     .values(next_attempt_at=OutboxMessage.created_at))
    assert texts(sender._claim()) == ["a2"]


def test_claims_go_round_the_chats_waiting_longest(store):
    queue(store, "chat-a", ["a1", "a2"])
    queue(store, "chat-b", ["b1"])  # queued after a2
    sender = Sender(store, Vault(b"k"), {"telegram": object()})  # type: ignore[dict-item]
    (a1,) = sender._claim(limit=1)
    mark_sent(sender, a1, utcnow())  # a2 falls due now: after b1, which waits since earlier
    assert texts(sender._claim(limit=1)) == ["b1"]
    assert texts(sender._claim(limit=1)) == ["a2"]


def test_sends_that_wake_late_still_keep_to_the_provider_s_window():
    clock = [100.0]
    pacer = Pacer(clock=lambda: clock[0])
    rules = [Rule("telegram", 1 / 100)]  # 100 in any rolling second
    for _ in range(100):  # booked evenly, but the event loop woke late: all leave at once
        assert pacer.admit(rules) == 0
        pacer.record(rules)
    assert pacer.admit(rules) == pytest.approx(1.0)  # the 101st waits for the window
    clock[0] += 1.0
    assert pacer.admit(rules) == 0


def test_a_claim_probes_each_chat_by_its_index_not_by_walking_the_queue(store):
    """SQLite's plan of the claim: every look at a chat's other rows goes by its route index.
    Once the lane was a constant, the planner chose to walk every row of a lower priority or
    id instead, and a claim of 600 rows among 10,000 queued took 5 to 19 seconds."""
    if store.is_postgres:
        pytest.skip("SQLite's planner; PostgreSQL's plans the probes by route already")
    from sqlalchemy import event

    with store.engine.begin() as conn:  # the outbound bench's queue: 2,000 chats, 5 each
        conn.execute(insert(OutboxMessage.__table__), [
            {"channel": "telegram", "address_enc": "x", "route": f"chat-{chat}",
             "payload_enc": sealed(f"m{chat}-{n}"), "priority": 0}
            for chat in range(2000) for n in range(5)])
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("SELECT outbox.id, outbox.priority"):
            statements.append((statement, parameters))

    sender = Sender(store, Vault(b"k"), {"telegram": object()})  # type: ignore[dict-item]
    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        assert len(sender._claim(600, ["telegram"])) == 600  # 600 chats' first messages
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    assert statements
    raw = store.engine.raw_connection()
    try:
        for statement, parameters in statements:
            plan = [row[3] for row in raw.cursor().execute("EXPLAIN QUERY PLAN " + statement,
                                                            parameters)]
            probes = [step for step in plan if "outbox_1" in step]
            assert probes and all("ix_outbox_route_status (route=" in p for p in probes), plan
    finally:
        raw.close()


def test_marking_sends_defers_each_chat_s_later_rows_through_its_index(store):
    """Deferring a sent chat's later rows reads that chat's rows only. With the time term in
    the WHERE clause, SQLite walked every pending row due before the chat's next slot (all of a
    burst), and a mark of 8 sends took 45 ms: the sender could not pass ~170 messages a second."""
    from sqlalchemy import event

    with store.engine.begin() as conn:
        conn.execute(insert(OutboxMessage.__table__), [
            {"channel": "telegram", "address_enc": "x", "route": f"chat-{chat}",
             "payload_enc": sealed(f"m{chat}-{n}"), "priority": 0}
            for chat in range(200) for n in range(3)])
    with store.session() as session:
        firsts = [session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.route == f"chat-{chat}").order_by(OutboxMessage.id).limit(1))
            for chat in (3, 4)]
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("UPDATE outbox SET next_attempt_at"):
            statements.append((statement, parameters[0] if executemany else parameters))

    free = utcnow() + timedelta(seconds=5)
    sender = Sender(store, Vault(b"k"), {"telegram": object()})  # type: ignore[dict-item]
    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        sender._sent_many([{"b_id": i, "b_provider": "1", "b_route": f"chat-{chat}",
                            "b_free": free} for i, chat in zip(firsts, (3, 4))])
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    with store.session() as session:
        deferred = dict(session.execute(
            select(OutboxMessage.route, func.min(OutboxMessage.next_attempt_at))
            .where(OutboxMessage.status == "pending").group_by(OutboxMessage.route)).all())
    # The two chats' remaining rows wait for their slot; no other chat moved.
    assert {route for route, at in deferred.items()
            if at.replace(tzinfo=None) >= free.replace(tzinfo=None) - timedelta(seconds=1)
            } == {"chat-3", "chat-4"}
    if store.is_postgres:
        return  # PostgreSQL plans this by route already; the plan below is SQLite's
    assert len(statements) == 1
    raw = store.engine.raw_connection()
    try:
        statement, parameters = statements[0]
        plan = [row[3] for row in raw.cursor().execute("EXPLAIN QUERY PLAN " + statement,
                                                        parameters)]
        assert plan and all("ix_outbox_route_status (route=" in step for step in plan), plan
    finally:
        raw.close()

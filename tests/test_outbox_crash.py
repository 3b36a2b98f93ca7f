"""The sender as real processes (``hanya outbox run``) against the fake Bot API in this process:
killed with SIGKILL mid-send and restarted, and two of them sharing one outbox."""

from __future__ import annotations

import inspect
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.crypto import Vault
from bot.core.messages import Outgoing
from bot.core.models import OutboxMessage
from bot.core.outbox import Sender
from bot.core.recipients import PRIORITY_REPLY, enqueue

# The sender's default: at most this many sends are in flight, or sent and not yet recorded.
UNRECORDED = inspect.signature(Sender).parameters["unrecorded"].default


def sender_process(settings, bot_api, tmp_path: Path,
                   lease: float = 1.0) -> subprocess.Popen[bytes]:
    """``hanya outbox run`` in its own process, fast limits, a short lease (one second: a
    killed sender's rows come back quickly)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANYA_")}
    env.update({
        "HANYA_DATABASE_URL": settings.database_url,
        "HANYA_SECRET_KEY": settings.secret_key.get_secret_value(),
        "HANYA_TELEGRAM_TOKEN": bot_api.token, "HANYA_TELEGRAM_API_URL": bot_api.url,
        "HANYA_SPOOL_DIR": str(tmp_path / "spool"), "HANYA_OUTBOX_LEASE_SECONDS": str(lease),
        "HANYA_TELEGRAM_RATE_OVERALL": "5000", "HANYA_TELEGRAM_RATE_PER_CHAT": "5000",
        "HANYA_TELEGRAM_CHAT_BURST": "100",
    })
    log = tmp_path / f"sender-{time.monotonic_ns()}.log"
    with log.open("wb") as errors:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen([sys.executable, "-c", "from bot.app.cli import app; app()",
                                    "outbox", "run"], env=env, cwd=tmp_path,
                                   stdout=subprocess.DEVNULL, stderr=errors)
    process.args = log  # type: ignore[misc] - where to look when it fails
    return process


def fill_outbox(store, settings, count: int, chats: int) -> None:
    vault = Vault(settings.secret_key_or_dev())
    with store.session() as session:
        for n in range(count):
            enqueue(session, vault, channel="telegram", address_enc=vault.encrypt(
                f"telegram:{7000 + n % chats}"), message=Outgoing(text=f"m-{n}"),
                priority=PRIORITY_REPLY)


def statuses(store, settings) -> dict[str, set[str]]:
    with store.session() as session:
        rows = session.execute(select(OutboxMessage.status, OutboxMessage.payload_enc)).all()
    found: dict[str, set[str]] = {}
    vault = Vault(settings.secret_key_or_dev())
    for status, payload_enc in rows:
        found.setdefault(status, set()).add(Outgoing.unseal(vault, payload_enc).text)
    return found


def wait_until(probe, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    assert process.returncode in (0, -signal.SIGTERM), Path(process.args).read_text()


def test_a_sender_killed_mid_send_delivers_everything_on_restart_repeating_none_it_recorded(
        store, settings, bot_api, tmp_path, capsys):
    fill_outbox(store, settings, 500, chats=50)
    first = sender_process(settings, bot_api, tmp_path)
    try:
        bot_api.wait_sent(150, timeout=60)
    finally:
        first.kill()  # SIGKILL: no goodbye, rows stay leased
        first.wait()
    time.sleep(0.2)  # requests already on the wire land in the fake
    at_kill = statuses(store, settings)
    sent_before = Counter(bot_api.sent_texts())
    assert 150 <= sum(sent_before.values()) < 500

    second = sender_process(settings, bot_api, tmp_path)
    try:
        wait_until(lambda: set(statuses(store, settings)) == {"sent"}, 60, "every row sent")
    finally:
        stop(second)

    received = Counter(bot_api.sent_texts())
    assert set(received) == {f"m-{n}" for n in range(500)}  # every message delivered
    repeated = {text for text, times in received.items() if times > 1}
    assert not repeated & at_kill.get("sent", set())  # nothing recorded as sent went again
    # Only a send in flight at the kill can repeat: the provider may have taken it while the
    # process died before writing it down (neither Telegram nor Twilio has idempotency keys).
    assert repeated <= at_kill.get("sending", set())
    assert len(repeated) <= UNRECORDED
    with capsys.disabled():
        print(f"\n[crash] sent before kill {sum(sent_before.values())}, leased at kill "
              f"{len(at_kill.get('sending', ()))}, repeated after restart {len(repeated)}")


@pytest.mark.parametrize("processes", [2])
def test_two_sender_processes_share_the_outbox_without_sending_anything_twice(
        store, settings, bot_api, tmp_path, processes):
    fill_outbox(store, settings, 300, chats=30)
    # Nobody dies here, so the lease can outlast any stall of a loaded machine: with one
    # second, a sender starved of CPU between its send and its sent mark lets the other take
    # the row again, which is the lease doing its job (see the crash test), not a shared
    # outbox failing.
    senders = [sender_process(settings, bot_api, tmp_path, lease=15.0)
               for _ in range(processes)]
    try:
        wait_until(lambda: set(statuses(store, settings)) == {"sent"}, 60, "every row sent")
    finally:
        for process in senders:
            stop(process)
    received = Counter(bot_api.sent_texts())
    assert set(received) == {f"m-{n}" for n in range(300)}
    assert set(received.values()) == {1}

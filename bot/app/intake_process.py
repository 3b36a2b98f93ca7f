"""The handling process: `hanya serve` accepts in one process and handles in a second one.

One Python process runs on one core at a time (the GIL). When the web process also handled
what it accepted, a burst left it accepting at a third of a bare FastAPI endpoint's rate,
with handling (1.5 ms of CPU a message, ten times accepting) taking its share of the same
core. With handling in a second process each has a core: the web process accepts at two
thirds of bare FastAPI's rate and the handling process handles more, not less (BENCHMARKS.md).

The handling process runs at a lower CPU priority (``handling_nice``, 10): when a burst fills
the cores, accepting comes first. A webhook kept waiting can be lost (Twilio gives up on an
incoming SMS after 15 s and does not call again), a message waiting in the intake cannot, and
it is handled as soon as a core is free. Below saturation the priority changes nothing. On
PostgreSQL, the web process had waited for a core a third of the time behind the handling
process's threads; at nice 10 it accepted about a fifth more (BENCHMARKS.md).

The web process starts this process and watches it (``IntakeProcess``): it is started again if
it dies, and stopped with the web process. Nothing is lost meanwhile: accepted messages wait in
the intake table, as they wait across a restart. The two talk over a socket pair, one byte at a
time, only to wake each other: "a" after a group commit (messages to handle), "q" after a
handled message queued replies (the sender lives in the web process). Without them each would
find the other's work at its next look at the store, up to ``idle_poll_seconds`` late.

``python -m bot.app.intake_process FD`` is the child; it reads its settings as JSON on stdin, so
that it runs with exactly the web process's settings, secrets included, without putting them
on a command line.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from pydantic import SecretStr

from bot.app.content_reload import ContentWatcher
from bot.app.runtime import Runtime, build_runtime
from bot.core.intake import Intake, handling_limiter
from bot.core.logs import configure as configure_logging
from bot.core.settings import Settings
from webhooks.channels import channel_traits

log = logging.getLogger(__name__)
ACCEPTED, QUEUED, READY = b"a", b"q", b"r"


def settings_document(settings: Settings) -> bytes:
    """``settings`` as JSON with secrets in clear, for the child's stdin only."""

    def plain(value: Any) -> Any:
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        if isinstance(value, list):
            return [plain(item) for item in value]
        return value

    fields = {name: plain(getattr(settings, name)) for name in Settings.model_fields}
    return json.dumps(fields, default=str).encode()


def _nudge(peer: socket.socket | None, byte: bytes) -> None:
    if peer is None:
        return
    # A full buffer already holds wakes the other side has yet to read; a closed peer is being
    # replaced (its supervisor) or is gone (this process then stops).
    with contextlib.suppress(OSError):
        peer.send(byte)


def _on_bytes(peer: socket.socket, woken: Callable[[bytes], None],
              closed: Callable[[], None]) -> None:
    """Call ``woken`` once with whatever arrived; ``closed`` at end of file."""
    loop = asyncio.get_running_loop()

    def readable() -> None:
        try:
            data = peer.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            woken(data)
        else:
            loop.remove_reader(peer.fileno())
            closed()

    peer.setblocking(False)
    loop.add_reader(peer.fileno(), readable)


class IntakeProcess:
    """The web process's side: starts the handling process, keeps it running, stops it."""

    def __init__(self, settings: Settings, on_queued: Callable[[], None], *,
                 first_backoff: float = 1.0, max_backoff: float = 30.0) -> None:
        self.settings, self.on_queued = settings, on_queued
        self.first_backoff, self.max_backoff = first_backoff, max_backoff
        self.starts = 0
        self.ready = False  # its first look at the intake is done
        self._proc: asyncio.subprocess.Process | None = None
        self._peer: socket.socket | None = None
        self._stopping = asyncio.Event()

    def notify_accepted(self) -> None:
        """After a group commit: wake the handling process."""
        _nudge(self._peer, ACCEPTED)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    def state(self) -> str:
        """"running", "starting" (not ready yet) or "restarting" (it died)."""
        if not self.running:
            return "restarting"
        return "running" if self.ready else "starting"

    def _from_child(self, data: bytes) -> None:
        if READY in data:
            self.ready = True
        if QUEUED in data:
            self.on_queued()

    async def run(self) -> None:
        """Keep the handling process running until ``stop()``; a crash is followed by a
        restart after 1 s, doubled while it keeps crashing within a minute (at most 30 s)."""
        backoff = self.first_backoff
        try:
            while not self._stopping.is_set():
                started = time.monotonic()
                try:
                    proc = await self._start()
                except OSError as exc:  # no process could be made (fds, memory): try again
                    log.warning("handling process could not start (%s); trying again in "
                                "%.0f s", type(exc).__name__, backoff)
                else:
                    code = await proc.wait()
                    self._close_peer()
                    if self._stopping.is_set():
                        break
                    if time.monotonic() - started > 60:
                        backoff = self.first_backoff
                    log.warning("handling process %s exited with %s; started again in %.0f s",
                                proc.pid, code, backoff)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=backoff)
                backoff = min(backoff * 2, self.max_backoff)
        finally:  # cancelled (it outlived the web process's grace period): no orphan
            if self.running:
                assert self._proc is not None
                with contextlib.suppress(ProcessLookupError):
                    self._proc.kill()
                await self._proc.wait()
            self._close_peer()

    def stop(self) -> None:
        """Ask the handling process to finish the messages in hand and exit."""
        self._stopping.set()
        if self.running:
            assert self._proc is not None
            with contextlib.suppress(ProcessLookupError):
                self._proc.send_signal(signal.SIGTERM)

    async def _start(self) -> asyncio.subprocess.Process:
        ours, theirs = socket.socketpair()
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.app.intake_process", str(theirs.fileno()),
                stdin=asyncio.subprocess.PIPE, pass_fds=(theirs.fileno(),))
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        assert proc.stdin is not None
        proc.stdin.write(settings_document(self.settings))
        with contextlib.suppress(ConnectionError):  # it died at once: run() sees its exit
            await proc.stdin.drain()
        proc.stdin.close()
        self._proc, self._peer, self.ready = proc, ours, False
        self.starts += 1
        _on_bytes(ours, self._from_child, lambda: None)
        return proc

    def _close_peer(self) -> None:
        peer, self._peer = self._peer, None
        if peer is not None:
            with contextlib.suppress(ValueError, OSError):
                asyncio.get_running_loop().remove_reader(peer.fileno())
            peer.close()


async def handle_until_stopped(runtime: Runtime, peer: socket.socket | None = None,
                               seconds: float | None = None) -> None:
    """Handle accepted messages until SIGTERM/SIGINT (or ``seconds``), with the content
    watched for editors' changes as the web process watches it. ``peer``: the web process's
    socket, when it started this one (the process then stops when the web process is gone)."""
    settings = runtime.settings
    intake = Intake.from_settings(
        runtime, on_handled=(lambda: _nudge(peer, QUEUED)) if peer is not None else None)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, intake.stop)
    if seconds is not None:
        loop.call_later(seconds, intake.stop)
    if peer is not None:
        _on_bytes(peer, lambda _: intake.wake(), intake.stop)
        # Its first look at the intake is about to be taken: what was accepted before is
        # found by it, what comes after wakes it.
        loop.call_soon(_nudge, peer, READY)
    stopping = asyncio.Event()
    watcher = None
    if settings.content_reload:
        watcher = asyncio.create_task(
            ContentWatcher(runtime.content, settings.content_reload_seconds).run(stopping))
    try:
        await intake.run(handling_limiter(settings, runtime.store))
    finally:
        stopping.set()
        if watcher is not None:
            await watcher


def main() -> None:
    """The child: ``python -m bot.app.intake_process FD``, settings as JSON on stdin."""
    settings = Settings(**json.loads(sys.stdin.buffer.read()))
    configure_logging(json_lines=settings.log_format == "json")
    os.nice(settings.handling_nice)
    peer = socket.socket(fileno=int(sys.argv[1]))
    runtime = build_runtime(settings, channel_traits(settings))
    if settings.gc_freeze_at_start:  # as in the web process (webhooks/app.py)
        gc.collect()
        gc.freeze()
    try:
        asyncio.run(handle_until_stopped(runtime, peer))
    finally:
        runtime.store.dispose()
        peer.close()


if __name__ == "__main__":
    main()

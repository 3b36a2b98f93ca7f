"""Run Hanya on a real uvicorn: as processes, for tests that need several processes or a
SIGKILL, or in a thread of the test (``in_thread``), for tests that drive it from outside (a
browser, the fake Twilio fetching a media URL) while reading the same store."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

from bot.core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
UVICORN_STARTUP_FAILURE = 3  # uvicorn's exit code when it cannot start (a port taken, ...)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def in_thread(settings: Settings, port: int | None = None) -> Iterator[str]:
    """The app of ``settings`` under uvicorn in a thread, with its lifespan (the sender, the
    handling) as `hanya serve` runs it; yields its base URL and stops it at the end."""
    from webhooks.app import create_app

    for _ in range(1 if port else 3):  # a port taken since we picked it: pick another
        chosen = port or free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1",
                                               port=chosen, log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if server.started or thread.is_alive():
            break
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{chosen}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    """The HANYA_ variables that reproduce ``settings`` in a child process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANYA_")}
    values = {
        "DATABASE_URL": settings.database_url,
        "SECRET_KEY": settings.secret_key.get_secret_value() if settings.secret_key else "",
        "PUBLIC_URL": settings.public_url,
        "TELEGRAM_TOKEN": settings.telegram_token.get_secret_value()
        if settings.telegram_token else "",
        "TELEGRAM_WEBHOOK_SECRET": settings.telegram_webhook_secret.get_secret_value()
        if settings.telegram_webhook_secret else "",
        "TELEGRAM_API_URL": settings.telegram_api_url,
        "TWILIO_ACCOUNT_SID": settings.twilio_account_sid or "",
        "TWILIO_AUTH_TOKEN": settings.twilio_auth_token.get_secret_value()
        if settings.twilio_auth_token else "",
        "TWILIO_NUMBER": settings.twilio_number or "",
        "TWILIO_API_URL": settings.twilio_api_url,
        "SPOOL_DIR": str(settings.spool_dir),
        "RUN_SCHEDULER": "false",
        "CONTENT_RELOAD": "false",
        "TELEGRAM_RATE_PER_CHAT": "200",
    }
    env.update({f"HANYA_{k}": v for k, v in values.items()})
    env.update({f"HANYA_{k}": v for k, v in extra.items()})
    env["PYTHONPATH"] = str(ROOT)
    return env


@contextmanager
def server(settings: Settings, *, workers: int = 1, **extra: str) -> Iterator[Server]:
    """A uvicorn server on a free loopback port, stopped (or killed) at the end."""
    proc = Server.start(settings, workers=workers, **extra)
    try:
        yield proc
    finally:
        proc.stop()


class Server:
    def __init__(self, process: subprocess.Popen[bytes], url: str) -> None:
        self.process, self.url = process, url

    @classmethod
    def start(cls, settings: Settings, *, workers: int = 1, port: int | None = None,
              **extra: str) -> Server:
        # A free port is free when asked, not always when uvicorn binds it: another test's
        # server may take it in between (uvicorn then exits 3 with "address already in use";
        # seen with two workers and other jobs on the machine). A port we picked is picked again.
        tries = 1 if port else 3
        for attempt in range(tries):
            chosen = port or free_port()
            cmd = [sys.executable, "-m", "uvicorn", "--factory", "webhooks.app:create_app",
                   "--host", "127.0.0.1", "--port", str(chosen), "--workers", str(workers),
                   "--log-level", "warning"]
            process = subprocess.Popen(cmd, cwd=ROOT, env=environment(settings, **extra),
                                       start_new_session=True)
            server = cls(process, f"http://127.0.0.1:{chosen}")
            try:
                server.wait_ready()
                return server
            except RuntimeError:
                if process.returncode != UVICORN_STARTUP_FAILURE or attempt == tries - 1:
                    server.stop()
                    raise
        raise AssertionError("unreachable")

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not become ready")

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown hook runs, as in a crash."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM the web process alone, which stops its handling process itself (as `docker
        stop` does). SIGTERM to the whole group reached the handling process first and the
        server logged it as a crash, "exited with -15", on every stop during its start."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

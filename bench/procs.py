"""Processes the bench starts and stops itself: uvicorn servers and the fake providers.

Every wait is bounded; every process is ended by its own id (its own process group).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SECRET_KEY = "bench-secret-key-not-for-production"
WEBHOOK_SECRET = "bench-webhook-secret"
PUBLIC_URL = "https://hanya-bench.example.org"  # what Twilio "called"; signatures use it
SERVICE_NUMBER = "+22780000000"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` in MB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of ``pids`` so far."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / CLK_TCK
    return total


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(p) for p in text.split()]


class FakesProc:
    """FakeBotApi + FakeTwilio in a child process (bench/fakes_proc.py)."""

    def __init__(self, *, global_rate: float | None = None, per_chat_rate: float | None = None,
                 sms_rate: float | None = None, gateway_phones: int | None = None,
                 gateway_rate: float | None = None) -> None:
        args = [PYTHON, "-m", "bench.fakes_proc"]
        for flag, value in (("--global-rate", global_rate), ("--per-chat-rate", per_chat_rate),
                            ("--sms-rate", sms_rate), ("--gateway-phones", gateway_phones),
                            ("--gateway-rate", gateway_rate)):
            if value is not None:
                args += [flag, str(value)]
        self.proc = subprocess.Popen(args, cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, start_new_session=True)
        self.info: dict[str, Any] = self._read()

    def _read(self) -> Any:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("fake providers did not start")
        return json.loads(line)

    def command(self, name: str) -> Any:
        assert self.proc.stdin is not None
        self.proc.stdin.write(name + "\n")
        self.proc.stdin.flush()
        return self._read()

    def stats(self) -> dict[str, Any]:
        return self.command("stats")  # type: ignore[no-any-return]

    def reset(self) -> None:
        self.command("reset")

    def env(self) -> dict[str, str]:
        """HANYA_ variables that point a server at these fakes."""
        return {"HANYA_TELEGRAM_TOKEN": self.info["telegram_token"],
                "HANYA_TELEGRAM_API_URL": self.info["telegram_url"],
                "HANYA_TWILIO_ACCOUNT_SID": self.info["twilio_sid"],
                "HANYA_TWILIO_AUTH_TOKEN": self.info["twilio_token"],
                "HANYA_TWILIO_NUMBER": SERVICE_NUMBER,
                "HANYA_TWILIO_API_URL": self.info["twilio_url"]}

    def new_channels_env(self, whatsapp_number: str) -> dict[str, str]:
        """HANYA_ variables that also turn on WhatsApp (this fake Twilio, from
        ``whatsapp_number``) and the gateway phones (``gateway_phones``)."""
        env = {"HANYA_TWILIO_WHATSAPP_NUMBER": whatsapp_number}
        phones = self.info.get("gateway") or []
        if phones:
            first = phones[0]
            env.update({"HANYA_ANDROID_SMS_URL": first["url"],
                        "HANYA_ANDROID_SMS_NAME": first["name"],
                        "HANYA_ANDROID_SMS_USERNAME": first["username"],
                        "HANYA_ANDROID_SMS_PASSWORD": first["password"],
                        "HANYA_ANDROID_SMS_SIGNING_KEY": first["signing_key"],
                        "HANYA_ANDROID_SMS_PREFIXES": json.dumps(first["prefixes"]),
                        "HANYA_ANDROID_SMS_PHONES": json.dumps(phones[1:])})
        return env

    def close(self) -> None:
        _end(self.proc)

    def __enter__(self) -> FakesProc:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Server:
    """One uvicorn server on 127.0.0.1 (``workers`` processes), configured by environment."""

    def __init__(self, app: str, env: dict[str, str], *, workers: int = 1,
                 factory: bool = False, taskset: str | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = tempfile.TemporaryDirectory(prefix="hanya-bench-")
        args = [PYTHON, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(self.port),
                "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
        if factory:
            args.append("--factory")
        if taskset is not None:  # pinned to these CPUs, children included (a small server)
            args = ["taskset", "-c", taskset, *args]
        full_env = {**os.environ, "PYTHONPATH": str(ROOT), **env,
                    "HANYA_SPOOL_DIR": str(Path(self.workdir.name) / "spool")}
        self.log = open(Path(self.workdir.name) / "server.log", "w+")  # noqa: SIM115
        # cwd outside the repo: a developer's .env must not leak into the measurement.
        self.proc = subprocess.Popen(args, cwd=self.workdir.name, env=full_env,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.workers = workers
        try:
            self._wait_ready()
        except BaseException:
            self.close()
            raise

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_tail()}")
            try:
                ready = httpx.get(self.url + "/healthz", timeout=1.0).status_code == 200
                if ready and (self.workers == 1 or len(children(self.proc.pid)) >= self.workers) \
                        and self._handling_ready():
                    time.sleep(0.5)  # let the lifespan's tasks settle
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout}s: {self.log_tail(600)}")

    def log_tail(self, chars: int = 2000) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-chars:]

    def _handling_ready(self) -> bool:
        """Hanya's handling processes (bot/app/intake_process.py) have taken their first look."""
        try:
            response = httpx.get(self.url + "/readyz", timeout=1.0)
        except httpx.HTTPError:
            return False
        if response.status_code == 404:  # not Hanya (the bare app)
            return True
        if self.workers > 1 and len(self.handling_pids) < self.workers:
            return False  # /readyz reached one worker; each worker has its own
        return response.json().get("handling") != "process starting"

    @property
    def pids(self) -> list[int]:
        """The processes that serve requests (the workers, or the single process)."""
        kids = children(self.proc.pid) if self.workers > 1 else []  # handling: the workers' own
        return kids or [self.proc.pid]

    @property
    def handling_pids(self) -> list[int]:
        """The handling processes the web processes started (`hanya serve`'s layout)."""
        found = []
        for parent in [self.proc.pid, *children(self.proc.pid)]:
            for pid in children(parent):
                try:
                    if b"bot.app.intake_process" in Path(f"/proc/{pid}/cmdline").read_bytes():
                        found.append(pid)
                except FileNotFoundError:
                    continue
        return found

    def rss_mb(self) -> float:
        return sum(rss_mb(pid) for pid in self.pids)

    def handling_rss_mb(self) -> float:
        return sum(rss_mb(pid) for pid in self.handling_pids)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pids)

    def handling_cpu_seconds(self) -> float:
        return cpu_seconds(self.handling_pids)

    def close(self) -> None:
        _end(self.proc, timeout=20.0)
        if not self.log.closed:
            self.log.close()
        self.workdir.cleanup()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def hanya_env(database_url: str, fakes: FakesProc, *, sender: bool = True) -> dict[str, str]:
    """A Hanya server's settings; ``sender=False`` keeps replies queued (no in-process sender),
    so an inbound run measures the inbound pipeline and nothing else."""
    return {"HANYA_DATABASE_URL": database_url, "HANYA_SECRET_KEY": SECRET_KEY,
            "HANYA_PUBLIC_URL": PUBLIC_URL, "HANYA_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "HANYA_RUN_SENDER": "true" if sender else "false", **fakes.env()}


def _end(proc: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """SIGTERM this process's own group, then SIGKILL it if it lingers."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        except ProcessLookupError:
            pass
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()

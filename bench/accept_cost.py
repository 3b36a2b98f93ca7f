"""CPU per accepted webhook and per handled message, in one process, for comparing two commits
on one machine (docs/BENCHMARKS.md, issue #18): ``.venv/bin/python bench/accept_cost.py 4000``
from a checkout's root, with that checkout's venv.

The bench's inbound stream (bench/traffic.py) goes straight into the ASGI app (no socket, no
wrk: only our code's CPU), with the handling off; then ``hanya intake run`` handles what was
accepted. ``PROF=1`` prints the accept path's profile. Works on checkouts from before the
relayout too (their settings were ``bot/settings.py``).
"""

from __future__ import annotations

import os
import sys

# The checkout's root, not this folder: bench/profile.py would hide the standard library's.
sys.path[0] = os.getcwd()

import asyncio  # noqa: E402
import cProfile  # noqa: E402
import pstats  # noqa: E402
import resource  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from bench import procs, traffic  # noqa: E402 - the checkout's own, from its root
from tests.fakes.twilio_api import TEST_AUTH_TOKEN  # noqa: E402

HANYA = str(Path(sys.executable).parent / "hanya")
WARM_UP = 300


def configure(database: Path) -> None:
    """The bench's server settings, with providers that are never called (handling off)."""
    fake = type("Fakes", (), {"env": procs.FakesProc.env, "info": {
        "telegram_token": "123:abc", "telegram_url": "http://127.0.0.1:9",
        "twilio_sid": "AC" + "0" * 32, "twilio_token": TEST_AUTH_TOKEN,
        "twilio_url": "http://127.0.0.1:9"}})()
    os.environ.update(procs.hanya_env(f"sqlite:///{database}", fake, sender=False))
    os.environ["HANYA_RUN_INTAKE"] = "false"
    subprocess.run([HANYA, "db", "upgrade"], check=True, capture_output=True)


async def post(app: Any, request: traffic.Request, host: str) -> int:
    """One webhook through the ASGI app; its status code."""
    body = request.body.encode()
    headers = [(b"host", host.encode()), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in request.headers().items()]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "https", "path": request.path,
             "raw_path": request.path.encode(), "query_string": b"", "root_path": "",
             "headers": headers, "client": ("127.0.0.1", 1), "server": (host, 443)}
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    status: list[int] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.sleep(3600)  # the client never disconnects
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(scope, receive, send)
    return status[0]


async def accept(count: int) -> None:
    try:
        from bot.core.settings import get_settings
    except ImportError:  # before the relayout
        from bot.settings import get_settings  # type: ignore[no-redef]
    from webhooks.app import create_app

    app = create_app(get_settings())
    host = procs.PUBLIC_URL.split("//")[1]
    stream = traffic.build_stream(3000, 600, first_chat=10_000_000)
    profile = cProfile.Profile() if os.environ.get("PROF") else None
    async with app.router.lifespan_context(app):
        for request in stream[:WARM_UP]:
            await post(app, request, host)
        codes: dict[int, int] = {}
        started = time.process_time()
        if profile:
            profile.enable()
        for request in stream[WARM_UP:WARM_UP + count]:
            code = await post(app, request, host)
            codes[code] = codes.get(code, 0) + 1
        if profile:
            profile.disable()
        used = time.process_time() - started
    print(f"{count} webhooks accepted: {used / count * 1000:.3f} ms CPU each, codes {codes}")
    if profile:
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)


def handle(database: Path, seconds: float) -> None:
    def waiting() -> int:
        return int(sqlite3.connect(database).execute("select count(*) from intake").fetchone()[0])

    before, usage = waiting(), resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([HANYA, "intake", "run", "--seconds", str(seconds)], capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    handled = before - waiting()
    used = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    print(f"handled {handled} of {before}: {used / max(1, handled) * 1000:.2f} ms CPU each "
          "(the command's start included)")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
    database = Path(tempfile.mkdtemp(prefix="hanya-accept-")) / "hanya.db"
    configure(database)
    asyncio.run(accept(count))
    handle(database, float(os.environ.get("HANDLE_SECONDS", "25")))


if __name__ == "__main__":
    main()

"""Load generators: wrk (closed loop, the most a server takes) and an open-loop generator of our
own (a fixed offered rate, latency counted from each request's scheduled time, so a slow server
cannot slow the generator down and hide its own queueing: no coordinated omission)."""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.traffic import Request

LUA = Path(__file__).resolve().parent / "requests.lua"


@dataclass
class WrkResult:
    requests: int
    seconds: float
    errors: int
    non_2xx: int
    p50_ms: float
    p99_ms: float
    wrapped: int
    generator_cpu: float  # wrk's CPU seconds over the run's wall seconds (cores used)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def run_wrk(url: str, request_file: Path, *, seconds: float, connections: int = 32,
            threads: int = 1) -> WrkResult:
    """Closed loop: ``connections`` keep-alive connections as fast as the server answers."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
         "--timeout", "10s", "-s", str(LUA), url, "--", str(request_file), str(threads)],
        capture_output=True, text=True, timeout=seconds + 120, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("WRKJSON "))
    data = json.loads(line.removeprefix("WRKJSON "))
    wall = data["duration_us"] / 1e6
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return WrkResult(data["requests"], wall,
                     data["connect_errors"] + data["read_errors"] + data["write_errors"]
                     + data["timeouts"], data["status_errors"], data["p50_us"] / 1000,
                     data["p99_us"] / 1000, data["wrapped"], cpu / wall)


@dataclass
class OpenLoopResult:
    offered_rps: float
    sent: int
    answered: int
    non_2xx: int
    errors: int
    p50_ms: float
    p99_ms: float
    max_send_lag_ms: float  # how late the generator sent its worst request
    generator_cpu: float  # the generator's CPU seconds over wall seconds
    started_at: float = 0.0  # wall clock (time.time()) of request 0's scheduled send
    # Per request, in stream order: seconds from its scheduled send to its answer (None: none).
    answered_in: list[float | None] = field(default_factory=list)

    @property
    def achieved_rps(self) -> float:
        return self.answered / (self.sent / self.offered_rps) if self.sent else 0.0


def open_loop(host: str, port: int, stream: list[Request], *, rate: float,
              seconds: float, timeout: float = 10.0) -> OpenLoopResult:
    """Send ``stream`` at ``rate`` requests/s for ``seconds``, each on a free keep-alive
    connection (a new one when all are busy); latency from the scheduled send time."""
    return asyncio.run(_open_loop(host, port, stream, rate, seconds, timeout))


async def _open_loop(host: str, port: int, stream: list[Request], rate: float, seconds: float,
                     timeout: float) -> OpenLoopResult:
    count = min(len(stream), int(rate * seconds))
    payloads = [req.raw(f"{host}:{port}") for req in stream[:count]]
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    latencies: list[float] = []
    statuses: list[int] = []
    answered_in: list[float | None] = [None] * count
    max_lag = 0.0

    async def one(payload: bytes, scheduled: float, index: int) -> None:
        reused = bool(idle)
        conn = idle.pop() if idle else await asyncio.open_connection(host, port)
        while True:
            reader, writer = conn
            try:
                writer.write(payload)
                status = await asyncio.wait_for(_read_response(reader), timeout)
                break
            except (ConnectionResetError, asyncio.IncompleteReadError):
                writer.close()
                if not reused:
                    return
                # A kept-alive connection the server closed while it sat idle (uvicorn's
                # keep-alive timeout, 5 s), no byte of an answer: sent again on a new one, as
                # HTTP clients and the providers do. Counted unanswered before: a "lost"
                # message no server had received. Its latency still runs from its schedule.
                reused = False
                conn = await asyncio.open_connection(host, port)
            except (TimeoutError, OSError, ValueError):
                writer.close()
                return
        latencies.append(time.perf_counter() - scheduled)
        answered_in[index] = latencies[-1]
        statuses.append(status)
        idle.append(conn)

    cpu0, start, wall_start = time.process_time(), time.perf_counter(), time.time()
    tasks = []
    for i, payload in enumerate(payloads):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        max_lag = max(max_lag, time.perf_counter() - scheduled)
        tasks.append(asyncio.create_task(one(payload, scheduled, i)))
    _, pending = await asyncio.wait(tasks, timeout=timeout + 5)
    for task in pending:
        task.cancel()
    cpu = (time.process_time() - cpu0) / (time.perf_counter() - start)
    for _, writer in idle:
        writer.close()
    latencies.sort()
    return OpenLoopResult(rate, count, len(latencies), sum(1 for s in statuses if s >= 300),
                          count - len(latencies), _pct(latencies, 50) * 1000,
                          _pct(latencies, 99) * 1000, max_lag * 1000, cpu, wall_start,
                          answered_in)


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))
    return values[index]

"""Post a burst of webhooks from many threads, as a provider does, and say which side failed.

Each thread posts through its own httpx.Client. One Client shared by the threads failed a post
now and then with ``ReadError: [Errno 9] Bad file descriptor``: its connection pool (httpcore
1.0.9) can hand an idle connection to one thread and, before that thread has started on it,
let another thread's pass close it as a surplus keep-alive connection, under the request
(encode/httpcore#1110). The server had answered; the test's own client closed the socket.
"""

from __future__ import annotations

import errno
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

Request = tuple[dict[str, Any], dict[str, str]]  # form, headers


@dataclass(frozen=True)
class Outcome:
    status: int | None = None
    error: httpx.HTTPError | None = None


def post_all(url: str, requests: Sequence[Request], workers: int) -> list[Outcome]:
    """POST every (form, headers) to ``url`` from ``workers`` threads; never raises."""
    local, clients, lock = threading.local(), [], threading.Lock()

    def client() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = httpx.Client(timeout=60)
            with lock:
                clients.append(local.client)
        return local.client

    def post(request: Request) -> Outcome:
        try:
            return Outcome(status=client().post(url, data=request[0],
                                                headers=request[1]).status_code)
        except httpx.HTTPError as exc:
            return Outcome(error=exc)

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(post, requests))
    finally:
        for each in clients:
            each.close()


def side(error: httpx.HTTPError) -> str:
    """Which side a failed post points at."""
    code = _errno(error)
    if code == errno.EBADF:
        return "client: the test process closed its own socket"
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
        return "server: did not accept the connection"
    if isinstance(error, httpx.RemoteProtocolError) or code in (errno.ECONNRESET, errno.EPIPE):
        return "server: closed or reset the connection"
    if isinstance(error, httpx.TimeoutException):
        return "server: accepted and did not answer in time"
    return "unknown"


def report(outcomes: Sequence[Outcome], sids: Sequence[str], kept: set[str],
           server_log: str) -> str:
    """What went wrong in a burst: each post not answered 200, what it raised, which side
    that points at, whether the server kept the message anyway; the server's log."""
    lines = []
    for outcome, sid in zip(outcomes, sids, strict=True):
        if outcome.status == 200:
            continue
        what = f"HTTP {outcome.status}" if outcome.error is None else \
            f"{type(outcome.error).__name__}: {outcome.error} [{side(outcome.error)}]"
        fate = "kept by the server" if sid in kept else "NOT kept by the server"
        lines.append(f"post {sid}: {what}; {fate}")
    exits = [line for line in server_log.splitlines() if "handling process" in line]
    return "\n".join([f"{len(lines)} of {len(outcomes)} posts not answered 200:", *lines,
                      "handling process exits: " + ("; ".join(exits) or "none"),
                      "server log:", server_log or "(empty)"])


def _errno(error: BaseException) -> int | None:
    cause: BaseException | None = error
    while cause is not None:  # httpx.ReadError <- httpcore.ReadError <- OSError
        if isinstance(cause, OSError) and cause.errno is not None:
            return cause.errno
        cause = cause.__cause__ or cause.__context__
    return None

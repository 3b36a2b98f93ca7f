"""Shared plumbing for the fake provider servers (not a public API; use the fakes' modules).

* :class:`FakeHTTPServer` -- a ``ThreadingHTTPServer`` on 127.0.0.1 with an ephemeral port,
  daemon threads, HTTP/1.1 keep-alive, TCP_NODELAY and no reverse-DNS lookup at bind time
  (``HTTPServer.server_bind`` calls ``socket.getfqdn``, which can stall for seconds on a
  machine without DNS).
* :class:`FakeServerBase` -- start/stop, context manager, one lock + condition for the recorded
  state, ``delay``, and ``_wait`` used by the fakes' ``wait_for``/``wait_sent`` helpers.
* :class:`SlidingWindow` -- the rate limiter both fakes use.
* :func:`parse_body` -- decodes query string, form-urlencoded, multipart/form-data and JSON.
"""

from __future__ import annotations

import collections
import email.parser
import email.policy
import json
import math
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self, TypeVar
from urllib.parse import parse_qsl

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Upload:
    """A file part of a multipart/form-data request."""

    name: str
    filename: str | None
    content_type: str
    data: bytes

    def __repr__(self) -> str:  # keep dumps short: never print the bytes
        return f"Upload({self.name!r}, filename={self.filename!r}, {len(self.data)} bytes)"


class FakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, handler: type[BaseHTTPRequestHandler], fake: Any) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), handler)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout tests, benchmark shutdown) is not an error worth a
        # traceback on stderr.
        pass


class QuietHandler(BaseHTTPRequestHandler):
    """Keep-alive handler that reads the whole body and writes each answer in one send()."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: FakeHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_bytes(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        lines = [
            f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}",
            f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}",
            f"Date: {self.date_time_string()}",
            "Server: fake",
        ]
        if extra_headers:
            lines.extend(f"{k}: {v}" for k, v in extra_headers.items())
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            self.wfile.write(head + body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def send_json(
        self, status: int, payload: Any, extra_headers: dict[str, str] | None = None
    ) -> None:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.send_bytes(status, body, "application/json", extra_headers)


def _pairs_to_dict(pairs: list[tuple[str, str]], multi: bool) -> dict[str, Any]:
    if not multi:
        return dict(pairs)
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            prev = out[key]
            out[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[key] = value
    return out


def parse_body(
    content_type: str, body: bytes, query: str = "", *, multi: bool = False
) -> tuple[dict[str, Any], bool]:
    """Return ``(fields, is_json)``; form/query values are ``str``, file parts are Upload.

    With ``multi=True`` a repeated form key (Twilio's ``MediaUrl``) becomes a list.
    """
    fields: dict[str, Any] = (
        _pairs_to_dict(parse_qsl(query, keep_blank_values=True), multi) if query else {}
    )
    ctype = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return fields, False
    if ctype == "application/json":
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("JSON body must be an object")
        fields.update(data)
        return fields, True
    if ctype == "multipart/form-data":
        fields.update(parse_multipart(content_type, body))
        return fields, False
    # application/x-www-form-urlencoded (and anything unlabelled)
    fields.update(_pairs_to_dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True), multi))
    return fields, False


_BYTES_PARSER = email.parser.BytesParser(policy=email.policy.HTTP)


def parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    msg = _BYTES_PARSER.parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    out: dict[str, Any] = {}
    if not msg.is_multipart():
        raise ValueError("malformed multipart body")
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        filename = part.get_filename()
        raw = part.get_payload(decode=True)
        payload = raw if isinstance(raw, bytes) else b""
        if filename is None:
            charset = part.get_content_charset() or "utf-8"
            out[str(name)] = payload.decode(charset)
        else:
            out[str(name)] = Upload(str(name), filename, part.get_content_type(), payload)
    return out


class SlidingWindow:
    """Sliding-window-log limiter: at most ``capacity`` accepted events in any ``window`` s.

    ``rate`` events/s maps to ``window = max(1, 1/rate)`` seconds and
    ``capacity = max(1, floor(rate * window))``: 300/s -> 300 per rolling second,
    1/s -> 1 per rolling second, 0.5/s -> 1 per rolling 2 s. Rejected attempts do not consume
    capacity (like Telegram: a 429 does not extend the ban). Not thread-safe on its own; the
    fakes call it under their lock.
    """

    __slots__ = ("capacity", "window", "_log")

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be > 0")
        self.window = max(1.0, 1.0 / rate)
        self.capacity = max(1, math.floor(rate * self.window))
        self._log: collections.deque[float] = collections.deque()

    def check(self, now: float) -> float:
        """Seconds until an event would be accepted (0.0 = accept now, without recording)."""
        log = self._log
        horizon = now - self.window
        while log and log[0] <= horizon:
            log.popleft()
        if len(log) < self.capacity:
            return 0.0
        return log[0] + self.window - now

    def record(self, now: float) -> None:
        self._log.append(now)

    def idle(self, now: float) -> bool:
        return not self._log or self._log[-1] <= now - self.window


class FakeServerBase:
    """Lifecycle, lock and waiting shared by the fakes."""

    handler_class: type[QuietHandler]

    def __init__(self) -> None:
        self.delay: float = 0.0
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._server: FakeHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Self:
        """Bind 127.0.0.1:<ephemeral port> and serve in a daemon thread (idempotent)."""
        if self._server is not None:
            return self
        srv = FakeHTTPServer(self.handler_class, self)
        self._server = srv
        host, port = srv.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        thread = threading.Thread(
            target=srv.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{port}",
            daemon=True,
        )
        self._thread = thread
        thread.start()
        return self

    def stop(self) -> None:
        srv, self._server = self._server, None
        if srv is not None:
            srv.shutdown()
            srv.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    close = stop

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    # -- helpers for subclasses -------------------------------------------------------------
    def _notify(self) -> None:
        """Call with the lock held after recording something."""
        self._changed.notify_all()

    def _wait(
        self,
        probe: Callable[[], T | None],
        timeout: float,
        describe: Callable[[], str],
        what: str,
    ) -> T:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = probe()
                if result is not None:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"{type(self).__name__}: timed out after {timeout}s waiting for "
                        f"{what}.\n{describe()}"
                    )
                self._changed.wait(remaining)


def now_wall() -> float:
    return time.time()


def truncate(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

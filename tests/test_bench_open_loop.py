"""bench/load.py's open-loop generator against a server that closes idle kept-alive connections,
as uvicorn does after 5 s: a request sent on such a connection is sent again on a new one, not
counted as a lost message that no server received."""

from __future__ import annotations

import socketserver
import threading
import time

from bench.load import open_loop
from bench.traffic import Request


class _AnswersOnceThenCloses(socketserver.StreamRequestHandler):
    """One request a connection, answered with keep-alive, then the connection closed a moment
    later (the server's keep-alive timeout, shortened): the client holds it as idle."""

    def handle(self) -> None:
        length = 0
        while (line := self.rfile.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        self.rfile.read(length)
        self.server.requests += 1  # type: ignore[attr-defined]
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n")
        self.wfile.flush()
        time.sleep(0.05)


def test_a_request_on_a_connection_the_server_closed_is_sent_again_not_lost():
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), _AnswersOnceThenCloses) as server:
        server.daemon_threads = True
        server.requests = 0  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        stream = [Request("T", "secret", f'{{"update_id": {n}}}') for n in range(3)]
        try:
            result = open_loop("127.0.0.1", server.server_address[1], stream, rate=4.0,
                               seconds=0.75, timeout=2.0)
        finally:
            server.shutdown()
    # Requests 2 and 3 found the one before's connection idle, and closed by then.
    assert (result.sent, result.answered, result.errors) == (3, 3, 0)
    assert server.requests == 3  # type: ignore[attr-defined]
    assert all(seconds is not None for seconds in result.answered_in)

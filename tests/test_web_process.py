"""The web process's tuning: inbound messages handled a bounded number at once
(``HANYA_INBOX_THREADS``: more threads only fight over the GIL and the connections), and what
was loaded at start kept out of the cyclic GC's full passes (they stopped it ~110 ms)."""

from __future__ import annotations

import gc
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from tests.conftest import WEBHOOK_SECRET, wait_handled
from tests.fakes.telegram_updates import text_update


def test_inbound_messages_are_handled_a_bounded_number_at_once(settings, store):
    from webhooks.app import create_app

    settings.inbox_threads = 2
    with TestClient(create_app(settings)) as client:
        inbox = client.app.state.runtime.inbox  # type: ignore[attr-defined]
        handle = inbox.process
        running, peak, lock = 0, 0, threading.Lock()

        def counted(msg, also=None):  # the real handling, slowed so that messages overlap
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            try:
                time.sleep(0.05)
                return handle(msg, also)
            finally:
                with lock:
                    running -= 1

        inbox.process = counted

        def post(n: int) -> int:
            return client.post("/webhooks/telegram", json=text_update(900_000 + n, 7_000 + n, "hi"),
                               headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
                               ).status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(post, range(8)))
        wait_handled(store)
    assert statuses == [200] * 8  # every message accepted, none refused
    assert peak == 2  # the eight overlapped, two at a time


def test_the_default_bound_follows_the_store(settings, store):
    from webhooks.app import create_app

    with TestClient(create_app(settings)) as client:
        limiter = client.app.state.inbox_limiter  # type: ignore[attr-defined]
        assert limiter.total_tokens == (4 if store.is_postgres else 1)


def test_what_is_loaded_at_start_is_kept_out_of_full_collections(settings, store):
    from webhooks.app import create_app

    settings.gc_freeze_at_start = True
    try:
        with TestClient(create_app(settings)):
            frozen = gc.get_freeze_count()
    finally:
        gc.unfreeze()  # this test process starts many apps: give the objects back
    assert frozen > 10_000  # the libraries, content and catalogs, not a handful


def test_webhook_posts_take_the_direct_path_and_everything_else_the_router(client, monkeypatch):
    from fastapi import FastAPI

    passed_on: list[str] = []
    stack = FastAPI.__call__

    async def watched(self, scope, receive, send):  # FastAPI's own stack, observed
        if scope["type"] == "http":
            passed_on.append(scope["path"])
        await stack(self, scope, receive, send)

    monkeypatch.setattr(FastAPI, "__call__", watched)
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    assert client.post("/webhooks/telegram", json=text_update(901_000_001, 7_100_001, "hi"),
                       headers=headers).status_code == 200
    assert client.get("/webhooks/telegram").status_code == 405  # the router's answer
    assert client.post("/webhooks/nothing").status_code == 404
    assert client.post("/webhooks/telegram", content=b"{" + b" " * 70_000 + b"}",
                       headers={**headers, "Content-Type": "application/json"}
                       ).status_code == 413  # the body limit wraps the direct path too
    assert passed_on == ["/webhooks/telegram", "/webhooks/nothing"]


def test_an_unexpected_error_on_the_direct_path_is_a_bare_500(client, monkeypatch, caplog):
    from webhooks import app as web

    def broken(body):
        raise RuntimeError("a bug, not the sender's fault")

    monkeypatch.setattr(web, "_json_body", broken)
    response = client.post("/webhooks/telegram", json=text_update(901_000_002, 7_100_002, "hi"),
                           headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
    assert response.status_code == 500
    assert response.text == "Internal Server Error"  # no trace to the caller
    assert "RuntimeError" in caplog.text  # the trace is in the log

"""What an outside look at the web process found: the preview's forms without CSRF tokens, the
API schema open to all, query strings in the access log, database and key files readable by
others."""

from __future__ import annotations

import logging
import os
import re
import socket
import stat
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.testclient import TestClient

from bot.core.settings import Settings
from bot.core.store import Store


@pytest.fixture
def web(settings, store):
    """The app with its preview open to the test client (which is not on the loopback)."""
    from webhooks.app import create_app

    with TestClient(create_app(settings.model_copy(update={"preview_remote": True}))) as client:
        yield client


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html)[1]  # type: ignore[index]


def _open_previews(client: TestClient) -> int:
    return len(client.app.state.previews._sessions) if hasattr(client.app.state, "previews") \
        else 0


def test_a_preview_post_without_the_pages_csrf_token_is_refused(web):
    start = {"language": "fr", "channel": "sms"}
    assert web.post("/preview/start", data=start).status_code == 403
    web.get("/preview")  # the cookie, but a forged form without the token
    assert web.post("/preview/start", data=start | {"csrf": "0" * 64}).status_code == 403
    assert _open_previews(web) == 0
    token = _csrf(web.get("/preview").text)
    opened = web.post("/preview/start", data=start | {"csrf": token}, follow_redirects=False)
    assert opened.status_code == 303 and _open_previews(web) == 1
    session_id = opened.headers["location"].split("s=")[1].split("&")[0].split("#")[0]
    sent = {"s": session_id, "text": "1"}
    assert web.post("/preview/send", data=sent).status_code == 403
    assert web.post("/preview/send", data=sent | {"csrf": token},
                    follow_redirects=False).status_code == 303


def test_another_browsers_token_does_not_open_a_preview(web, settings):
    from webhooks.app import create_app

    token = _csrf(web.get("/preview").text)
    app = create_app(settings.model_copy(update={"preview_remote": True}))
    with TestClient(app) as other:
        other.get("/preview")  # its own cookie
        refused = other.post("/preview/start",
                             data={"language": "fr", "channel": "sms", "csrf": token})
    assert refused.status_code == 403


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
def test_the_api_schema_and_its_pages_are_off_unless_turned_on(client, settings, path):
    from webhooks.app import create_app

    assert client.get(path).status_code == 404
    with TestClient(create_app(settings.model_copy(update={"api_docs": True}))) as on:
        assert on.get(path).status_code == 200


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_the_access_log_of_a_real_server_drops_query_strings(settings, store):
    from webhooks.app import create_app

    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None,
                            log_level="info", lifespan="off")
    server = uvicorn.Server(config)
    access = logging.getLogger("uvicorn.access")
    lines = _Lines()
    access.addHandler(lines)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        url = f"http://127.0.0.1:{port}"
        httpx.get(f"{url}/healthz?token=hanya_s3cr3t&next=/dashboard", timeout=5)
        httpx.get(f"{url}/api/v1/reports?start=2026-11-01&access_token=s3cr3t", timeout=5)
    finally:
        server.should_exit = True
        thread.join(10)
        access.removeHandler(lines)
    assert any('"GET /healthz HTTP/1.1" 200' in line for line in lines.lines), lines.lines
    assert any('"GET /api/v1/reports HTTP/1.1"' in line for line in lines.lines)
    assert not [line for line in lines.lines if "?" in line or "s3cr3t" in line]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_its_wal_are_owner_only(tmp_path):
    from bot.core.migrate import upgrade

    old = os.umask(0o022)  # the usual umask, under which SQLite made them 0644
    try:
        store = Store(f"sqlite:///{tmp_path / 'var' / 'hanya.db'}")
        upgrade(store)
        with store.engine.connect() as conn:  # WAL and shared memory exist while connected
            conn.exec_driver_sql("SELECT 1")
            files = sorted(tmp_path.joinpath("var").glob("hanya.db*"))
            modes = {path.name: _mode(path) for path in files}
        store.dispose()
    finally:
        os.umask(old)
    assert {"hanya.db", "hanya.db-wal", "hanya.db-shm"} <= set(modes), modes
    assert set(modes.values()) == {0o600}, modes


def test_the_development_key_is_created_owner_only(tmp_path):
    old = os.umask(0o022)
    try:
        settings = Settings(_env_file=None, secret_key=None,  # type: ignore[call-arg]
                            spool_dir=tmp_path / "var" / "spool")
        settings.secret_key_or_dev()
    finally:
        os.umask(old)
    assert _mode(tmp_path / "var" / "dev-secret-key") == 0o600

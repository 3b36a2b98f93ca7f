"""`hanya serve`'s layout: the web process accepts, a second process it starts handles
(bot/app/intake_process.py). Real uvicorn servers, the real child, the fake Bot API.

The idle polls are set to a minute, so a reply within seconds proves the two processes wake
each other (accepted → handling process, replies queued → the web process's sender)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bot.app.intake_process import settings_document
from bot.core.settings import Settings
from tests.conftest import WEBHOOK_SECRET
from tests.fakes.telegram_updates import text_update
from tests.reliability.servers import server

HEADERS = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
TWO_PROCESSES = {"INTAKE_PROCESS": "true", "IDLE_POLL_SECONDS": "60"}


def _handling_pids(parent: int) -> list[int]:
    """The children of ``parent`` that run bot.app.intake_process."""
    pids = []
    for pid in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            continue
        if b"bot.app.intake_process" in cmdline:
            pids.append(int(pid))
    return pids


def _wait(predicate, timeout: float = 15.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _ready(url: str) -> bool:
    return httpx.get(f"{url}/readyz", timeout=10).json()["handling"] == "process running"


def _say(url: str, update_id: int, chat_id: int, text: str) -> int:
    return httpx.post(f"{url}/webhooks/telegram", json=text_update(update_id, chat_id, text),
                      headers=HEADERS, timeout=10).status_code


def test_a_second_process_handles_and_the_reply_comes_at_once(settings, bot_api):
    with server(settings, **TWO_PROCESSES) as app:
        children = _wait(lambda: _handling_pids(app.process.pid))
        _wait(lambda: _ready(app.url))  # its first look at the intake is behind it
        niceness = int(Path(f"/proc/{children[0]}/stat").read_text().rsplit(")", 1)[1].split()[16])
        started = time.monotonic()
        assert _say(app.url, 610_000_001, 61_001, "hi") == 200
        bot_api.wait_sent(1, chat_id=61_001, timeout=15)
        took = time.monotonic() - started
    assert len(children) == 1
    assert took < 15  # without the wakes: the next idle poll, a minute later
    assert niceness == 10  # accepting comes first when the cores are full


def test_a_handling_process_that_dies_is_started_again_and_nothing_is_lost(settings, bot_api):
    with server(settings, **TWO_PROCESSES) as app:
        first = _wait(lambda: _handling_pids(app.process.pid))[0]
        os.kill(first, signal.SIGKILL)
        # Accepted while no process handles: kept in the intake, handled by the next one.
        assert _say(app.url, 610_000_002, 61_002, "hi") == 200
        second = _wait(lambda: [p for p in _handling_pids(app.process.pid) if p != first])[0]
        bot_api.wait_sent(1, chat_id=61_002, timeout=20)
    assert second != first


def test_the_handling_process_ends_with_the_web_process(settings):
    # Stopped: the web process asks it to finish and waits for it.
    with server(settings, **TWO_PROCESSES) as app:
        child = _wait(lambda: _handling_pids(app.process.pid))[0]
        app.process.send_signal(signal.SIGTERM)
        app.process.wait(timeout=30)
        assert _wait(lambda: not _alive(child))
    # Killed: the handling process sees its socket close and stops by itself.
    with server(settings, **TWO_PROCESSES) as app:
        child = _wait(lambda: _handling_pids(app.process.pid))[0]
        app.process.send_signal(signal.SIGKILL)
        app.process.wait(timeout=30)
        assert _wait(lambda: not _alive(child))


def test_the_child_gets_the_same_settings_secrets_included(settings):
    settings.old_secret_keys = [SecretStr("an-old-key")]
    again = Settings(**json.loads(settings_document(settings)))
    assert again.secret_key is not None and settings.secret_key is not None
    assert again.secret_key.get_secret_value() == settings.secret_key.get_secret_value()
    assert [k.get_secret_value() for k in again.old_secret_keys] == ["an-old-key"]
    assert again.model_dump() == settings.model_dump()


@pytest.mark.parametrize("layout", ["one process", "two processes"])
def test_readyz_says_which_layout_handles(settings, layout):
    extra = TWO_PROCESSES if layout == "two processes" else {"INTAKE_PROCESS": "false"}
    with server(settings, **extra) as app:
        if layout == "two processes":
            assert _wait(lambda: _ready(app.url))
        body = httpx.get(f"{app.url}/readyz", timeout=10).json()
    assert body["handling"] == ("process running" if layout == "two processes" else "in process")


def test_the_handling_process_serves_an_editor_s_change_without_a_restart(
        settings, store, bot_api, tmp_path):
    """The replies are written in the handling process: it watches the content too."""

    from tests.conftest import copy_content
    from tests.support import TelegramUser, texts

    old, new = "In danger? Call at once.", "In danger? Call now, day or night."
    copy_content(tmp_path)
    editable = {"CONTENT_DIR": str(tmp_path / "content"), "LOCALES_DIR": str(tmp_path / "locales"),
                "CONTENT_RELOAD": "true", "CONTENT_RELOAD_SECONDS": "0.2"}
    with server(settings, **TWO_PROCESSES, **editable) as app, \
            httpx.Client(base_url=app.url, timeout=10) as http:
        _wait(lambda: _ready(app.url))
        user = TelegramUser(http, bot_api, store, 61_003)  # type: ignore[arg-type]
        user.say("/start")
        user.tap("lang:en")
        user.tap("point:agadez")
        assert old in texts(user.tap("topic:emergency"))
        topics = tmp_path / "content" / "en" / "topics.yaml"
        topics.write_text(topics.read_text("utf-8").replace(old, new), "utf-8")
        assert _wait(lambda: new in texts(user.tap("topic:emergency")), timeout=10)


def test_a_handling_process_that_cannot_be_made_is_tried_again(settings, monkeypatch):
    """No process could be made (out of file descriptors, of memory): the supervisor waits
    and tries again, instead of leaving the service with nothing handling."""
    import asyncio

    from bot.app.intake_process import IntakeProcess

    real, calls = asyncio.create_subprocess_exec, 0

    async def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError(24, "Too many open files")
        return await real(*args, **kwargs)

    monkeypatch.setattr(asyncio, "create_subprocess_exec", flaky)

    async def supervise() -> IntakeProcess:
        handling = IntakeProcess(settings, on_queued=lambda: None, first_backoff=0.05)
        task = asyncio.create_task(handling.run())
        deadline = time.monotonic() + 30
        while not handling.ready and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        handling.stop()
        await asyncio.wait_for(task, 30)
        return handling

    handling = asyncio.run(supervise())
    assert (calls, handling.starts, handling.ready) == (2, 1, True)

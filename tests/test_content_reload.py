"""Live reload: an editor's change is served within 5 seconds without a restart; a broken change
is refused, the last good text keeps being served and /readyz says why."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from bot.app.content_reload import ContentWatcher
from bot.app.runtime import ContentSource
from bot.core.settings import Settings
from tests.conftest import within
from tests.support import TelegramUser, texts

CHAT = 5123400077
OLD = "In danger? Call at once."
NEW = "In danger? Call now, day or night."


@pytest.fixture
def live(editable: Settings, store, bot_api) -> Iterator[tuple[TestClient, TelegramUser]]:
    from webhooks.app import create_app

    with TestClient(create_app(editable)) as client:
        user = TelegramUser(client, bot_api, store, CHAT)
        user.say("/start")
        user.tap("lang:en")
        user.tap("point:agadez")
        yield client, user


def emergency(user: TelegramUser) -> str:
    return texts(user.tap("topic:emergency"))


def test_changed_topic_is_served_within_five_seconds(live, editable):
    client, user = live
    assert OLD in emergency(user)
    topics = editable.content_dir / "en" / "topics.yaml"
    topics.write_text(topics.read_text("utf-8").replace(OLD, NEW), "utf-8")
    started = time.monotonic()
    assert within(5, lambda: NEW in emergency(user))
    assert time.monotonic() - started < 5
    assert client.get("/readyz").json()["content"] == "ok"


def test_broken_file_is_refused_and_the_last_good_text_kept(live, editable):
    client, user = live
    topics = editable.content_dir / "en" / "topics.yaml"
    text = topics.read_text("utf-8")
    topics.write_text(text.replace(OLD, NEW), "utf-8")
    assert within(5, lambda: NEW in emergency(user))
    broken = text.replace('  title: "Emergency"', '  title: "Emergency\n  text: [')
    topics.write_text(broken, "utf-8")

    def refused() -> bool:
        return client.get("/readyz").json()["content"] == "refused"

    assert within(5, refused)
    body = client.get("/readyz").json()
    assert "content/en/topics.yaml:" in body["content_error"]
    assert "YAML syntax error" in body["content_error"]
    assert NEW in emergency(user)  # the last good content still answers
    topics.write_text(text, "utf-8")  # fixed: served again, and /readyz is green
    assert within(5, lambda: client.get("/readyz").json()["content"] == "ok")
    assert OLD in emergency(user)


def test_change_failing_a_check_is_refused_even_when_it_loads(editable, caplog):
    source = ContentSource(editable)
    watcher = ContentWatcher(source)
    services = editable.content_dir / "services.yaml"
    services.write_text(services.read_text("utf-8").replace(
        'phone: "+227 89 98 33 39"', 'phone: "+227 89 98"'), "utf-8")
    assert watcher.poll() is False
    assert source.last_error is not None and "content/services.yaml:" in source.last_error
    assert "not a valid number" in source.last_error
    assert "content change refused" in caplog.text
    assert watcher.poll() is None  # nothing changed since: not checked again
    kept = next(s for s in source.current.services if s.id == "alarme-phone-sahara-1")
    assert kept.phone == "+227 89 98 33 39"  # the last good content is still served


def test_reload_can_be_turned_off(editable, store, bot_api):
    from webhooks.app import create_app

    quiet = editable.model_copy(update={"content_reload": False})
    with TestClient(create_app(quiet)) as client:
        user = TelegramUser(client, bot_api, store, CHAT)
        user.say("/start")
        user.tap("lang:en")
        user.tap("point:agadez")
        topics = quiet.content_dir / "en" / "topics.yaml"
        topics.write_text(topics.read_text("utf-8").replace(OLD, NEW), "utf-8")
        time.sleep(1.0)  # five reload periods of the other tests
        assert OLD in emergency(user)

"""Shared fixtures: a real store (SQLite file or PostgreSQL), local fake providers, the app.

Every test runs against ``HANYA_DATABASE_URL`` when set (``.ci/run`` sets it to the local
PostgreSQL), else against a fresh SQLite file. No test may open a connection off this machine.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, func, make_url, select, text
from sqlalchemy.pool import NullPool
from starlette.testclient import TestClient

import bot.app.all_models  # noqa: F401 - every table, for wipe()
import webhooks.channels  # noqa: F401 - installs every channel (bot/core/channel_registry.py)
from bot.core.migrate import upgrade
from bot.core.models import Base, IntakeMessage, OutboxMessage
from bot.core.settings import ROOT, Settings
from bot.core.store import Store
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.twilio_api import FakeTwilio

PUBLIC_URL = "https://hanya.example.org"
WEBHOOK_SECRET = "tg-secret-for-tests"
SERVICE_NUMBER = "+22780000000"


# --- nothing leaves the machine --------------------------------------------------------------

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    if self.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        host = str(address[0])
        if host != "localhost" and not ipaddress.ip_address(host.split("%")[0]).is_loopback:
            raise RuntimeError(f"test tried to reach {host}: only loopback is allowed")
    return _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


@pytest.fixture(autouse=True)
def _no_provider_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TWILIO_EDGE", "TWILIO_REGION", "HANYA_TELEGRAM_TOKEN", "HANYA_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)


# --- the store --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for this test session, migrated with the real Alembic revisions.

    On PostgreSQL each session gets its own database, created next to the one named by
    HANYA_DATABASE_URL, so parallel runs never see each other's rows.
    """
    import os

    base = os.environ.get("HANYA_DATABASE_URL")
    if not base:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'hanya-test.db'}"
        store = Store(url)
        upgrade(store)
        store.dispose()
        yield url
        return
    name = f"hanya_test_{os.getpid()}_{int(time.time())}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    store = Store(url)
    upgrade(store)
    store.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()



@pytest.fixture
def empty_store(tmp_path: Path) -> Iterator[Store]:
    """A database of its own, unmigrated, for tests that move a schema up and down (the
    session's shared one must stay migrated)."""
    import os

    base = os.environ.get("HANYA_DATABASE_URL")
    if not base:
        store = Store(f"sqlite:///{tmp_path / 'migrations.db'}")
        yield store
        store.dispose()
        return
    name = f"hanya_migrations_{os.getpid()}_{time.monotonic_ns()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    store = Store(make_url(base).set(database=name).render_as_string(hide_password=False))
    try:
        yield store
    finally:
        store.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def alembic_config() -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    return config


def downgrade(store: Store, revision: str) -> None:
    """Alembic's downgrade from code, as bot/core/migrate.py upgrades."""
    config = alembic_config()
    with store.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
        connection.commit()

def wipe(store: Store) -> None:
    with store.engine.begin() as conn:
        if store.is_postgres:
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url)
    wipe(store)
    yield store
    store.dispose()


# --- fake providers ---------------------------------------------------------------------------

@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as api:
        yield api


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    with FakeTwilio() as api:
        yield api


@pytest.fixture
def settings(database_url: str, bot_api: FakeBotApi, twilio_api: FakeTwilio,
             tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        secret_key="test-secret-key-not-for-production",
        public_url=PUBLIC_URL,
        telegram_token=bot_api.token,
        telegram_webhook_secret=WEBHOOK_SECRET,
        telegram_api_url=bot_api.url,
        twilio_account_sid=twilio_api.account_sid,
        twilio_auth_token=twilio_api.auth_token,
        twilio_number=SERVICE_NUMBER,
        twilio_api_url=twilio_api.url,
        spool_dir=tmp_path / "spool",
        # Digests start only in the tests that ask for them (tests/test_digest_*.py).
        run_scheduler=False,
        # Handled in a task of the app under test, whose state tests read and patch; the
        # handling process of `hanya serve` has its own tests (tests/test_handling_process.py).
        intake_process=False,
        chart_dir=tmp_path / "charts",
        # Conversation tests are not about provider pacing (tests/test_outbox_* set real
        # limits): let replies to one chat go out without waiting a second each.
        telegram_rate_per_chat=200.0,
        twilio_rate_per_number=200.0,
        # Many apps start in this one process: freezing each one's objects would keep them.
        gc_freeze_at_start=False,
    )


@pytest.fixture
def client(settings: Settings, store: Store) -> Iterator[TestClient]:
    from webhooks.app import create_app

    with TestClient(create_app(settings)) as test_client:
        yield test_client


def copy_content(folder: Path) -> Path:
    """A copy of the shipped content/ and locales/ under ``folder``, for a test to edit or
    break; returns ``folder``."""
    shutil.copytree(ROOT / "content", folder / "content")
    shutil.copytree(ROOT / "locales", folder / "locales")
    return folder


@pytest.fixture
def editable(settings: Settings, tmp_path: Path) -> Settings:
    """Settings reading a copy of the content that the test edits, reloaded every 0.2 s."""
    copy_content(tmp_path)
    return settings.model_copy(update={"content_dir": tmp_path / "content",
                                       "locales_dir": tmp_path / "locales",
                                       "content_reload_seconds": 0.2})


def within(seconds: float, done: Callable[[], bool]) -> bool:
    """Whether ``done()`` came true within ``seconds`` (polled every 0.1 s)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(0.1)
    return False


def wait_handled(store: Store, timeout: float = 10.0) -> None:
    """Block until every accepted inbound message has been handled (the intake is empty)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with store.session() as session:
            waiting = session.scalar(select(func.count()).select_from(IntakeMessage))
        if not waiting:
            return
        time.sleep(0.01)
    raise AssertionError(f"intake still has {waiting} message(s) waiting")


def wait_outbox_drained(store: Store, timeout: float = 10.0) -> None:
    """Block until every accepted message is handled and the sender has handed every due
    outbox row to its provider."""
    deadline = time.monotonic() + timeout
    wait_handled(store, timeout)
    while time.monotonic() < deadline:
        with store.session() as session:
            waiting = session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.status.in_(["pending", "sending"])))
        if not waiting:
            return
        time.sleep(0.02)
    raise AssertionError(f"outbox still has {waiting} message(s) waiting")

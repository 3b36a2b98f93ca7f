"""Migration 0010c encrypts outbox payloads and idea texts already stored, and back."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from bot.core.crypto import Vault
from bot.core.migrate import upgrade
from bot.core.settings import ROOT, get_settings
from bot.core.store import Store

KEY = "a-migration-test-key"


@pytest.fixture
def empty_store(tmp_path) -> Iterator[Store]:
    """A database of its own (this test moves its schema up and down)."""
    base = os.environ.get("HANYA_DATABASE_URL")
    if not base:
        store = Store(f"sqlite:///{tmp_path / 'migration.db'}")
        yield store
        store.dispose()
        return
    name = f"hanya_migration_{os.getpid()}_{time.monotonic_ns()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    store = Store(make_url(base).set(database=name).render_as_string(hide_password=False))
    yield store
    store.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def downgrade(store: Store, revision: str) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    with store.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
        connection.commit()


def test_stored_payloads_and_idea_texts_are_encrypted_by_the_upgrade_and_back(
        empty_store, monkeypatch):
    monkeypatch.setenv("HANYA_SECRET_KEY", KEY)
    get_settings.cache_clear()
    store = empty_store
    upgrade(store, "0008")
    upgrade(store, "0004")
    with store.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO outbox (channel, address_enc, payload, priority, status, attempts, "
            "next_attempt_at, created_at) VALUES ('sms', 'x', :payload, 0, 'sent', 1, "
            ":now, :now)"), {"payload": '{"text": "Votre idée I-2026-00001 est reçue"}',
                             "now": "2026-12-01 10:00:00"})
        conn.execute(text(
            "INSERT INTO ideas (reference, text, signed, channel, language, status, created_at)"
            " VALUES ('I-2026-00001', 'un point d''eau', false, 'sms', 'fr', 'received', "
            ":now)"), {"now": "2026-12-01 10:00:00"})
    try:
        upgrade(store, "0010c")
        vault = Vault(KEY.encode())
        with store.engine.connect() as conn:
            payload_enc = conn.execute(text("SELECT payload_enc FROM outbox")).scalar_one()
            text_enc = conn.execute(text("SELECT text_enc FROM ideas")).scalar_one()
        assert "I-2026-00001" not in payload_enc and "eau" not in text_enc
        assert vault.decrypt(payload_enc) == '{"text":"Votre idée I-2026-00001 est reçue"}'
        assert vault.decrypt(text_enc) == "un point d'eau"
        downgrade(store, "0008")  # 0010c's parents are 0008 and 0004: back to them
        with store.engine.connect() as conn:
            payload = conn.execute(text("SELECT payload FROM outbox")).scalar_one()
            idea = conn.execute(text("SELECT text FROM ideas")).scalar_one()
        if isinstance(payload, str):  # SQLite hands JSON back as text
            payload = json.loads(payload)
        assert payload == {"text": "Votre idée I-2026-00001 est reçue"}
        assert idea == "un point d'eau"
    finally:
        get_settings.cache_clear()

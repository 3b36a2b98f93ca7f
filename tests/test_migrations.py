"""The migrations go up, down and up again on both stores, and there is one head (issue 18).

``test_one_head`` FAILS until a merge revision joins the heads (0003, 0004, 0005, 0006, 0008,
0009 and the other branches' new ones): the lead adds it after merging, as the last migration.
Until then ``alembic upgrade head`` refuses to run (``bot.core.migrate`` goes to every head).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, make_url, text
from sqlalchemy.pool import NullPool

import bot.app.all_models  # noqa: F401 - every table the code defines
from bot.core.migrate import upgrade
from bot.core.models import Base
from bot.core.settings import ROOT
from bot.core.store import Store


def _config() -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    return config


def _downgrade(store: Store, revision: str) -> None:
    config = _config()
    with store.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
        connection.commit()


def _schema(store: Store) -> dict[str, set[str]]:
    """Each table with its columns and indexes, as the database reports them."""
    found = inspect(store.engine)
    return {table: {c["name"] for c in found.get_columns(table)}
            | {f"index:{i['name']}" for i in found.get_indexes(table)}
            for table in found.get_table_names() if table != "alembic_version"}


@pytest.fixture
def empty_store(tmp_path: Path) -> Iterator[Store]:
    """A database of its own (the session's shared one must stay migrated)."""
    base = os.environ.get("HANYA_DATABASE_URL")
    if not base:
        store = Store(f"sqlite:///{tmp_path / 'migrations.db'}")
        yield store
        store.dispose()
        return
    name = f"hanya_migrations_{os.getpid()}_{int(time.time())}"
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


def test_upgrade_downgrade_upgrade_round_trip(empty_store: Store) -> None:
    upgrade(empty_store)
    migrated = _schema(empty_store)
    assert set(migrated) == set(Base.metadata.tables), "the migrations make every table"
    _downgrade(empty_store, "base")
    assert _schema(empty_store) == {}, "every downgrade drops what its upgrade made"
    upgrade(empty_store)
    assert _schema(empty_store) == migrated


def test_one_head() -> None:
    """FAILS until the lead adds the merge revision (see the module docstring)."""
    heads = ScriptDirectory.from_config(_config()).get_heads()
    assert len(heads) == 1, f"{len(heads)} heads: {sorted(heads)}; add a merge revision"

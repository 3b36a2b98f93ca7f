"""Fresh databases for each run: a new SQLite file, or ``hanya_bench`` on PostgreSQL."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

import bot.app.all_models  # noqa: F401 - every table, so the migrations and Base agree
from bot.core.migrate import upgrade
from bot.core.store import Store

# The server the bench may use; its own database is created and dropped around each run.
PG_ADMIN_URL = os.environ.get("HANYA_BENCH_PG_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# Sessions sharing one server each name their own (a bench drops its database WITH FORCE).
PG_DATABASE = os.environ.get("HANYA_BENCH_PG_DATABASE", "hanya_bench")


def postgres_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, poolclass=NullPool)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "skip PostgreSQL"
        return False


@contextmanager
def fresh_database(kind: str, name: str = PG_DATABASE) -> Iterator[str]:
    """A migrated empty database of ``kind`` (sqlite | postgres); yields its URL, drops it."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="hanya-bench-db-") as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            _migrate(url)
            yield url
        return
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        _migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(url: str) -> None:
    store = Store(url)
    try:
        upgrade(store)
    finally:
        store.dispose()

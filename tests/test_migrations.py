"""The migrations go up, down and up again on both stores, and there is one head (issue 18).

``test_one_head`` FAILS until a merge revision joins the heads (0003, 0004, 0005, 0006, 0008,
0009 and the other branches' new ones): the lead adds it after merging, as the last migration.
Until then ``alembic upgrade head`` refuses to run (``bot.core.migrate`` goes to every head).
"""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

import bot.app.all_models  # noqa: F401 - every table the code defines
from bot.core.migrate import upgrade
from bot.core.models import Base
from bot.core.store import Store
from tests.conftest import alembic_config, downgrade


def _schema(store: Store) -> dict[str, set[str]]:
    """Each table with its columns and indexes, as the database reports them."""
    found = inspect(store.engine)
    return {table: {c["name"] for c in found.get_columns(table)}
            | {f"index:{i['name']}" for i in found.get_indexes(table)}
            for table in found.get_table_names() if table != "alembic_version"}


def test_upgrade_downgrade_upgrade_round_trip(empty_store: Store) -> None:
    upgrade(empty_store)
    migrated = _schema(empty_store)
    assert set(migrated) == set(Base.metadata.tables), "the migrations make every table"
    downgrade(empty_store, "base")
    assert _schema(empty_store) == {}, "every downgrade drops what its upgrade made"
    upgrade(empty_store)
    assert _schema(empty_store) == migrated


def test_one_head() -> None:
    """FAILS until the lead adds the merge revision (see the module docstring)."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"{len(heads)} heads: {sorted(heads)}; add a merge revision"

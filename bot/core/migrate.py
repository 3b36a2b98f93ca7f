"""Run Alembic migrations from code (the CLI, the app's tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from bot.core.settings import ROOT
from bot.core.store import Store


def upgrade(store: Store, revision: str = "heads") -> None:
    """Bring the store's schema to ``revision`` (every head: features add their own)."""
    if store.url.startswith("sqlite:///"):
        from pathlib import Path

        Path(store.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    with store.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()

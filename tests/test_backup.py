"""`hanya backup` then `hanya restore`: the same rows in every table, on SQLite and PostgreSQL."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.app import backup
from bot.core.models import Base
from bot.core.store import Store
from tests.committee_helpers import make_committee, sms_member
from tests.conftest import wipe
from tests.support import SmsUser


def _every_row(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    with store.engine.connect() as conn:
        return {table.name: sorted(map(tuple, conn.execute(select(table))), key=repr)
                for table in Base.metadata.sorted_tables}


def _traffic(client, twilio_api, store, settings) -> None:
    migrant = SmsUser(client, twilio_api, store, "+22790003001")
    migrant.say("INFO")
    migrant.say("4")
    migrant.say("assamaka")
    member = sms_member(client, twilio_api, store, settings, "+22790003002",
                        make_committee(store))
    member.say("RAPPORT ASSAMAKA EXPULSION 120 F25 E15 sans eau")


def test_a_backup_restored_over_a_wiped_store_gives_back_every_row(
        client, twilio_api, store, settings, tmp_path: Path):
    _traffic(client, twilio_api, store, settings)
    before = _every_row(store)
    filled = [name for name, rows in before.items() if rows]
    assert len(filled) >= 8, filled  # contacts, reports, outbox, ... not an empty store

    done = backup.take(settings.database_url, tmp_path / "backups")
    assert done.path.exists() and done.size > 0
    assert stat.S_IMODE(done.path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "backups").stat().st_mode) == 0o700

    wipe(store)
    assert not any(_every_row(store).values())
    store.dispose()  # the service is stopped for a restore
    backup.restore(settings.database_url, done.path)

    assert _every_row(store) == before
    with store.engine.connect() as conn:  # the schema's revision came back too
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar()


def test_backups_are_pruned_to_the_newest_few(store, settings, tmp_path: Path):
    folder = tmp_path / "b"
    start = datetime(2026, 12, 1, tzinfo=UTC)
    for day in range(4):
        backup.take(settings.database_url, folder, now=start + timedelta(days=day))
    (folder / "notes.txt").write_text("not a backup")
    gone = backup.prune(folder, keep=2)
    assert [b.taken_at.day for b in gone] == [2, 1]
    assert [b.taken_at.day for b in backup.listed(folder)] == [4, 3]
    assert (folder / "notes.txt").exists()


def test_a_backup_of_the_other_kind_of_store_is_refused_with_the_reason(
        store, settings, tmp_path: Path):
    wrong = tmp_path / ("hanya-20261201T000000Z" + (".sqlite3" if store.is_postgres else ".dump"))
    wrong.write_bytes(b"x")
    with pytest.raises(backup.BackupError, match="this store is"):
        backup.restore(settings.database_url, wrong)


def test_the_database_password_never_reaches_a_command_line(monkeypatch):
    seen: dict[str, Any] = {}

    def fake_run(argv, env, **_):
        seen.update(argv=argv, env=env)
        raise SystemExit  # nothing to run: we only look at what would be run

    monkeypatch.setattr(backup.subprocess, "run", fake_run)
    with pytest.raises(SystemExit):
        backup._run(["pg_dump"], "postgresql+psycopg://hanya:s3cret@db.example:5432/hanya")
    assert not any("s3cret" in arg for arg in seen["argv"])
    assert seen["env"]["PGPASSWORD"] == "s3cret"
    assert "--dbname=postgresql://hanya@db.example:5432/hanya" in seen["argv"]

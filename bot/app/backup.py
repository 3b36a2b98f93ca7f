"""Backups of the store and their restore, with each database's own tool.

SQLite: the online backup API (a consistent copy while the service writes; copying the file
could catch a half-written page). PostgreSQL: ``pg_dump`` in its custom format and
``pg_restore``, the tools its operators already know. A backup holds only ciphertext and keyed
hashes of addresses: it is useless without HANYA_SECRET_KEY, which must be kept apart from it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import make_url

PREFIX = "hanya-"
STAMP = "%Y%m%dT%H%M%SZ"


class BackupError(Exception):
    """A backup or restore that could not be done; the message names the fix."""


@dataclass(frozen=True)
class Backup:
    path: Path
    taken_at: datetime
    size: int


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(parsed.database)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL as pg_dump reads it, without its password, and the password's environment.

    A password on a command line is readable by every user of the machine (``ps``).
    """
    parsed = make_url(url).set(drivername="postgresql")
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    # URL.set() ignores None, so the password is dropped with the named tuple's own _replace.
    return parsed._replace(password=None).render_as_string(hide_password=False), env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is missing: apt-get install postgresql-client")
    return found


def _run(argv: list[str], url: str) -> None:
    dbname, secret = _libpq(url)
    done = subprocess.run([*argv, f"--dbname={dbname}"], env={**os.environ, **secret},  # noqa: S603 (our own argv)
                          capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{Path(argv[0]).name} failed: {last}")


def take(url: str, folder: Path, now: datetime | None = None) -> Backup:
    """Write one backup of the store at ``url`` into ``folder`` (created 0700, files 0600)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    taken_at = (now or datetime.now(UTC)).replace(microsecond=0)
    source = _sqlite_path(url)
    suffix = ".sqlite3" if source is not None else ".dump"
    target = folder / f"{PREFIX}{taken_at.strftime(STAMP)}{suffix}"
    partial = target.with_name(target.name + ".partial")
    partial.touch(mode=0o600)
    try:
        if source is not None:
            if not source.exists():
                raise BackupError(f"no database at {source}: run `hanya db upgrade` first")
            with closing(sqlite3.connect(source)) as live, \
                    closing(sqlite3.connect(partial)) as copy:
                live.backup(copy)
        else:
            _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}"],
                 url)
        partial.replace(target)  # a backup is listed only once it is whole
    finally:
        partial.unlink(missing_ok=True)
    return Backup(target, taken_at, target.stat().st_size)


def listed(folder: Path) -> list[Backup]:
    """The folder's whole backups, newest first."""
    found = []
    for path in folder.glob(f"{PREFIX}*"):
        stamp = path.name.removeprefix(PREFIX).split(".")[0]
        if path.suffix not in (".sqlite3", ".dump"):
            continue
        try:
            taken_at = datetime.strptime(stamp, STAMP).replace(tzinfo=UTC)
        except ValueError:
            continue
        found.append(Backup(path, taken_at, path.stat().st_size))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def prune(folder: Path, keep: int) -> list[Backup]:
    """Delete all but the ``keep`` newest backups; returns the deleted ones."""
    doomed = listed(folder)[max(keep, 1):]
    for backup in doomed:
        backup.path.unlink(missing_ok=True)
    return doomed


def restore(url: str, backup: Path) -> None:
    """Replace the store's whole content by the backup's (stop the service first)."""
    if not backup.is_file():
        raise BackupError(f"no backup at {backup}")
    target = _sqlite_path(url)
    if target is not None:
        if backup.suffix != ".sqlite3":
            raise BackupError(f"{backup.name} is a PostgreSQL dump; this store is SQLite")
        target.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(backup)) as copy, closing(sqlite3.connect(target)) as live:
            copy.backup(live)
        target.chmod(0o600)
        return
    if backup.suffix != ".dump":
        raise BackupError(f"{backup.name} is a SQLite copy; this store is PostgreSQL")
    _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "--exit-on-error", str(backup)], url)

"""The database: one engine per process, sessions per unit of work."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.core.errors import StoreUnavailable


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the settings each backend needs to be safe under concurrency."""
    if url.startswith("sqlite"):
        # WAL lets readers run beside the writer; the busy timeout waits instead of failing.
        # One connection per process: every transaction takes the write lock at BEGIN anyway,
        # and threads queued on the pool wake at once, where threads sleeping in SQLite's
        # busy handler wake late (1-100 ms steps): that was the p99 under load.
        if "poolclass" not in kwargs:
            kwargs.setdefault("pool_size", 1)
            kwargs.setdefault("max_overflow", 0)
            kwargs.setdefault("pool_timeout", 60)
        _create_private(url)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin_immediate(conn: Any) -> None:
            # Take the write lock at BEGIN: a read-then-write transaction cannot then fail
            # with "database is locked" halfway through.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        # pysqlite's own transaction handling would fight our BEGIN.
        @event.listens_for(engine, "connect", insert=True)
        def _no_pysqlite_begin(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None

        return engine
    if "poolclass" not in kwargs:
        # Enough for the web threads in flight; connections that died with the server are
        # dropped on first use (SQLAlchemy invalidates the pool on a disconnect) instead of
        # being pinged before every transaction, which cost a round trip per message.
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 10)
        kwargs.setdefault("pool_recycle", 1800)
    return create_engine(url, **kwargs)


class Store:
    """Engine plus session factory; ``session()`` maps connection failures to StoreUnavailable."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._write_lock = _sqlite_write_lock(url)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success, rolled back on error."""
        with self._locked(), _outage_as_unavailable(), self._sessions() as session, \
                session.begin():
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A Core connection in a transaction, committed on success: for the hot writes that
        need no ORM session (its set-up and tear-down cost more than a small insert)."""
        with self._locked(), _outage_as_unavailable(), self.engine.begin() as connection:
            yield connection

    @contextmanager
    def statement(self) -> Iterator[Connection]:
        """A Core connection for a hot write that is one statement, committed. PostgreSQL:
        autocommit, one round trip instead of BEGIN, statement, COMMIT (the statement is as
        atomic and durable alone). SQLite: a transaction, which costs no round trip and which
        an executemany needs."""
        if not self.is_postgres:
            with self.transaction() as connection:
                yield connection
            return
        with _outage_as_unavailable(), self._autocommit.connect() as connection:
            yield connection

    def ping(self) -> bool:
        try:
            with self._locked(), self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - readiness reports any failure as not ready
            return False

    def dispose(self) -> None:
        self.engine.dispose()

    def _locked(self) -> AbstractContextManager[object]:
        return self._write_lock.held() if self._write_lock is not None else nullcontext()


class _FileWriteLock:
    """SQLite's write lock, taken first as a lock on a file beside the database (flock).

    Every SQLite transaction here begins IMMEDIATE, so one process writes at a time. A
    process that finds the database locked sleeps in SQLite's busy handler, in steps of
    1 to 100 ms, and so sees a release late. That happens when `hanya intake run` handles
    beside the web worker: the web worker slept through the intake's turns and accepted a
    third fewer messages. A process blocked on this flock wakes as soon as it is released.
    There is one lock per file in a process, and one open file per thread, because flock
    also serialises threads that hold different open files. The depth count lets a thread
    nest a transaction in another, as it could before.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    @contextmanager
    def held(self) -> Iterator[None]:
        local = self._local
        depth = getattr(local, "depth", 0)
        if depth == 0:
            if getattr(local, "file", None) is None:
                local.file = _LockFile(self.path)
            fcntl.flock(local.file.fd, fcntl.LOCK_EX)  # releases the GIL while it waits
        local.depth = depth + 1
        try:
            yield
        finally:
            local.depth -= 1
            if local.depth == 0:
                fcntl.flock(local.file.fd, fcntl.LOCK_UN)


class _LockFile:
    """An open lock file, closed when its thread's locals go (a thread ends)."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def __del__(self) -> None:
        os.close(self.fd)


_FILE_LOCKS: dict[Path, _FileWriteLock] = {}
_FILE_LOCKS_GUARD = threading.Lock()


def _sqlite_file(url: str) -> Path | None:
    """The SQLite database file of ``url`` (None for PostgreSQL and in-memory databases)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:") \
            or "mode=memory" in str(parsed.query):
        return None
    return Path(parsed.database).resolve()


def _create_private(url: str) -> None:
    """Create a new SQLite file readable by its owner only (0600) before SQLite does (0644
    under the usual umask): it holds pseudonyms and ciphertexts. SQLite gives its -wal and
    -shm files the database file's mode."""
    path = _sqlite_file(url)
    if path is None or path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # another process created it meanwhile
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _sqlite_write_lock(url: str) -> _FileWriteLock | None:
    """The process's lock for this SQLite file (None for PostgreSQL and in-memory databases)."""
    path = _sqlite_file(url)
    if path is None:
        return None
    lock_path = path.with_name(path.name + ".lock")
    with _FILE_LOCKS_GUARD:
        return _FILE_LOCKS.setdefault(lock_path, _FileWriteLock(lock_path))


@contextmanager
def _outage_as_unavailable() -> Iterator[None]:
    """A lost or refused connection becomes StoreUnavailable; any other error passes as is."""
    try:
        yield
    except (OperationalError, DBAPIError) as exc:
        if _is_connection_failure(exc):
            raise StoreUnavailable(type(exc.orig).__name__ if exc.orig else str(exc)) from exc
        raise


def _is_connection_failure(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError):
        message = str(exc.orig).lower() if exc.orig else ""
        # SQLite "database is locked" is contention, not an outage; everything else operational is.
        return "locked" not in message
    return False

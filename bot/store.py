"""The database: one engine per process, sessions per unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import StoreUnavailable


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

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success, rolled back on error."""
        with _outage_as_unavailable(), self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A Core connection in a transaction, committed on success: for the hot writes that
        need no ORM session (its set-up and tear-down cost more than a small insert)."""
        with _outage_as_unavailable(), self.engine.begin() as connection:
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
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - readiness reports any failure as not ready
            return False

    def dispose(self) -> None:
        self.engine.dispose()


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

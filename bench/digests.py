"""Digests at scale: seed a year of reports and inbound messages fast, then time the digests.

Seeding is bulk: COPY on PostgreSQL, one ``executemany`` transaction on SQLite. The digest
itself is found in ``bot.features.digests.digest`` (being written): the harness calls the first
function it
recognises with the arguments it can fill by name, and says "not available yet" otherwise.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from bot.core.models import Contact
from bot.core.store import Store

CATEGORIES = ["expulsion", "stranded", "death", "medical", "missing", "unaccompanied_children",
              "trafficking", "arrival", "violence", "other", "nothing"]
URGENT = {"stranded", "death", "medical", "missing", "unaccompanied_children", "trafficking"}
POINTS = [("niamey", "NE008"), ("agadez", "NE001"), ("arlit", "NE001"), ("assamaka", "NE001"),
          ("in-guezzam", "NE001"), ("dirkou", "NE001"), ("bilma", "NE001"), ("zinder", "NE007"),
          ("tahoua", "NE005"), ("diffa", "NE002"), ("maradi", "NE004"), ("gaya", "NE003")]
YEAR = timedelta(days=365)
CONTACTS = 50_000
DAILY_NAMES = ("build_daily", "build_daily_digest")
WEEKLY_NAMES = ("build_weekly", "build_weekly_digest")
GENERIC_NAMES = ("build_digest", "build")


def availability() -> str | None:
    """None when the digests can be timed, else why not."""
    from bot.core.models import Base

    if "reports" not in Base.metadata.tables:
        return "not available yet (no reports table)"
    try:
        module = importlib.import_module("bot.features.digests.digest")
    except ImportError:
        return "not available yet (no bot.features.digests.digest)"
    if _find(module, DAILY_NAMES) is None and _find(module, GENERIC_NAMES) is None:
        return ("not available yet (bot.features.digests.digest has no build function the "
                "bench recognises)")
    return None


def _find(module: Any, names: tuple[str, ...]) -> Callable[..., Any] | None:
    for name in names:
        fn = getattr(module, name, None)
        if callable(fn):
            return fn  # type: ignore[no-any-return]
    return None


# --- seeding ---------------------------------------------------------------------------------

def seed(store: Store, *, reports: int, inbound: int, end: datetime, start_index: int = 0) -> float:
    """Add ``reports`` and ``inbound`` rows spread over the year before ``end``; seconds taken."""
    begun = time.perf_counter()
    if start_index == 0:
        _seed_small(store, end)
    committees = _ids(store, "committees")
    contacts = _ids(store, "contacts")
    report_rows = _report_rows(reports, end, committees, start_index)
    inbound_rows = _inbound_rows(inbound, end, contacts, start_index * 2)
    _bulk(store, "reports", REPORT_COLUMNS, report_rows)
    _bulk(store, "inbound_messages", INBOUND_COLUMNS, inbound_rows)
    with store.engine.begin() as conn:  # planner statistics, as a live database would have
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - begun


def _seed_small(store: Store, end: datetime) -> None:
    from bot.features.committees.models import Committee

    committees = [{"slug": f"cvi-{point}", "name": f"CVI {point}", "point_id": point,
                   "region": region, "active": True, "created_at": end - YEAR}
                  for point, region in POINTS]
    rng = random.Random(4)
    contacts = [{"channel": rng.choice(("telegram", "sms")), "pseudonym": f"bench{i:058d}",
                 "address_enc": "x" * 100, "language": "fr", "point_id": rng.choice(POINTS)[0],
                 "conversation": "info", "step": "menu", "state_data": {}, "stopped": False,
                 "created_at": end - YEAR, "last_seen_at": end} for i in range(CONTACTS)]
    with store.engine.begin() as conn:
        conn.execute(insert(Committee.__table__), committees)
        conn.execute(insert(Contact.__table__), contacts)


def _ids(store: Store, table: str) -> list[int]:
    with store.engine.connect() as conn:
        return list(conn.scalars(text(f"SELECT id FROM {table}")))  # noqa: S608 - fixed names


REPORT_COLUMNS = ("reference", "committee_id", "reporter", "channel", "language", "category",
                  "urgent", "point_id", "region", "occurred_at", "occurred_precision",
                  "received_at", "total", "women", "children", "status", "corroborated")
INBOUND_COLUMNS = ("channel", "external_id", "kind", "contact_id", "received_at")


def _report_rows(n: int, end: datetime, committees: list[int], first: int) -> Iterator[tuple]:
    rng = random.Random(first + 1)
    span = YEAR.total_seconds()
    for i in range(first, first + n):  # in time order, as a live store fills
        received = end - YEAR + timedelta(seconds=(i - first + rng.random()) * span / n)
        point, region = POINTS[i % len(POINTS)]
        category = CATEGORIES[i % len(CATEGORIES)]
        total = None if category == "nothing" else rng.randint(1, 150)
        yield (f"R-B-{i:010d}", committees[i % len(committees)], f"r{i % 5000:063d}",
               "sms" if i % 3 else "telegram", "fr", category, category in URGENT, point, region,
               received - timedelta(hours=rng.random() * 30), "day", received, total,
               None if total is None else total // 3, None if total is None else total // 5,
               "received", False)


def _inbound_rows(n: int, end: datetime, contacts: list[int], first: int) -> Iterator[tuple]:
    rng = random.Random(first + 2)
    span = YEAR.total_seconds()
    for i in range(first, first + n):
        yield ("sms" if i % 4 == 0 else "telegram", f"bench-{i}", "text",
               contacts[i % len(contacts)],
               end - YEAR + timedelta(seconds=(i - first + rng.random()) * span / n))


def _bulk(store: Store, table: str, columns: tuple[str, ...], rows: Iterator[tuple],
          chunk: int = 50_000) -> None:
    """COPY on PostgreSQL; on SQLite, executemany in one transaction (the driver's own call:
    the values are already in the form SQLAlchemy stores)."""
    if store.is_postgres:
        _copy(store, table, columns, rows)
        return
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - fixed names
           f"VALUES ({', '.join('?' * len(columns))})")
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        while batch := [tuple(_sqlite_value(v) for v in row)
                        for row in itertools.islice(rows, chunk)]:
            cursor.executemany(sql, batch)
        cursor.execute("COMMIT")
    finally:
        raw.close()


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):  # SQLAlchemy's SQLite storage format, in UTC
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _copy(store: Store, table: str, columns: tuple[str, ...], rows: Iterator[tuple]) -> None:
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with cursor.copy(sql) as copy:  # type: ignore[attr-defined]
            for batch in iter(lambda: list(itertools.islice(rows, 20_000)), []):
                copy.write("".join("\t".join(map(_pg_text, row)) + "\n" for row in batch))
        raw.commit()
    finally:
        raw.close()


def _pg_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


# --- timing ----------------------------------------------------------------------------------

def time_digest(store: Store, kind: str, day: date, settings: Any, content: Any) -> float:
    """Seconds to build the ``kind`` digest sent on ``day`` (its data, not its rendering)."""
    module = importlib.import_module("bot.features.digests.digest")
    fn = _find(module, DAILY_NAMES if kind == "daily" else WEEKLY_NAMES)
    from bench.procs import SECRET_KEY
    from bot.core.crypto import Vault

    # The vault opens the period's ideas (none seeded: the bench times the counts).
    offer: dict[str, Any] = {"settings": settings, "content": content, "day": day,
                             "vault": Vault(SECRET_KEY.encode()),
                             "sent_on": day, "tz": ZoneInfo(settings.timezone),
                             "now": datetime.combine(day, datetime.min.time(), UTC)}
    if fn is None:
        fn = _find(module, GENERIC_NAMES)
        offer["kind"] = kind
    if hasattr(module, "period_for"):
        offer["period"] = module.period_for(kind, day)
    assert fn is not None
    with Session(store.engine) as session:
        args = _arguments(fn, {**offer, "session": session, "store": store})
        begun = time.perf_counter()
        fn(**args)
        seconds = time.perf_counter() - begun
        session.rollback()  # leave the seeded store as it was
    return seconds


def _arguments(fn: Callable[..., Any], offer: dict[str, Any]) -> dict[str, Any]:
    args = {}
    for name, param in inspect.signature(fn).parameters.items():
        if name in offer:
            args[name] = offer[name]
        elif param.default is inspect.Parameter.empty and param.kind not in (
                param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"bot.features.digests.digest.{fn.__name__}: "
                            f"cannot fill parameter {name!r}")
    return args


def row_count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0)  # noqa: S608

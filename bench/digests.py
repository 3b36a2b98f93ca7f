"""Digests at scale: seed a year of reports and inbound messages fast, then time the digests.

Seeding is done by the database: one ``INSERT ... SELECT`` a table over a series of numbers,
the tables' secondary indexes built once after it (see ``seed``). The digest itself is found
in ``bot.features.digests.digest``: the harness calls the first function it recognises with
the arguments it can fill by name, and says "not available yet" otherwise.
"""

from __future__ import annotations

import importlib
import inspect
import random
import time
from collections.abc import Callable
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
    """Add ``reports`` and ``inbound`` rows spread over the year before ``end``; seconds taken.

    The database makes the rows itself: one ``INSERT ... SELECT`` a table over a series of
    numbers (``generate_series`` on PostgreSQL, a recursive CTE on SQLite), every value the
    arithmetic of its number, so no row passes through Python (that was half the time).
    """
    begun = time.perf_counter()
    if start_index == 0:
        _seed_small(store, end)
    postgres = store.is_postgres
    statements = []
    if reports > 0:
        statements.append(_insert_reports(reports, end, _first_id(store, "committees"),
                                          start_index, postgres))
    if inbound > 0:
        statements.append(_insert_inbound(inbound, end, _first_id(store, "contacts"),
                                          start_index * 2, postgres))
    if postgres:
        _postgres_bulk(store, statements)
    else:
        _sqlite_bulk(store, statements)
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


def _first_id(store: Store, table: str) -> tuple[int, int]:
    """(first id, how many) of ``table``, whose ids must follow each other."""
    with store.engine.connect() as conn:
        low, high, count = conn.execute(
            text(f"SELECT min(id), max(id), count(*) FROM {table}")).one()  # noqa: S608
    assert count and high - low + 1 == count, f"{table}: ids are not consecutive"
    return int(low), int(count)


REPORT_COLUMNS = ("reference", "committee_id", "reporter", "channel", "language", "category",
                  "urgent", "point_id", "region", "occurred_at", "occurred_precision",
                  "received_at", "total", "women", "children", "status", "corroborated")
INBOUND_COLUMNS = ("channel", "external_id", "kind", "contact_id", "received_at")


def _scatter(salt: int) -> str:
    """A number in [0, 1) from the row's number ``i``: the same every run, spread evenly."""
    return f"(((i * 2654435761 + {salt}) % 1000003) / 1000003.0)"


def _case(values: list[str]) -> str:
    whens = " ".join(f"WHEN {k} THEN '{v}'" for k, v in enumerate(values))
    return f"CASE i % {len(values)} {whens} END"


def _series(first: int, n: int, postgres: bool, select: str) -> str:
    """``select`` (which reads ``i``) over i = first .. first + n - 1."""
    last = first + n - 1
    if postgres:
        return f"{select} FROM generate_series({first}::bigint, {last}::bigint) AS s(i)"
    return (f"WITH RECURSIVE s(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM s "
            f"WHERE i < {last}) {select} FROM s")


def _moment(micros: str, postgres: bool) -> str:
    """A UTC moment from microseconds since the epoch, stored as SQLAlchemy stores it."""
    if postgres:
        return f"to_timestamp(({micros}) / 1000000.0)"
    return (f"strftime('%Y-%m-%d %H:%M:%S', ({micros}) / 1000000, 'unixepoch') "
            f"|| printf('.%06d', ({micros}) % 1000000)")


def _padded(expr: str, width: int, postgres: bool) -> str:
    if postgres:
        return f"lpad(({expr})::text, {width}, '0')"
    return f"printf('%0{width}d', {expr})"


def _start_and_step(end: datetime, n: int) -> tuple[int, float]:
    """The year's first microsecond and each row's slot: rows come in time order, as a live
    store fills, each at a scattered moment of its own slot."""
    start = (end - YEAR - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    return start, YEAR.total_seconds() * 1e6 / max(n, 1)


def _insert_reports(n: int, end: datetime, committees: tuple[int, int], first: int,
                    postgres: bool) -> str:
    start, step = _start_and_step(end, n)
    urgent = ", ".join(str(k) for k, c in enumerate(CATEGORIES) if c in URGENT)
    nothing = CATEGORIES.index("nothing")
    numbered = _series(first, n, postgres, (
        f"SELECT i, {start} + CAST((i - {first} + {_scatter(1)}) * {step!r} AS BIGINT) AS r, "
        f"CAST({_scatter(2)} * 30 * 3600e6 AS BIGINT) AS before, "
        f"CASE WHEN i % {len(CATEGORIES)} = {nothing} THEN NULL "
        f"ELSE 1 + (i * 40503 + 7) % 150 END AS total"))
    return (
        f"INSERT INTO reports ({', '.join(REPORT_COLUMNS)}) "  # noqa: S608 - fixed names
        f"SELECT 'R-B-' || {_padded('i', 10, postgres)}, "
        f"{committees[0]} + i % {committees[1]}, 'r' || {_padded('i % 5000', 63, postgres)}, "
        "CASE WHEN i % 3 = 0 THEN 'telegram' ELSE 'sms' END, 'fr', "
        f"{_case(CATEGORIES)}, i % {len(CATEGORIES)} IN ({urgent}), "
        f"{_case([p for p, _ in POINTS])}, {_case([r for _, r in POINTS])}, "
        f"{_moment('r - before', postgres)}, 'day', {_moment('r', postgres)}, "
        "total, total / 3, total / 5, 'received', FALSE "
        f"FROM ({numbered}) AS numbered")


def _insert_inbound(n: int, end: datetime, contacts: tuple[int, int], first: int,
                    postgres: bool) -> str:
    start, step = _start_and_step(end, n)
    numbered = _series(first, n, postgres, (
        f"SELECT i, {start} + CAST((i - {first} + {_scatter(3)}) * {step!r} AS BIGINT) AS r"))
    return (
        f"INSERT INTO inbound_messages ({', '.join(INBOUND_COLUMNS)}) "  # noqa: S608
        "SELECT CASE WHEN i % 4 = 0 THEN 'sms' ELSE 'telegram' END, 'bench-' || i, 'text', "
        f"{contacts[0]} + i % {contacts[1]}, {_moment('r', postgres)} "
        f"FROM ({numbered}) AS numbered")


def _postgres_bulk(store: Store, statements: list[str]) -> None:
    """The inserts in one transaction, then ANALYZE (the driver's own calls: no parameters,
    so the ``%`` of the statements is the modulo).

    The seeded tables' indexes, unique and foreign-key constraints (all but their primary
    keys) are dropped for the inserts and made again from their own definitions in the same
    transaction: one sorted build (or one checking join) each, where keeping them up row by
    row scattered writes over indexes larger than the server's buffers and checked every
    row's keys one at a time (most of the time, measured). They come back the same, names,
    validation and all, so the digests are timed on the migrated schema."""
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        tables = "('reports', 'inbound_messages')"
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM "
            f"pg_constraint WHERE contype IN ('u', 'f') AND conrelid::regclass::text IN {tables}")
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            f"AND tablename IN {tables} AND indexname NOT IN (SELECT conname FROM pg_constraint)")
        indexes = cursor.fetchall()
        for table, name, _ in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        for statement in statements:
            cursor.execute(statement)
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        raw.commit()
        cursor.execute("ANALYZE")  # planner statistics, as a live database would have
        raw.commit()
    finally:
        raw.close()


def _sqlite_bulk(store: Store, statements: list[str]) -> None:
    """The inserts in one transaction with the journal, syncing and foreign-key checks off (a
    crash would only lose a throw-away bench file; the ids are taken from the tables they
    point to) and a large page cache, the named indexes dropped for the inserts and made
    again from their own SQL in the same transaction (as on PostgreSQL); then ANALYZE. The
    store's own settings (WAL, synchronous=NORMAL, foreign keys on) are put back before the
    connection returns to the pool."""
    raw = store.engine.raw_connection()
    cursor = raw.cursor()
    try:
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=OFF",
                       "cache_size=-262144"):  # 256 MB
            cursor.execute(f"PRAGMA {pragma}")
        cursor.execute("BEGIN IMMEDIATE")
        indexes = cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('reports', 'inbound_messages')").fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        for statement in statements:
            cursor.execute(statement)
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("COMMIT")
        cursor.execute("ANALYZE")  # planner statistics, as a live database would have
    finally:
        if cursor.connection.in_transaction:
            cursor.execute("ROLLBACK")
        for pragma in ("cache_size=-2000", "foreign_keys=ON", "synchronous=NORMAL",
                       "journal_mode=WAL"):
            cursor.execute(f"PRAGMA {pragma}")
        raw.close()


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

"""bench/digests.py's seeding at a tiny scale: the database makes the rows and the indexes are
dropped and built again around the inserts, so the store must come back as migrated, with rows
the models read as the app writes them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bench import digests
from bot.core.migrate import upgrade
from bot.core.models import Contact, InboundMessage
from bot.core.store import Store
from bot.features.committees.models import Committee, Report

TABLES = ("reports", "inbound_messages")


def _schema(store: Store) -> set[tuple[str, ...]]:
    """Every index and constraint of the seeded tables, as the database defines them."""
    with store.engine.connect() as conn:
        if store.is_postgres:
            indexes = conn.execute(text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
                "('reports', 'inbound_messages')")).all()
            constraints = conn.execute(text(
                "SELECT conname, pg_get_constraintdef(oid), convalidated::text FROM "
                "pg_constraint WHERE conrelid::regclass::text IN "
                "('reports', 'inbound_messages')")).all()
            return {tuple(r) for r in indexes} | {tuple(r) for r in constraints}
        rows = conn.execute(text(
            "SELECT type, name, coalesce(sql, '') FROM sqlite_master WHERE tbl_name IN "
            "('reports', 'inbound_messages')")).all()
        return {tuple(r) for r in rows}


def test_seeding_leaves_the_migrated_schema_and_rows_the_models_read(empty_store):
    store = empty_store
    upgrade(store)
    migrated = _schema(store)
    end = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    # the bench's two levels: a tenth first, then the rest on top
    digests.seed(store, reports=100, inbound=200, end=end)
    digests.seed(store, reports=900, inbound=1800, end=end, start_index=100)

    assert _schema(store) == migrated  # every index and constraint back, as defined
    with Session(store.engine) as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 1000
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 2000
        # every row points at a real committee / contact (the checks were off while seeding)
        assert session.scalar(select(func.count()).select_from(Report).join(
            Committee, Committee.id == Report.committee_id)) == 1000
        assert session.scalar(select(func.count()).select_from(InboundMessage).join(
            Contact, Contact.id == InboundMessage.contact_id)) == 2000
        assert session.scalar(select(func.count(func.distinct(Report.reference)))) == 1000
        reports = session.scalars(select(Report).order_by(Report.id)).all()
        for level in (reports[:100], reports[100:]):  # each level in time order over the year
            times = [r.received_at for r in level]
            assert times == sorted(times)
            assert end - digests.YEAR <= times[0] and times[-1] <= end
            assert (times[-1] - times[0]).days > 300
        for report in reports:
            assert report.received_at.utcoffset() is not None  # read back as UTC moments
            assert report.occurred_at <= report.received_at
            assert (report.total is None) == (report.category == "nothing")
            assert report.urgent == (report.category in digests.URGENT)
        inbound = session.scalars(select(InboundMessage.received_at)).all()
        assert all(end - digests.YEAR <= t <= end for t in inbound)
    if not store.is_postgres:  # the store's own settings, back on its pooled connection
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL

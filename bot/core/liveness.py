"""Each sending device's last sign of life (a gateway phone: a signed webhook, an accepted
send), kept in the store so that the web process, the handling process, the silence watch,
``/readyz`` and the operations page agree whichever process saw it.

A sign of life is written at most every ``write_every`` seconds per device (a webhook a second
must not become a write a second); this process's own latest is merged in when read. A store
that cannot be reached loses nothing the webhook needs: the memory still answers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models import Base
from bot.core.store import Store

log = logging.getLogger(__name__)
__all__ = ["DeviceLiveness", "Liveness"]


class DeviceLiveness(Base):
    """One sending device (a gateway phone, by its configured name: no person's data)."""

    __tablename__ = "device_liveness"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_seen_at: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
    failure: Mapped[str | None] = mapped_column(String(80))


class Liveness:
    """When each device last showed it was alive and last failed: in the store once
    :meth:`bind` gave one, else in this process only."""

    def __init__(self, store: Store | None = None, write_every: float = 30.0) -> None:
        self.store, self.write_every = store, write_every
        self._seen: dict[str, datetime] = {}
        self.failed: dict[str, tuple[datetime, str]] = {}
        self._written: dict[str, float] = {}  # monotonic time of each device's last write

    def bind(self, store: Store | None) -> None:
        """Keep signs in ``store`` from now on; None: in this process only again."""
        self.store = store

    def due(self, name: str) -> bool:
        """Whether :meth:`alive` would write to the store now (callers on an event loop run
        it in a thread then)."""
        return (self.store is not None
                and time.monotonic() - self._written.get(name, -1e9) >= self.write_every)

    def alive(self, name: str, at: datetime | None = None) -> None:
        self._seen[name] = at = at or datetime.now(UTC)
        if self.due(name):
            self._written[name] = time.monotonic()
            self._write(name, last_seen_at=at)

    def failure(self, name: str, what: str) -> None:
        self.failed[name] = (now := datetime.now(UTC), what)
        if self.store is not None:
            self._write(name, last_failure_at=now, failure=what[:80])

    def forget(self, name: str) -> None:
        """No sign of life known for ``name`` any more (a phone removed; tests)."""
        self._seen.pop(name, None)
        self.failed.pop(name, None)
        self._written.pop(name, None)
        if self.store is not None:
            with self.store.session() as session:
                session.execute(delete(DeviceLiveness).where(DeviceLiveness.name == name))

    @property
    def seen(self) -> dict[str, datetime]:
        """Each device's last sign of life: the store's, or this process's when later (with no
        store: this process's own dict)."""
        if self.store is None:
            return self._seen
        merged = dict(self._seen)
        for row in self._rows():
            if row.last_seen_at is not None and (
                    row.name not in merged or _aware(row.last_seen_at) > merged[row.name]):
                merged[row.name] = _aware(row.last_seen_at)
        return merged

    def report(self, phones: Sequence[Any]) -> dict[str, dict[str, str | None]]:
        """For /readyz and the operations page: each device's last sign of life and failure."""
        seen, failed = self.seen, dict(self.failed)
        for row in self._rows():
            if row.last_failure_at is not None and (
                    row.name not in failed or _aware(row.last_failure_at) > failed[row.name][0]):
                failed[row.name] = (_aware(row.last_failure_at), row.failure or "")
        out = {}
        for phone in phones:
            last, fail = seen.get(phone.name), failed.get(phone.name)
            out[phone.name] = {"last_seen": last.isoformat() if last else None,
                               "last_failure": fail[0].isoformat() if fail else None,
                               "failure": fail[1] if fail else None}
        return out

    def _rows(self) -> list[DeviceLiveness]:
        if self.store is None:
            return []
        try:
            with self.store.session() as session:
                rows = list(session.scalars(select(DeviceLiveness)))
                session.expunge_all()
                return rows
        except Exception:  # noqa: BLE001 - the memory answers while the store is away
            log.warning("device liveness: store unreachable, this process's view only")
            return []

    def _write(self, name: str, **values: Any) -> None:
        assert self.store is not None
        try:
            for _ in range(2):  # an insert racing another process's: update the second time
                with self.store.session() as session:
                    done = session.execute(update(DeviceLiveness)
                                           .where(DeviceLiveness.name == name).values(**values))
                    if done.rowcount:  # type: ignore[attr-defined]
                        return
                try:
                    with self.store.session() as session:
                        session.add(DeviceLiveness(name=name, **values))
                    return
                except IntegrityError:
                    continue
        except Exception:  # noqa: BLE001 - a sign of life is never worth a failed webhook
            self._written.pop(name, None)  # written again at the next sign
            log.warning("device liveness of %s not stored (store unreachable)", name)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

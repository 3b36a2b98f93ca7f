"""A local spool for signed inbound SMS that arrived while the store was down.

Twilio does not retry an inbound SMS for long, so a message it delivered is kept on disk,
encrypted, and put into the intake when the store is back, to be handled there as any other
message: one at a time per person and in order. Files are named by the time they were
written, so they are flushed in the order they came; while any wait, the webhook spools the
next SMS too (``holding``), so that one that came later does not overtake them. Ingestion is
idempotent (MessageSid is unique in the intake and in the inbox), so flushing twice inserts once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from bot.core.crypto import Vault
from bot.core.errors import StoreUnavailable

log = logging.getLogger(__name__)
Ingest = Callable[[str, dict[str, str], datetime | None], object]


class Spool:
    def __init__(self, directory: Path, vault: Vault) -> None:
        self.directory, self.vault = directory, vault
        self._lock = threading.Lock()  # a put and the end of a flush, one at a time
        self._holding = bool(self.pending())

    @property
    def holding(self) -> bool:
        """Whether SMS wait here: a new one must queue behind them, not overtake them."""
        return self._holding

    def put(self, channel: str, form: Mapping[str, str],
            received_at: datetime | None = None) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        record = {"channel": channel, "form": dict(form),
                  "received_at": received_at.isoformat() if received_at else None}
        data = self.vault.encrypt(json.dumps(record))
        final = self.directory / f"{time.time_ns():020d}-{uuid.uuid4().hex}.msg"
        tmp = final.with_suffix(".tmp")
        with self._lock:
            with tmp.open("w") as handle:  # write, fsync, rename: never a half file
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            tmp.rename(final)
            self._holding = True
        return final

    def pending(self) -> list[Path]:
        return sorted(self.directory.glob("*.msg")) if self.directory.exists() else []

    def set_aside(self) -> list[Path]:
        """Files that could not be ingested, kept for the operator (``/readyz`` counts them)."""
        return sorted(self.directory.glob("*.failed")) if self.directory.exists() else []

    def flush(self, ingest: Ingest) -> int:
        """Ingest every spooled message, oldest first; a file is removed only once the store
        has it. One that cannot be read or ingested is set aside (``.failed``), not retried:
        it must not hold back the others."""
        done = 0
        for path in self.pending():
            try:
                token = path.read_text()
            except FileNotFoundError:  # another flush took it meanwhile
                continue
            try:
                record = json.loads(self.vault.decrypt(token))
                when = record.get("received_at")
                ingest(record["channel"], record["form"],
                       datetime.fromisoformat(when) if when else None)
            except StoreUnavailable:
                log.warning("spool: store still unavailable, %s waiting", path.name)
                return done
            except Exception as exc:  # noqa: BLE001 - kept on disk for the operator
                log.error("spool file %s could not be ingested (%s); set aside as .failed",
                          path.name, type(exc).__name__)
                with contextlib.suppress(FileNotFoundError):
                    path.rename(path.with_suffix(".failed"))
                continue
            path.unlink(missing_ok=True)
            done += 1
        with self._lock:
            self._holding = bool(self.pending())
        return done

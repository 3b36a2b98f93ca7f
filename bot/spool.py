"""A local spool for signed inbound SMS that arrived while the store was down.

Twilio does not retry an inbound SMS for long, so a message it delivered is kept on disk,
encrypted, and ingested when the store is back. Ingestion is idempotent (MessageSid is unique
in the store), so flushing twice inserts once.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

from bot.crypto import Vault
from bot.errors import StoreUnavailable

log = logging.getLogger(__name__)


class Spool:
    def __init__(self, directory: Path, vault: Vault) -> None:
        self.directory, self.vault = directory, vault

    def put(self, channel: str, form: Mapping[str, str]) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        data = self.vault.encrypt(json.dumps({"channel": channel, "form": dict(form)}))
        final = self.directory / f"{uuid.uuid4().hex}.msg"
        tmp = final.with_suffix(".tmp")
        with tmp.open("w") as handle:  # write, fsync, rename: never a half file
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.rename(final)
        return final

    def pending(self) -> list[Path]:
        return sorted(self.directory.glob("*.msg")) if self.directory.exists() else []

    def flush(self, ingest: Callable[[str, dict[str, str]], object]) -> int:
        """Ingest every spooled message; a file is removed only once the store has it."""
        done = 0
        for path in self.pending():
            try:
                record = json.loads(self.vault.decrypt(path.read_text()))
            except (ValueError, OSError):
                log.error("spool file %s unreadable; left in place", path.name)
                continue
            try:
                ingest(record["channel"], record["form"])
            except StoreUnavailable:
                log.warning("spool: store still unavailable, %s waiting", path.name)
                return done
            path.unlink(missing_ok=True)
            done += 1
        return done

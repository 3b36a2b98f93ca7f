"""Each gateway phone's last sign of life, read by the webhook, the sender, /readyz and the
silence watch (webhooks/android_sms_watch.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.core.settings import AndroidPhone

__all__ = ["LIVENESS", "Liveness"]


class Liveness:
    """When each phone last showed it was alive (a signed webhook, an accepted send) and last
    failed, in this process (/readyz reads the web process's, where webhooks arrive)."""

    def __init__(self) -> None:
        self.seen: dict[str, datetime] = {}
        self.failed: dict[str, tuple[datetime, str]] = {}

    def alive(self, name: str) -> None:
        self.seen[name] = datetime.now(UTC)

    def failure(self, name: str, what: str) -> None:
        self.failed[name] = (datetime.now(UTC), what)

    def report(self, phones: Sequence[AndroidPhone]) -> dict[str, dict[str, str | None]]:
        out = {}
        for phone in phones:
            seen, failed = self.seen.get(phone.name), self.failed.get(phone.name)
            out[phone.name] = {"last_seen": seen.isoformat() if seen else None,
                               "last_failure": failed[0].isoformat() if failed else None,
                               "failure": failed[1] if failed else None}
        return out


LIVENESS = Liveness()

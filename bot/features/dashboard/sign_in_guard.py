"""What keeps dashboard sign-ins from being turned against the service or its staff.

- **Throttle, not lockout.** Failures are counted per client address *and* identifier; past
  ``dashboard_max_failures`` that pair waits, the wait doubling from
  ``dashboard_throttle_seconds`` up to ``dashboard_lock_minutes``. An account is never locked,
  so a stranger's failures never refuse the right code from its owner's address; an access
  code has ~79 bits, so slowing one address is enough. Unknown identifiers are counted the same
  way, so the answers never tell which identifiers exist.
- **Slots for verifications.** An Argon2id verification takes 64 MiB and tens of
  milliseconds of every core; forty at once stalled the webhooks for seconds. A verification
  needs a slot (a few in the process, one per client address); without one the sign-in is
  answered 429 at once, before any hashing.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.core.settings import Settings
from bot.features.dashboard.models import SignInThrottle

# Rows of pairs that stopped failing are forgotten after this long.
FORGET_AFTER = timedelta(days=1)


def identifier_key(settings: Settings, identifier: str) -> str:
    """A keyed hash of an identifier as typed (trimmed, case-folded)."""
    return _keyed(settings, "identifier\0" + identifier.strip().casefold())


def pair_key(settings: Settings, client: str, identifier: str) -> str:
    return _keyed(settings, f"pair\0{client}\0{identifier.strip().casefold()}")


def _keyed(settings: Settings, text: str) -> str:
    return hmac.new(settings.secret_key_or_dev(), b"sign-in:" + text.encode(),
                    hashlib.sha256).hexdigest()


def held_back(session: Session, settings: Settings, client: str, identifier: str,
              now: datetime) -> float:
    """Seconds this client must still wait before trying ``identifier`` again (0: may try)."""
    row = session.get(SignInThrottle, pair_key(settings, client, identifier))
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return 0.0
    return (row.blocked_until - now).total_seconds()


def record_failure(session: Session, settings: Settings, client: str, identifier: str,
                   now: datetime) -> float:
    """Count a failure; returns the wait it starts (0 while failures are still free)."""
    key = pair_key(settings, client, identifier)
    session.execute(delete(SignInThrottle).where(
        SignInThrottle.last_failure_at < now - FORGET_AFTER, SignInThrottle.key != key))
    row = session.get(SignInThrottle, key)
    if row is None:
        row = SignInThrottle(key=key, identifier_key=identifier_key(settings, identifier),
                             failures=0)
        session.add(row)
    row.failures, row.last_failure_at = row.failures + 1, now
    over = row.failures - settings.dashboard_max_failures
    if over < 0:
        return 0.0
    wait = min(settings.dashboard_throttle_seconds * 2 ** min(over, 30),
               settings.dashboard_lock_minutes * 60)
    row.blocked_until = now + timedelta(seconds=wait)
    return float(wait)


def forget(session: Session, settings: Settings, client: str, identifier: str) -> None:
    """A successful sign-in clears its pair's failures."""
    session.execute(delete(SignInThrottle).where(
        SignInThrottle.key == pair_key(settings, client, identifier)))


def release(session: Session, settings: Settings, identifier: str) -> int:
    """An administrator lets every address try ``identifier`` again; returns how many were
    held back."""
    result = session.execute(delete(SignInThrottle).where(
        SignInThrottle.identifier_key == identifier_key(settings, identifier)))
    return int(getattr(result, "rowcount", 0) or 0)


def held_identifiers(session: Session, settings: Settings, identifiers: list[str],
                     now: datetime) -> set[str]:
    """Which of ``identifiers`` some address is waiting to try again (for the users page)."""
    by_key = {identifier_key(settings, i): i for i in identifiers}
    rows = session.scalars(select(SignInThrottle.identifier_key).where(
        SignInThrottle.identifier_key.in_(by_key), SignInThrottle.blocked_until > now))
    return {by_key[key] for key in rows}


# The verifying threads' niceness (Linux: per thread, inherited by the threads libargon2
# starts for its lanes): when the cores are full, the webhooks' thread goes first.
VERIFY_NICE = 19


def _lower_priority() -> None:
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the slots still cap
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), VERIFY_NICE)


class VerificationSlots:
    """At most ``total`` code verifications at once in this process, ``per_client`` for one
    client address. ``take()`` never waits: no slot, no verification. ``executor`` runs them
    at the lowest CPU priority: when the cores are full, the webhooks go first."""

    def __init__(self, total: int, per_client: int) -> None:
        self.total, self.per_client = total, per_client
        self._lock = threading.Lock()
        self._busy: Counter[str] = Counter()
        self.executor = ThreadPoolExecutor(total, thread_name_prefix="sign-in",
                                           initializer=_lower_priority)

    @contextmanager
    def take(self, client: str) -> Iterator[bool]:
        """Yields whether a slot was free; frees it at the end of the block."""
        with self._lock:
            free = (sum(self._busy.values()) < self.total
                    and self._busy[client] < self.per_client)
            if free:
                self._busy[client] += 1
        try:
            yield free
        finally:
            if free:
                with self._lock:
                    self._busy[client] -= 1
                    if not self._busy[client]:
                        del self._busy[client]


__all__ = ["VerificationSlots", "forget", "held_back", "held_identifiers", "identifier_key",
           "pair_key", "record_failure", "release"]

"""An alert to the SP/CCM duty recipients when a gateway phone goes silent, and when it is back.

A phone shows it is alive by a signed webhook (a received SMS, a delivery report, or the app's
``system:ping``, which docs/CHANNELS.md asks to turn on) or an accepted send
(``android_sms.LIVENESS``, kept in the web process, where webhooks arrive and, by default, the
sender runs). Silent for ``HANYA_ANDROID_SMS_SILENT_MINUTES`` (60; 0: no alert): one alert, in
each recipient's language, through the outbox like every other; one more when it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.i18n import Translator
from bot.features.committees import alerts
from webhooks.android_sms_liveness import LIVENESS, Liveness
from webhooks.android_sms_texts import PHONE_BACK, PHONE_SILENT

log = logging.getLogger(__name__)


class SilenceWatch:
    """Tells the duty recipients when a phone has been silent too long, once, and when back."""

    def __init__(self, runtime: Any, settings: Any, liveness: Liveness = LIVENESS,
                 now: datetime | None = None) -> None:
        self.runtime, self.liveness = runtime, liveness
        self.phones = [phone.name for phone in settings.android_sms_phone_list()]
        self.silent_after = timedelta(minutes=settings.android_sms_silent_minutes)
        self.zone = settings.timezone
        self.started = now or datetime.now(UTC)  # a phone never heard from: since start
        self.silent: set[str] = set()

    def check(self, now: datetime | None = None) -> list[str]:
        """Alert about each phone that went silent or came back; return their names."""
        now = now or datetime.now(UTC)
        changed = []
        for name in self.phones:
            last = self.liveness.seen.get(name) or self.started
            quiet = now - last >= self.silent_after
            if quiet != (name in self.silent):
                (self.silent.add if quiet else self.silent.discard)(name)
                self._alert(name, last if quiet else None)
                changed.append(name)
        return changed

    def _alert(self, name: str, silent_since: datetime | None) -> None:
        def compose(t: Translator, lang: str) -> str:
            if silent_since is None:
                return t(PHONE_BACK, phone=name)
            return t(PHONE_SILENT, phone=name, when=alerts.when(t, silent_since, self.zone))

        with self.runtime.store.session() as session:
            alerts.fan_out(session, self.runtime.vault, self.runtime.content.current, compose)
        log.warning("gateway phone %s %s", name, "silent" if silent_since else "back")

    async def run(self, wake: Callable[[], None], stopping: asyncio.Event,
                  every: float = 60.0) -> None:
        while not stopping.is_set():
            try:
                if await asyncio.to_thread(self.check):
                    wake()
            except Exception:  # the store down: the next look tries again
                log.exception("gateway phone watch failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=every)


def watch(runtime: Any, settings: Any, wake: Callable[[], None],
          stopping: asyncio.Event) -> Any:
    """The watch's task body, or None when no phone is set up or alerts are off."""
    if not settings.android_sms_phone_list() or settings.android_sms_silent_minutes <= 0:
        return None
    return SilenceWatch(runtime, settings).run(wake, stopping)

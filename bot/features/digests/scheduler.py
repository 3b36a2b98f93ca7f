"""When digests go out: APScheduler 3 in the service's time zone (Africa/Niamey, no DST).

At each fire the job asks the store which recipients still lack the digest of the period that
just ended, queues it for them, and wakes the sender. On start the same job runs once per
digest: a period whose 07:00 passed while the service was down is sent then. Several processes
may run this scheduler; the store's unique key lets one copy through.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.core.command_line import Running
from bot.core.models import utcnow
from bot.features.digests import kinds
from bot.features.digests.digest import send_digest
from bot.features.digests.render import DigestRenderer

log = logging.getLogger(__name__)


def make_trigger(expression: str, tz: ZoneInfo) -> CronTrigger:
    """A cron line: the usual 5 fields, or 6 with seconds first (tests).

    Weekdays by name (``mon``): APScheduler 3 counts 0 as Monday where cron counts Sunday.
    """
    fields = expression.split()
    if len(fields) == 6:
        second, minute, hour, day, month, weekday = fields
        return CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month,
                           day_of_week=weekday, timezone=tz)
    return CronTrigger.from_crontab(expression, timezone=tz)


def latest_fire(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The last time ``trigger`` fired at or before ``now`` (looking back up to a year)."""
    span = timedelta(seconds=1)
    while span <= timedelta(days=400):
        first = trigger.get_next_fire_time(None, now - span)
        if first is not None and first <= now:
            last = first
            while (following := trigger.get_next_fire_time(last, last)) and following <= now:
                last = following
            return last
        span *= 2
    return None


class DigestJobs:
    """The work done at each fire, with the clock injectable for tests."""

    def __init__(self, runtime: Running, wake: Callable[[], None] = lambda: None, *,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.runtime, self.wake, self.clock = runtime, wake, clock
        settings = runtime.settings
        self.tz = ZoneInfo(settings.timezone)
        self.triggers = {kind.name: make_trigger(kind.cron(settings), self.tz)
                         for kind in kinds.kinds()}

    def run(self, kind: str, now: datetime | None = None) -> int:
        """Queue the ``kind`` digest of the period that ended at its last fire, if still due."""
        fired = latest_fire(self.triggers[kind], now or self.clock())
        if fired is None:
            return 0
        settings, source = self.runtime.settings, self.runtime.content
        content = source.current
        renderer = DigestRenderer(content, settings.digest_small_cell, settings.chart_dir,
                                  settings.sms_max_segments)
        queued = send_digest(self.runtime.store, self.runtime.vault, content, kind,
                             fired.astimezone(self.tz).date(), self.tz, renderer,
                             silent_days=settings.digest_silent_days,
                             content_error=source.last_error)
        if queued:
            self.wake()
        return queued

    def catch_up(self, now: datetime | None = None) -> int:
        """Send every digest whose last period was never sent (the service was down)."""
        return sum(self.run_safely(kind, now) for kind in self.triggers)

    def run_safely(self, kind: str, now: datetime | None = None) -> int:
        try:
            return self.run(kind, now)
        except Exception:  # a failed digest must not stop the scheduler; the next fire retries
            log.exception("%s digest failed", kind)
            return 0


class DigestScheduler:
    """APScheduler's background scheduler running ``DigestJobs`` at their cron times."""

    def __init__(self, jobs: DigestJobs, *, catch_up: bool = True) -> None:
        self.jobs, self.catch_up = jobs, catch_up
        self.scheduler = BackgroundScheduler(timezone=jobs.tz)

    def start(self) -> None:
        for kind, trigger in self.jobs.triggers.items():
            # coalesce: several missed fires are one run; the store decides what is still due.
            self.scheduler.add_job(self.jobs.run_safely, trigger, args=[kind], id=kind,
                                   coalesce=True, max_instances=1, misfire_grace_time=3600)
        if self.catch_up:
            self.scheduler.add_job(self.jobs.catch_up, id="catch-up")  # once, now
        self.scheduler.start()
        log.info("digest scheduler started (%s)", ", ".join(
            f"{k}: {t}" for k, t in self.jobs.triggers.items()))

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)


def start_scheduler(runtime: Running, wake: Callable[[], None]) -> DigestScheduler:
    """Start the digest scheduler for a running service (see ``webhooks/app.py``)."""
    scheduler = DigestScheduler(DigestJobs(runtime, wake))
    scheduler.start()
    return scheduler

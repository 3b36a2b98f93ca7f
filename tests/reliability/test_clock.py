"""Time: a clock that jumps back (NTP correction, a VM restored) or forward never sends a digest
twice; the store's (digest, period, recipient) key decides, not the scheduler's memory."""

from __future__ import annotations

from datetime import date, timedelta

from bot.app.runtime import build_runtime
from bot.features.digests.scheduler import DigestJobs
from tests.test_digest_schedule import add_duty, mark_sent, niamey, runs
from webhooks.channels import channel_traits


def test_a_clock_jumping_back_across_seven_does_not_send_the_daily_digest_twice(store,
                                                                               settings):
    duty = add_duty(store, settings)
    jobs = DigestJobs(build_runtime(settings, channel_traits(settings), store))
    day = date(2026, 11, 24)
    mark_sent(store, duty, "daily", day - timedelta(days=1))  # yesterday's went out as usual
    assert jobs.run("daily", niamey(day, 7)) == 1  # 07:00 in Niamey: sent
    assert jobs.run("daily", niamey(day, 6, 55)) == 0  # the clock jumped back 5 minutes
    assert jobs.run("daily", niamey(day, 7)) == 0  # and 07:00 comes round again
    assert jobs.run("daily", niamey(day, 7) + timedelta(hours=1)) == 0  # a later fire, same day
    assert runs(store) == [("daily", "2026-11-22", duty), ("daily", "2026-11-23", duty)]


def test_a_clock_jumping_forward_a_day_sends_the_latest_period_once(store, settings):
    duty = add_duty(store, settings)
    jobs = DigestJobs(build_runtime(settings, channel_traits(settings), store))
    day = date(2026, 11, 24)
    assert jobs.run("daily", niamey(day, 7)) == 1
    assert jobs.run("daily", niamey(day + timedelta(days=1), 7, 30)) == 1  # jumped a day
    assert jobs.run("daily", niamey(day + timedelta(days=1), 7, 31)) == 0
    assert runs(store) == [("daily", "2026-11-23", duty), ("daily", "2026-11-24", duty)]

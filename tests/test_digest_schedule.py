"""When digests go out: catch-up after downtime (the store decides), the app's scheduler at
start, and two scheduler processes racing over the same fire times."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from bot.app.runtime import build_runtime
from bot.core.crypto import Vault
from bot.core.models import OutboxMessage
from bot.core.recipients import Recipient, add_recipient
from bot.features.digests.digest import period_for, period_key
from bot.features.digests.models import DigestRun
from bot.features.digests.scheduler import DigestJobs, latest_fire, make_trigger
from tests.conftest import wait_outbox_drained
from webhooks.channels import channel_traits

TZ = ZoneInfo("Africa/Niamey")
DUTY = 9200001


def niamey(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def add_duty(store, settings, chat: int = DUTY, subscriptions=("daily",)) -> int:
    with store.session() as session:
        return add_recipient(session, Vault(settings.secret_key_or_dev()), name="Permanence",
                             address=f"telegram:{chat}", language="fr",
                             subscriptions=list(subscriptions)).id


def mark_sent(store, recipient_id: int, kind: str, sent_on: date) -> None:
    with store.session() as session:
        session.add(DigestRun(digest=kind, period=period_key(period_for(kind, sent_on)),
                              recipient_id=recipient_id))


def runs(store) -> list[tuple[str, str, int]]:
    with store.session() as session:
        return [tuple(r) for r in session.execute(select(
            DigestRun.digest, DigestRun.period, DigestRun.recipient_id).order_by(DigestRun.id))]


def test_latest_fire_is_seven_in_niamey_and_monday_for_the_weekly():
    daily, weekly = make_trigger("0 7 * * *", TZ), make_trigger("0 7 * * mon", TZ)
    assert latest_fire(daily, niamey(date(2026, 11, 24), 6, 59)) == niamey(date(2026, 11, 23), 7)
    assert latest_fire(daily, niamey(date(2026, 11, 24), 7)) == niamey(date(2026, 11, 24), 7)
    # Wednesday 25 November 2026: the last Monday at 07:00 was the 23rd.
    assert latest_fire(weekly, niamey(date(2026, 11, 25), 12)) == niamey(date(2026, 11, 23), 7)


def test_service_down_across_seven_sends_the_missed_daily_digest_on_restart(store, settings):
    duty = add_duty(store, settings)
    today = date(2026, 11, 24)
    mark_sent(store, duty, "daily", today - timedelta(days=1))  # sent yesterday, then down
    jobs = DigestJobs(build_runtime(settings, channel_traits(settings), store))
    assert jobs.catch_up(niamey(today, 6, 50)) == 0  # before 07:00: nothing is missing
    assert jobs.catch_up(niamey(today, 9, 30)) == 1  # back at 09:30: the 07:00 one goes now
    assert jobs.catch_up(niamey(today, 9, 31)) == 0  # and only once
    assert runs(store)[-1] == ("daily", "2026-11-23", duty)


def test_app_start_sends_the_digest_missed_while_down_through_the_sender(
        settings, store, bot_api):
    duty = add_duty(store, settings)
    jobs = DigestJobs(build_runtime(settings, channel_traits(settings), store))
    fired = latest_fire(jobs.triggers["daily"], datetime.now(TZ))
    mark_sent(store, duty, "daily", fired.date() - timedelta(days=1))  # the one before
    settings.run_scheduler = True
    from webhooks.app import create_app

    with TestClient(create_app(settings)):
        [digest] = bot_api.wait_sent(1, chat_id=DUTY, timeout=15)
        wait_outbox_drained(store)
    covered = fired.date() - timedelta(days=1)
    assert digest["text"].startswith("Synthèse quotidienne Hanya du ")
    assert runs(store)[-1] == ("daily", covered.isoformat(), duty)
    assert len(bot_api.sent(DUTY)) == 1


def scheduler_process(settings, tmp_path, seconds: float) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANYA_")}
    env.update({"HANYA_DATABASE_URL": settings.database_url,
                "HANYA_SECRET_KEY": settings.secret_key.get_secret_value(),
                "HANYA_SPOOL_DIR": str(tmp_path / "spool"),
                # A fire every two seconds: the processes meet several period boundaries.
                "HANYA_DIGEST_DAILY_CRON": "*/2 * * * * *",
                "HANYA_DIGEST_WEEKLY_CRON": "0 7 1 1 *"})
    return subprocess.Popen(
        [sys.executable, "-c", "from bot.app.cli import app; app()", "digest", "schedule",
         "--seconds", str(seconds), "--no-catch-up"], env=env, cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.parametrize("processes", [2])
def test_two_scheduler_processes_over_the_same_fires_queue_one_digest_per_recipient(
        store, settings, tmp_path, processes):
    recipients = [add_duty(store, settings, chat=DUTY + n) for n in range(3)]
    running = [scheduler_process(settings, tmp_path, seconds=7) for _ in range(processes)]
    for process in running:
        assert process.wait(timeout=60) == 0
    assert sorted(r[2] for r in runs(store)) == recipients  # one run per recipient
    with store.session() as session:
        digests = session.scalar(select(func.count()).select_from(OutboxMessage))
        assert digests == len(recipients)  # and one message each, nothing twice
        assert session.scalar(select(func.count()).select_from(Recipient)) == 3

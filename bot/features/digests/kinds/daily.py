"""The daily digest: the day before, at ``HANYA_DIGEST_DAILY_CRON`` (07:00)."""

from __future__ import annotations

from datetime import date

from bot.core.i18n import Translator
from bot.features.digests import texts as dt
from bot.features.digests.kinds import DigestKind, register


def title(t: Translator, start: date, end: date) -> str:
    return t(dt.DAILY_TITLE, day=t.date(start))


DAILY = register(DigestKind("daily", days=1, cron=lambda settings: settings.digest_daily_cron,
                            title=title))

"""The weekly digest: the seven days before, at ``HANYA_DIGEST_WEEKLY_CRON`` (Monday 07:00),
with the logframe indicators of the week and of the week before (and their chart)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.core.content import Content
from bot.core.i18n import Translator
from bot.features.digests import texts as dt
from bot.features.digests.digest import Digest, figures, previous
from bot.features.digests.kinds import DigestKind, register


def title(t: Translator, start: date, end: date) -> str:
    return t(dt.WEEKLY_TITLE, start=t.date(start), end=t.date(end))


def indicators(digest: Digest, session: Session, content: Content, tz: ZoneInfo) -> None:
    digest.current = figures(session, content, digest.period, tz)
    digest.before = figures(session, content, previous(digest.period), tz)


WEEKLY = register(DigestKind("weekly", days=7, cron=lambda settings: settings.digest_weekly_cron,
                             title=title, extend=indicators))

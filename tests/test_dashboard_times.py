"""Every time a person reads on the dashboard is Niamey time with the zone named (issue 21).

Reports, ideas, digests sent, failed messages, sign-ins and the audit log all hold times; every
page is rendered with them in the store, and every clock time shown must read "HH:MM (Niamey)"
and never "UTC" (the operations and users pages printed UTC).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot.core.crypto import Vault
from bot.core.models import OutboxMessage
from bot.features.dashboard.models import DashboardUser
from bot.features.ideas.models import Idea
from tests.dashboard_support import seed_reports, signed_in
from tests.test_dashboard_operations import dash, send_daily_digest  # noqa: F401 (fixture)
from tests.test_dashboard_words import PAGES, visible

TZ = ZoneInfo("Africa/Niamey")
# 07:45 UTC is 08:45 in Niamey: a page in UTC shows 07:45.
SIGNED_IN_AT = datetime.now(UTC).replace(hour=7, minute=45, second=0, microsecond=0)
CLOCK = re.compile(r"(?<![\d:])\d{2}:\d{2}(?::\d{2})?(?![\d:])")


def seed(store, settings) -> list[str]:
    """Data with times on every page; returns the pages of one report and one idea."""
    vault = Vault(settings.secret_key_or_dev())
    ids = seed_reports(store, vault)
    send_daily_digest(store, settings)
    with store.session() as session:
        session.add(Idea(reference="I-2026-00001", text_enc=vault.encrypt("une radio à Arlit"),
                         channel="sms", language="fr", theme=None))
        first = session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)).first()
        session.execute(update(OutboxMessage).where(OutboxMessage.id == first).values(
            status="failed", last_error="400 chat not found"))
    assert ids
    return ["/dashboard/reports/R-2026-00001", "/dashboard/ideas/I-2026-00001"]


def test_every_time_on_every_page_is_niamey_time_with_the_zone_named(dash, store,  # noqa: F811
                                                                     settings):
    pages = PAGES + seed(store, settings)
    signed_in(dash, store, "admin-times", "admin")
    with store.session() as session:
        session.execute(update(DashboardUser).values(last_sign_in_at=SIGNED_IN_AT))
    start = (datetime.now(UTC) - timedelta(days=90)).date().isoformat()
    shown = 0
    for page in pages:
        query = f"?start={start}" if page in ("/dashboard", "/dashboard/reports") else ""
        response = dash.get(page + query)
        assert response.status_code == 200, page
        text = " ".join(visible(response.text))
        assert "UTC" not in text, page
        for clock in CLOCK.finditer(text):
            shown += 1
            assert text[clock.end():].startswith(" (Niamey)"), (page, text[clock.start():][:40])
    assert shown >= 6  # report, idea, digest, failed message, sign-in, audit
    users = " ".join(visible(dash.get("/dashboard/admin/users").text))
    niamey = SIGNED_IN_AT.astimezone(TZ).strftime("%Y-%m-%d %H:%M")
    assert f"{niamey} (Niamey)" in users
    assert SIGNED_IN_AT.strftime("%Y-%m-%d %H:%M") not in users

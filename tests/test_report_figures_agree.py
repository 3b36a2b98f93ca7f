"""One definition of each report figure (issue 21): for the same period the digest, the
dashboard, the CSV/HXL export and the partner API must say the same numbers.

The period holds what made them disagree before (dashboard 14 reports / 4 urgent, digest 5 / 3):
a duplicate, a "nothing to report", a withdrawn and a rejected report (each urgent or with
people), a report whose count is unknown, and a report received just after the period.
Runs on SQLite and, with HANYA_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import hxl
import pytest
from starlette.testclient import TestClient

from bot.core.content import load_content
from bot.core.crypto import vault_from_settings
from bot.features.committees.models import (
    DUPLICATE,
    NOTHING,
    REJECTED,
    WITHDRAWN,
    Committee,
    Report,
)
from bot.features.dashboard import auth
from bot.features.dashboard.indicators import Period
from bot.features.digests.digest import build_digest
from tests.dashboard_support import signed_in

ROOT = Path(__file__).resolve().parents[1]
TZ = ZoneInfo("Africa/Niamey")
DAY = datetime.now(TZ).date() - timedelta(days=2)  # a whole day that is over
PERIOD = Period(DAY, DAY)
QUERY = f"start={DAY}&end={DAY}"

# (category, urgent, total, women, children, status, hour (Niamey); 24: the next day 00:30)
SEED = [
    ("expulsion", False, 120, 25, 15, "received", 9),
    ("stranded", True, 40, 10, 5, "verified", 10),
    ("expulsion", True, None, None, None, "received", 11),  # count unknown
    ("death", False, 3, 1, None, "received", 0),  # 00:10 Niamey is the day before in UTC
    ("expulsion", False, 120, 25, 15, DUPLICATE, 12),
    (NOTHING, False, None, None, None, "received", 13),
    ("stranded", True, 60, 9, 9, WITHDRAWN, 14),
    ("expulsion", True, 99, 9, 9, REJECTED, 15),
    ("expulsion", True, 77, 7, 7, "received", 24),  # the next day: another period
]
# What counts: the first four reports.
EXPECTED = {"reports": 4, "urgent": 2, "people": 163, "women": 36, "children": 20}


@pytest.fixture
def dash(settings, store):
    from webhooks.app import create_app

    settings.run_sender = False
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


def seed(store) -> None:
    with store.session() as session:
        committee = Committee(slug="assamaka", name="Comité Assamaka", point_id="assamaka",
                              region="NE001")
        session.add(committee)
        session.flush()
        for n, (category, urgent, total, women, children, status, hour) in enumerate(SEED):
            received = (datetime.combine(DAY + timedelta(days=1), time(0, 30), tzinfo=TZ)
                        if hour == 24 else datetime.combine(DAY, time(hour, 10), tzinfo=TZ))
            session.add(Report(
                reference=f"R-2026-{n + 1:05d}", committee_id=committee.id,
                reporter=f"rep-{n}", channel="sms", language="fr", category=category,
                urgent=urgent, point_id="assamaka", region="NE001",
                occurred_at=received - timedelta(days=3), occurred_precision="day",
                received_at=received, total=total, women=women, children=children,
                status=status))


def digest_figures(settings, store) -> dict[str, int]:
    content = load_content(ROOT / "content", ROOT / "locales")
    with store.session() as session:
        digest = build_digest(session, content, "daily", PERIOD, TZ,
                              vault=vault_from_settings(settings))
    # The digest names women and children per line only when every report of the line gave
    # them (issue 21, "not given"); its totals are reports, urgent reports and people.
    return {"reports": digest.reports, "urgent": len(digest.urgent), "people": digest.people}


def dashboard_figures(dash) -> dict[str, int]:
    page = dash.get(f"/dashboard?{QUERY}").text
    cards = {label: value for value, label in re.findall(
        r'<div class="card"><b>([^<]+)</b><span>([^<]+)</span>', page)}
    assert "excluding duplicates, withdrawn and rejected reports" in page  # the definition
    return {"reports": int(cards["Reports received"]), "urgent": int(cards["Urgent reports"]),
            "people": int(cards["People counted in the reports"]),
            "women": int(cards["Women among them"]),
            "children": int(cards["Children among them"])}


def export_figures(dash) -> dict[str, int]:
    response = dash.get(f"/dashboard/exports/report-aggregates.csv?{QUERY}&hxl=true")
    assert response.status_code == 200
    rows = list(hxl.data(io.BytesIO(response.content)))
    total = {tag: sum(int(r.get(tag) or 0) for r in rows) for tag in (
        "#indicator+reports+num", "#affected+total", "#affected+f", "#affected+children")}
    plain = list(csv.DictReader(io.StringIO(dash.get(
        f"/dashboard/exports/report-aggregates.csv?{QUERY}").content.decode("utf-8-sig"))))
    assert all("excluding duplicates, withdrawn" in r["note"] for r in plain)
    return {"reports": total["#indicator+reports+num"], "people": total["#affected+total"],
            "women": total["#affected+f"], "children": total["#affected+children"]}


def api_figures(dash, store) -> dict[str, int]:
    with store.session() as session:
        user, _ = auth.create_user(session, "officer-api", "officer")
        token = auth.issue_api_token(session, user)
    bearer = {"Authorization": f"Bearer {token}"}
    rows = dash.get(f"/api/v1/reports?{QUERY}", headers=bearer).json()["rows"]
    extra = {c["key"]: c["value"] for c in dash.get(
        f"/api/v1/indicators?{QUERY}", headers=bearer).json()["extra"]}
    figures = {name: sum(r[column] or 0 for r in rows) for name, column in (
        ("reports", "reports"), ("people", "total"), ("women", "women"),
        ("children", "children"))}
    assert {k: extra[k] for k in ("reports", "people", "women", "children")} == figures
    return {**figures, "urgent": extra["reports_urgent"]}


def test_digest_dashboard_export_and_api_agree_for_one_period(settings, store, dash):
    seed(store)
    digest = digest_figures(settings, store)
    signed_in(dash, store, "officer-1", "officer")
    dash.get("/dashboard/language/en?next=/dashboard")
    dashboard = dashboard_figures(dash)
    export = export_figures(dash)
    api = api_figures(dash, store)
    assert digest == {k: dashboard[k] for k in digest} == {k: EXPECTED[k] for k in digest}
    assert dashboard == EXPECTED
    assert export == {k: v for k, v in EXPECTED.items() if k != "urgent"}
    assert api == EXPECTED

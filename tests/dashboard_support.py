"""Helpers for the dashboard tests: accounts, signing in through the real form, seeded data."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from starlette.testclient import TestClient

from bot.core.crypto import Vault
from bot.core.models import InfoRequest
from bot.core.store import Store
from bot.features.committees.models import Committee, Report
from bot.features.dashboard import auth

PHONE = "+22790112233"
PHONE_SPACED = "+227 90 11 22 33"
NOW = datetime.now(UTC)


def add_user(store: Store, identifier: str, role: str) -> str:
    with store.session() as session:
        _user, code = auth.create_user(session, identifier, role)
    return code


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html)[1]  # type: ignore[index]


def sign_in(client: TestClient, identifier: str, code: str) -> Any:
    """Post the sign-in form as a browser would (with the form's CSRF token)."""
    page = client.get("/dashboard/sign-in")
    return client.post("/dashboard/sign-in", data={
        "identifier": identifier, "code": code, "csrf": csrf_of(page.text), "next": "/dashboard"},
        follow_redirects=False)


def signed_in(client: TestClient, store: Store, identifier: str, role: str) -> str:
    """A signed-in client; returns the session's CSRF token (read from a page)."""
    response = sign_in(client, identifier, add_user(store, identifier, role))
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/dashboard").text)


# The middle of the last month that is over: what a partner sees by default.
LAST_MONTH = datetime.combine(
    (NOW.date().replace(day=1) - timedelta(days=1)).replace(day=15), datetime.min.time(), UTC)


def seed_requests(store: Store, per_region: dict[str, int], topic: str = "rights",
                  at: datetime = NOW) -> None:
    points = {"NE001": "agadez", "NE008": "niamey", "NE007": "zinder", "NE002": "diffa"}
    with store.session() as session:
        for region, n in per_region.items():
            for i in range(n):
                session.add(InfoRequest(at=at - timedelta(hours=i + 1), channel="sms",
                                        language="fr", point_id=points.get(region),
                                        region=region, topic=topic))


def seed_reports(store: Store, vault: Vault) -> dict[str, int]:
    """Two committees, five reports; one raw text carries a phone number. Returns ids by ref."""
    rows = [
        # reference, committee, point, region, category, total, women, children, status, days ago
        ("R-2026-00001", 0, "assamaka", "NE001", "expulsion", 120, 25, 15, "received", 1),
        ("R-2026-00002", 0, "assamaka", "NE001", "expulsion", 118, 20, 10, "received", 1),
        ("R-2026-00003", 1, "agadez", "NE001", "stranded", 12, 3, 4, "received", 2),
        ("R-2026-00004", 1, "zinder", "NE007", "expulsion", 40, None, None, "verified", 3),
        ("R-2026-00005", 0, "assamaka", "NE001", "stranded", 7, 1, 2, "rejected", 60),
    ]
    with store.session() as session:
        committees = [Committee(slug="assamaka", name="Comité Assamaka", point_id="assamaka",
                                region="NE001"),
                      Committee(slug="agadez", name="=HYPERLINK(\"x\")", point_id="agadez",
                                region="NE001")]
        session.add_all(committees)
        session.flush()
        ids = {}
        for ref, c, point, region, cat, total, women, children, status, days in rows:
            report = Report(
                reference=ref, committee_id=committees[c].id, reporter=f"pseudo{ref[-1]}" * 4,
                channel="sms", language="fr", category=cat, urgent=cat == "stranded",
                point_id=point, region=region, occurred_at=NOW - timedelta(days=days),
                occurred_precision="day", total=total, women=women, children=children,
                status=status, raw_text_enc=vault.encrypt(
                    f"RAPPORT {point.upper()} {cat.upper()} {total} appelez {PHONE_SPACED}"),
                description_enc=vault.encrypt(f"sans eau, contact {PHONE}"))
            session.add(report)
            session.flush()
            ids[ref] = report.id
    return ids


def add_committee(store: Store, name: str, region: str = "NE001", *, days_old: int = 60,
                  active: bool = True) -> int:
    """A committee created ``days_old`` days ago (a new one is never "silent")."""
    with store.session() as session:
        committee = Committee(slug=name.lower().replace(" ", "-")[:40], name=name,
                              point_id="agadez", region=region, active=active,
                              created_at=NOW - timedelta(days=days_old))
        session.add(committee)
        session.flush()
        return committee.id


def add_report(store: Store, committee_id: int, occurred_at: datetime, *,
               category: str = "expulsion", region: str | None = "NE001",
               total: int | None = None, women: int | None = None,
               children: int | None = None, status: str = "received",
               received_at: datetime | None = None) -> str:
    """One report (no free text) with the next reference; returns the reference."""
    with store.session() as session:
        number = (session.scalar(select(func.count()).select_from(Report)) or 0) + 1
        reference = f"R-2026-{number:05d}"
        session.add(Report(
            reference=reference, committee_id=committee_id, reporter=f"reporter-{number}",
            channel="sms", language="fr", category=category, urgent=False, point_id="agadez",
            region=region, occurred_at=occurred_at, occurred_precision="day",
            received_at=received_at or occurred_at, total=total, women=women,
            children=children, status=status))
    return reference

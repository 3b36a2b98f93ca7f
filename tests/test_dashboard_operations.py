"""The operations page (digests sent, silent committees), the 403 page's layout, and expired
sessions being purged."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from bot.app.runtime import build_runtime
from bot.core.crypto import Vault
from bot.core.models import utcnow
from bot.core.recipients import Recipient, add_recipient
from bot.features.committees.models import NOTHING
from bot.features.dashboard.models import DashboardSession, DashboardUser
from bot.features.digests.models import DigestRun
from bot.features.digests.scheduler import DigestJobs
from tests.dashboard_support import (
    NOW,
    PHONE,
    add_committee,
    add_report,
    add_user,
    sign_in,
    signed_in,
)
from webhooks.channels import channel_traits

TZ = ZoneInfo("Africa/Niamey")
DUTY_CHAT = 880011223


@pytest.fixture
def dash(settings, store):
    from webhooks.app import create_app

    settings.run_sender = False
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


def send_daily_digest(store, settings) -> date:
    """Two recipients (SMS and Telegram); the real scheduler job queues today's daily digest."""
    vault = Vault(settings.secret_key_or_dev())
    with store.session() as session:
        add_recipient(session, vault, name="Permanence SP/CCM", address=f"tel:{PHONE}",
                      language="fr", subscriptions=["daily"])
        add_recipient(session, vault, name="Groupe GTM", address=f"telegram:{DUTY_CHAT}",
                      language="en", subscriptions=["daily", "weekly"])
    today = datetime.now(TZ).date()
    jobs = DigestJobs(build_runtime(settings, channel_traits(settings), store))
    assert jobs.run("daily", datetime.combine(today, time(9), tzinfo=TZ)) == 2
    return today


def seed_committees(store) -> None:
    arlit = add_committee(store, "Comité Arlit")
    add_committee(store, "Comité Dirkou")
    assamaka = add_committee(store, "Comité Assamaka")
    add_committee(store, "Comité Tahoua", active=False)
    add_committee(store, "Comité Nouveau", days_old=2)
    add_report(store, arlit, NOW - timedelta(days=10), category=NOTHING)
    add_report(store, assamaka, NOW - timedelta(days=2), category=NOTHING)


def section(page: str, heading: str) -> str:
    """The HTML from ``heading``'s <h2> to the next one (or the end of <main>)."""
    start = page.index(heading)
    end = min(i for i in (page.find("<h2", start), page.find("</main>", start)) if i > 0)
    return page[start:end]


def test_operations_lists_each_digest_with_its_recipient_by_name_only(dash, store, settings):
    today = send_daily_digest(store, settings)
    signed_in(dash, store, "officer-1", "officer")
    page = dash.get("/dashboard/operations")
    assert page.status_code == 200
    digests = section(page.text, "Synthèses envoyées")
    period = (today - timedelta(days=1)).isoformat()
    rows = re.findall(r"<tr><td>(.*?)<br><span class=\"muted\">(.*?)</span></td>"
                      r"<td>(.*?)<br><span class=\"muted\">(.*?)</span></td>"
                      r"<td class=\"nowrap\">(.*?)<br>"
                      r"<span class=\"muted\">\d\d:\d\d \(Niamey\)</span></td>"
                      r"<td class=\"n\">(\d+)</td></tr>", digests)
    assert sorted((r[0], r[1], r[2], r[3]) for r in rows) == [
        ("quotidienne", period, "Groupe GTM", "telegram"),
        ("quotidienne", period, "Permanence SP/CCM", "sms")]
    with store.session() as session:
        stored = dict(session.execute(select(Recipient.name, DigestRun.messages).join(
            DigestRun, DigestRun.recipient_id == Recipient.id)).all())
    assert {r[2]: int(r[5]) for r in rows} == stored and all(stored.values())
    assert {r[4][:10] for r in rows} == {utcnow().date().isoformat()}
    for leaked in (PHONE, PHONE[1:], "90112233", str(DUTY_CHAT), "tel:", "telegram:"):
        assert leaked not in page.text


def test_operations_lists_active_committees_silent_longer_than_the_setting(dash, store):
    seed_committees(store)
    signed_in(dash, store, "officer-1", "officer")
    silent = section(dash.get("/dashboard/operations").text, "Comités silencieux")
    assert "depuis 7 jours ou plus" in silent
    rows = re.findall(r"<tr><td>(Comité [^<]+)</td><td>([^<]+)</td></tr>", silent)
    assert rows == [("Comité Arlit", (NOW - timedelta(days=10)).strftime("%Y-%m-%d")),
                    ("Comité Dirkou", "jamais")]


def test_silent_committees_follow_digest_silent_days(settings, store):
    from webhooks.app import create_app

    seed_committees(store)
    settings.run_sender, settings.digest_silent_days = False, 14
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        signed_in(client, store, "admin-1", "admin")
        silent = section(client.get("/dashboard/operations").text, "Comités silencieux")
    assert "depuis 14 jours ou plus" in silent
    assert "Comité Dirkou" in silent and "Comité Arlit" not in silent


def test_operations_says_when_nothing_was_sent_and_nobody_is_silent(dash, store):
    signed_in(dash, store, "officer-1", "officer")
    page = dash.get("/dashboard/operations").text
    assert "Aucun : chaque comité actif a donné des nouvelles." in page
    assert "<td colspan=\"4\">Aucun.</td>" in section(page, "Synthèses envoyées")


def test_a_partner_gets_403_on_operations_without_its_data(dash, store, settings):
    send_daily_digest(store, settings)
    seed_committees(store)
    signed_in(dash, store, "partner-1", "partner")
    response = dash.get("/dashboard/operations")
    assert response.status_code == 403
    for leaked in ("Permanence SP/CCM", "Comité Dirkou", "Synthèses envoyées", "<table"):
        assert leaked not in response.text


def test_the_403_page_keeps_the_navigation_of_the_viewers_role(dash, store):
    signed_in(dash, store, "partner-1", "partner")
    response = dash.get("/dashboard/reports")
    assert response.status_code == 403 and "Non autorisé" in response.text
    nav = re.search(r"<nav>(.*?)</nav>", response.text, re.S)
    assert nav is not None
    assert re.findall(r'href="([^"]+)"', nav[1]) == ["/dashboard"]  # a partner's one page
    assert "partner-1" in response.text and 'action="/dashboard/sign-out"' in response.text


def test_the_403_page_of_an_officer_shows_the_officers_navigation(dash, store):
    signed_in(dash, store, "officer-1", "officer")
    response = dash.get("/dashboard/admin/users")
    assert response.status_code == 403
    nav = re.search(r"<nav>(.*?)</nav>", response.text, re.S)
    assert re.findall(r'href="([^"]+)"', nav[1]) == [
        "/dashboard", "/dashboard/reports", "/dashboard/ideas", "/dashboard/operations"]


def test_a_post_refused_by_role_also_keeps_the_navigation(dash, store):
    csrf = signed_in(dash, store, "officer-1", "officer")
    response = dash.post("/dashboard/admin/users", data={
        "csrf": csrf, "identifier": "intruder", "role": "admin"})
    assert response.status_code == 403 and "<nav>" in response.text
    with store.session() as session:
        assert session.scalar(select(DashboardUser).where(
            DashboardUser.identifier == "intruder")) is None


def test_signing_in_deletes_expired_sessions_and_keeps_live_ones(settings, store):
    from webhooks.app import create_app

    settings.run_sender = False
    codes = {name: add_user(store, name, "officer") for name in ("old-1", "live-1", "new-1")}
    for name in codes:
        with TestClient(create_app(settings), base_url="https://testserver") as client:
            assert sign_in(client, name, codes[name]).status_code == 303
    with store.session() as session:  # old-1 never came back: its session ran out
        old_id = session.scalar(select(DashboardUser.id).where(
            DashboardUser.identifier == "old-1"))
        session.execute(update(DashboardSession).where(DashboardSession.user_id == old_id)
                        .values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        assert sign_in(client, "new-1", codes["new-1"]).status_code == 303
    with store.session() as session:
        owners = sorted(session.scalars(select(DashboardUser.identifier).join(
            DashboardSession, DashboardSession.user_id == DashboardUser.id)))
    assert owners == ["live-1", "new-1", "new-1"]

"""The dashboard in a real browser: Debian's Chromium driven by Playwright, a real uvicorn.

Phone-sized screenshots of the overview and the report list are written under ``docs/``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import hxl
import pytest
from sqlalchemy import select

from bot.core.crypto import Vault
from bot.features.committees.models import Report
from tests.dashboard_support import LAST_MONTH, add_user, seed_reports, seed_requests
from tests.reliability.servers import free_port, in_thread
from tests.test_dashboard_operations import seed_committees, send_daily_digest

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE_VIEWPORT = {"width": 390, "height": 844}
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def server(settings, store) -> Iterator[str]:
    port = free_port()
    settings.public_url = f"http://127.0.0.1:{port}"
    seed_reports(store, Vault(settings.secret_key_or_dev()))
    seed_requests(store, {"NE001": 14, "NE008": 9, "NE007": 3, "NE002": 6})
    with in_thread(settings, port) as url:
        yield url


@pytest.fixture
def page(server):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(viewport=PHONE_VIEWPORT, base_url=server,
                                      accept_downloads=True)
        yield context.new_page()
        context.close()
        browser.close()


def sign_in(page, identifier: str, code: str) -> None:
    page.goto("/dashboard/sign-in")
    page.fill("input[name=identifier]", identifier)
    page.fill("input[name=code]", code)
    page.click("button[type=submit]")


def test_officer_signs_in_filters_verifies_and_exports_hxl(page, store, tmp_path):
    sign_in(page, "officer-1", add_user(store, "officer-1", "officer"))
    assert page.locator("h1").inner_text().startswith("Indicateurs du")
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "dashboard-overview-phone.png"), full_page=True)
    page.click("nav >> text=Rapports")
    page.select_option("select[name=category]", "expulsion")
    page.select_option("select[name=region]", "NE001")
    page.click("form[aria-label=Filtres] button[type=submit]")
    rows = page.locator("table tr td:first-child a")
    assert sorted(rows.all_inner_texts()) == ["R-2026-00001", "R-2026-00002"]
    page.screenshot(path=str(DOCS / "dashboard-reports-phone.png"), full_page=True)
    page.click("text=R-2026-00001")
    page.click("button:has-text('Vérifier')")
    assert "vérifié" in page.locator("h1").inner_text()
    with store.session() as session:
        assert session.scalar(select(Report.status).where(
            Report.reference == "R-2026-00001")) == "verified"
    page.goto("/dashboard")
    with page.expect_download() as download:
        page.click("text=Rapports (HXL)")
    target = tmp_path / "reports.csv"
    download.value.save_as(target)
    rows = list(hxl.data(io.BytesIO(target.read_bytes())))
    assert {r.get("#meta+id"): r.get("#status") for r in rows}["R-2026-00001"] == "verified"
    assert sum(int(r.get("#affected+total")) for r in rows) == 120 + 118 + 12 + 40


def test_partner_sees_aggregates_and_gets_403_on_a_report(page, store):
    # Partners see the last month that is over (webhooks/dashboard/periods.py).
    seed_requests(store, {"NE001": 14, "NE008": 3}, at=LAST_MONTH)
    sign_in(page, "partner-1", add_user(store, "partner-1", "partner"))
    assert page.locator("td", has_text="Niamey").first.is_visible()
    cells = page.locator("td.n").all_inner_texts()
    assert "<5" in cells and "14" in cells
    assert page.locator("nav >> text=Rapports").count() == 0
    response = page.goto("/dashboard/reports/R-2026-00001")
    assert response.status == 403
    assert "Non autorisé" in page.content() and "Comité Assamaka" not in page.content()
    page.click("nav >> text=Vue d’ensemble")  # the 403 page keeps the way back
    assert page.locator("h1").inner_text().startswith("Indicateurs du")


def test_officer_sees_digests_sent_and_silent_committees_on_a_phone(page, store, settings):
    seed_committees(store)
    send_daily_digest(store, settings)
    sign_in(page, "officer-1", add_user(store, "officer-1", "officer"))
    page.click("nav >> text=Exploitation")
    assert page.locator("h1").inner_text() == "Exploitation"
    digests = page.locator("h2:has-text('Synthèses envoyées') + p + div table")
    assert digests.locator("tr").count() == 3  # the header and one row per recipient
    assert "Permanence SP/CCM" in digests.inner_text()
    silent = page.locator("#silent + p + div table").inner_text()
    assert "Comité Dirkou" in silent and "jamais" in silent and "Comité Assamaka" not in silent
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"]  # no sideways scrolling on a phone
    page.screenshot(path=str(DOCS / "dashboard-operations-phone.png"), full_page=True)


def test_an_address_held_back_after_failures_is_told_so(page, store):
    code = add_user(store, "officer-2", "officer")
    for _ in range(5):
        sign_in(page, "officer-2", "wrong-wrong")
    assert "Trop d’échecs depuis cet endroit" in page.locator("[role=alert]").inner_text()
    sign_in(page, "officer-2", code)  # from the same address: it waits too
    assert "Trop d’échecs depuis cet endroit" in page.locator("[role=alert]").inner_text()
    assert page.url.endswith("/dashboard/sign-in")

"""/preview in a real browser: Debian's Chromium driven by Playwright against a real uvicorn
server on 127.0.0.1. Walks "help near you" in Hausa on SMS and in Arabic on Telegram and keeps
screenshots under docs/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.core.content import Content, load_content
from bot.core.models import Contact, InboundMessage
from bot.core.settings import ROOT, Settings
from tests.reliability.servers import in_thread

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
DOCS = ROOT / "docs"

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium "
                                 "(apt-get install chromium)")]


@pytest.fixture
def server(settings: Settings, store) -> Iterator[str]:
    """The real app under uvicorn in a thread, as `hanya serve` runs it."""
    with in_thread(settings) as url:
        yield url


@pytest.fixture
def page() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS,
                                             headless=True)
        context = browser.new_context(viewport={"width": 900, "height": 900}, locale="fr-FR")
        yield context.new_page()
        context.close()
        browser.close()


@pytest.fixture
def content(settings: Settings) -> Content:
    return load_content(settings.content_dir, settings.locales_dir)


def rows(store, model) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def start(page, server: str, language: str, channel: str) -> None:
    page.goto(f"{server}/preview")
    page.select_option("#language", language)
    page.check(f"input[name=channel][value={channel}]")
    page.click("#start")
    page.wait_for_selector("#chat")


def reply(page, text: str) -> None:
    page.fill("#text", text)
    page.click("#send")
    page.wait_for_load_state()


def test_help_near_you_in_hausa_on_sms(page, server, content, store):
    start(page, server, "ha", "sms")
    places = [p.id for p in content.points_in_order()]
    reply(page, str(places.index("assamaka") + 1))
    shown = [k for k in content.menu if content.topic("ha", k) is not None]
    reply(page, str(shown.index("help_near_you") + 1))
    last = page.locator(".bot").last
    bubble = last.locator(".bubble").inner_text()
    assert bubble.startswith(content.topic("ha", "help_near_you").sms)
    assert "Assamaka" in bubble and "COOPI" in bubble
    cost = last.locator(".cost").inner_text()
    assert re.search(r"\d+ SMS · (GSM-7|UCS-2) · \d+ unités", cost), cost
    assert page.locator(".bot .buttons").count() == 0  # SMS has no buttons
    page.screenshot(path=str(DOCS / "preview-sms-hausa.png"), full_page=True)
    assert rows(store, Contact) == 0 and rows(store, InboundMessage) == 0  # a throw-away store


def test_help_near_you_in_arabic_on_telegram(page, server, content, store):
    start(page, server, "ar", "telegram")
    page.get_by_role("button", name="Assamaka", exact=True).last.click()
    page.wait_for_load_state()
    title = content.topic("ar", "help_near_you").title
    page.get_by_role("button", name=title, exact=True).last.click()
    page.wait_for_load_state()
    last = page.locator(".bot").last
    text = last.locator(".bubble").inner_text()
    assert text.startswith(content.topic("ar", "help_near_you").text)
    assert "COOPI" in text
    assert last.locator(".bubble").evaluate("e => getComputedStyle(e).direction") == "rtl"
    menu = content.translator("ar")("Menu")
    assert last.locator(".buttons button").all_inner_texts() == [menu]
    assert last.locator(".cost").count() == 0  # Telegram: no SMS arithmetic
    page.screenshot(path=str(DOCS / "preview-telegram-arabic.png"), full_page=True)
    assert rows(store, Contact) == 0


def test_preview_is_refused_through_a_proxy(server):
    response = httpx.get(f"{server}/preview", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 403
    assert "only open from this machine" in response.json()["detail"]

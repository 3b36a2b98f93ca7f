"""A report's photo in a real browser (issue 21): an officer asks for it on the report's page,
Chromium loads it from the dashboard, which fetched it through the bot from the fake Bot API;
the picture is decoded and drawn (its size and a pixel's colour are read back from the page)."""

from __future__ import annotations

import time

from sqlalchemy import update

from bot.features.committees.models import Report
from tests.browser.test_dashboard import page, server, sign_in  # noqa: F401 (fixtures)
from tests.dashboard_support import add_user
from tests.test_report_media import jpeg

SHOT = "report-photo-phone.png"


def test_an_officer_looks_at_a_reports_photo(page, store, bot_api, tmp_path):  # noqa: F811
    photo = bot_api.user_file("photo", jpeg((30, 90, 200)))["photo"][-1]["file_id"]
    with store.session() as session:
        session.execute(update(Report).where(Report.reference == "R-2026-00001").values(
            media_kind="photo", media_file_id=photo))
    sign_in(page, "officer-photo", add_user(store, "officer-photo", "officer"))
    page.goto("/dashboard/reports/R-2026-00001")
    assert page.locator("img.media").count() == 0  # nothing is fetched before it is asked for
    page.click("text=Afficher la photo")
    image = page.locator("img.media")
    image.wait_for()
    deadline = time.monotonic() + 10  # wait_for_function would need eval, which the CSP forbids
    while not page.evaluate("document.querySelector('img.media').complete"):
        assert time.monotonic() < deadline, "the photo did not load"
        time.sleep(0.05)
    size = page.evaluate("[document.querySelector('img.media').naturalWidth,"
                         " document.querySelector('img.media').naturalHeight]")
    assert size == [64, 48]
    colour = page.evaluate("""() => {
        const img = document.querySelector('img.media');
        const canvas = document.createElement('canvas');
        canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
        const context = canvas.getContext('2d');
        context.drawImage(img, 0, 0);
        return Array.from(context.getImageData(32, 24, 1, 1).data.slice(0, 3));
    }""")
    assert all(abs(a - b) < 12 for a, b in zip(colour, (30, 90, 200), strict=True)), colour
    assert image.is_visible()
    page.screenshot(path=str(tmp_path / SHOT), full_page=True)
    assert "journal d’audit" in page.content()

"""Every page an officer reads shows words, never a stored key (issue 21): render each page in
French and in English, with reports, ideas and information requests in the store, and look for
a snake_case key or a known code in the visible text."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from starlette.testclient import TestClient

from bot.core.models import utcnow
from tests.dashboard_support import add_committee, add_report, seed_requests, signed_in

PAGES = ["/dashboard", "/dashboard/reports", "/dashboard/ideas", "/dashboard/operations",
         "/dashboard/content", "/dashboard/admin/users", "/dashboard/admin/committees",
         "/dashboard/admin/recipients", "/dashboard/admin/audit", "/dashboard/setup"]
KNOWN_KEYS = {"nothing", "help_near_you", "red_cross", "transit_centre", "women_children",
              "unhcr", "ngo"}


class _Visible(HTMLParser):
    """The text a person sees: no tags, attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible(html: str) -> list[str]:
    """Each piece of text a person sees, stripped (a table cell, a label...)."""
    parser = _Visible()
    parser.feed(html)
    return [part.strip() for part in parser.parts if part.strip()]


@pytest.fixture
def dash(settings, store):
    from webhooks.app import create_app

    settings.run_sender = False
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_no_page_shows_a_stored_key(dash, store, lang):
    committee = add_committee(store, "Comité Agadez")
    now = utcnow()
    add_report(store, committee, now - timedelta(hours=2), category="nothing")
    add_report(store, committee, now - timedelta(hours=3), total=12)
    seed_requests(store, {"NE001": 3}, topic="help_near_you")
    signed_in(dash, store, f"admin-{lang}", "admin")
    dash.get(f"/dashboard/language/{lang}?next=/dashboard")
    start = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    for page in PAGES:
        query = f"?start={start}" if page in ("/dashboard", "/dashboard/reports") else ""
        response = dash.get(page + query)
        assert response.status_code == 200, page
        pieces = visible(response.text)
        assert not set(pieces) & KNOWN_KEYS, (page, lang, set(pieces) & KNOWN_KEYS)
        if page == "/dashboard/admin/audit":
            continue  # the audit log names actions by their code (sign_in, committee.add)
        keys = set(re.findall(r"(?<![\w./-])[a-z]+(?:_[a-z]+)+(?![\w./-])", " ".join(pieces)))
        assert keys == set(), (page, lang, keys)

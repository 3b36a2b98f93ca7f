"""Report categories are read once, with the rest of the content (issue 18): an editor's change
to categories.yaml reaches the report SMS, the dashboard and the digest through the live
reload, a categories file the check refuses keeps the last good words, and no other module of
the service opens the file."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from bot.app.content_reload import ContentWatcher
from bot.app.runtime import ContentSource
from bot.core.settings import ROOT, Settings
from bot.features.dashboard.indicators import Period
from bot.features.digests.digest import build_digest
from bot.features.digests.render import Counts, DigestRenderer
from tests.committee_helpers import make_committee, sms_member, vault
from tests.conftest import within
from tests.dashboard_support import signed_in

NUMBER = "+22790002077"
FRENCH = "fr: {label: Expulsion, words: [EXPULSION, EXPULSES, EXPULSE, REFOULEMENT, REFOULES]"
EDITED = ("fr: {label: Refoulement collectif, words: [EXPULSION, EXPULSES, EXPULSE, REFOULEMENT, "
          "REFOULES, CHASSES]")
TZ = ZoneInfo("Africa/Niamey")


@pytest.fixture
def live(editable: Settings, store, bot_api, twilio_api) -> Iterator[TestClient]:
    from webhooks.app import create_app

    with TestClient(create_app(editable), base_url="https://testserver") as client:
        yield client


def edit_categories(settings: Settings, old: str, new: str) -> None:
    path = settings.content_dir / "categories.yaml"
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_an_edited_category_is_understood_and_labelled_everywhere_after_the_reload(
        live, editable, store, twilio_api):
    member = sms_member(live, twilio_api, store, editable, NUMBER, make_committee(store))
    signed_in(live, store, "officer-cat", "officer")
    assert "Refoulement collectif" not in live.get("/dashboard/reports").text
    [refused] = member.say("RAPPORT ASSAMAKA CHASSES 120")
    assert not refused.startswith("Recu")  # not a word of the grammar yet

    edit_categories(editable, FRENCH, EDITED)
    # The dashboard's category filter names it once the reload has swapped the content.
    assert within(5, lambda: "Refoulement collectif" in live.get("/dashboard/reports").text)

    [receipt] = member.say("RAPPORT ASSAMAKA CHASSES 120")
    assert re.match(r"Recu R-\d{4}-00001 : Assamaka, refoulement collectif, 120 personnes",
                    receipt), receipt
    reference = re.search(r"R-\d{4}-00001", receipt)[0]  # type: ignore[index]
    assert "Refoulement collectif" in live.get(f"/dashboard/reports/{reference}").text

    content = live.app.state.runtime.content.current  # what the digest job reads
    today = datetime.now(TZ).date()
    with store.session() as session:
        digest = build_digest(session, content, "daily", Period(today, today), TZ,
                              vault=vault(editable))
    renderer = DigestRenderer(content, 5, editable.chart_dir, 3)
    text = renderer.reports(digest, content.translator("fr"), Counts(5, exact=True))
    assert "Refoulement collectif : 1 rapport, 120 personnes" in text


def test_a_categories_file_the_check_refuses_keeps_the_last_good_words(editable, caplog):
    source = ContentSource(editable)
    watcher = ContentWatcher(source)
    edit_categories(editable, FRENCH, FRENCH.replace("REFOULES]", "REFOULES, AGADEZ]"))
    assert watcher.poll() is False
    assert source.last_error is not None and "content/categories.yaml" in source.last_error
    assert "'agadez' is both a place, category or count word" in source.last_error
    assert "content change refused" in caplog.text
    # The last good words still serve: AGADEZ is the place, EXPULSION the kind.
    assert source.current.vocabulary.places["agadez"] == "agadez"
    assert "agadez" not in source.current.vocabulary.category_words
    assert source.current.vocabulary.label("expulsion", ["fr"]) == "Expulsion"


def _names_the_file(node: ast.AST) -> bool:
    """A string in code (not prose: no space) that names categories.yaml."""
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)
            and node.value.endswith("categories.yaml") and " " not in node.value)


def test_only_the_content_loader_names_categories_yaml():
    found = set()
    for folder in ("bot", "handlers", "webhooks"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text("utf-8"))
            if any(_names_the_file(node) for node in ast.walk(tree)):
                found.add(path.relative_to(ROOT).as_posix())
    assert found == {"bot/core/categories.py"}

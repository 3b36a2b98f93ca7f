"""``hanya content stats``, ``review`` and ``mark-translated`` on the shipped content."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.app.content_stats import content_stats
from bot.core.content import load_content
from bot.core.settings import Settings, get_settings
from bot.core.sms_encoding import sms_cost, transliterate
from tests.conftest import copy_content


@pytest.fixture
def plain_settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, spool_dir=tmp_path / "spool")  # type: ignore[call-arg]


@pytest.fixture
def cli(monkeypatch, tmp_path):
    """Run `hanya ...` on a copy of the shipped content."""
    from bot.app.cli import app

    copy_content(tmp_path)
    monkeypatch.setenv("HANYA_CONTENT_DIR", str(tmp_path / "content"))
    monkeypatch.setenv("HANYA_LOCALES_DIR", str(tmp_path / "locales"))
    monkeypatch.setenv("HANYA_SPOOL_DIR", str(tmp_path / "spool"))
    get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(app, list(args))
    get_settings.cache_clear()


def test_coverage_counts_every_menu_topic_once(plain_settings):
    stats = {s.code: s for s in content_stats(plain_settings, point="assamaka")}
    content = load_content(plain_settings.content_dir, plain_settings.locales_dir)
    assert set(stats) == set(content.languages)
    # Written from sources but reviewed by no person yet: drafts, not "translated".
    assert stats["fr"].topics.draft == len(content.menu)
    for entry in stats.values():
        assert entry.topics.total == len(content.menu)
        assert entry.topics.stale == []  # the shipped translations carry current hashes
    assert stats["ha"].topics.draft >= 1 and stats["ha"].ui.draft >= 1


def test_sms_costs_come_from_the_rendered_replies(plain_settings):
    stats = {s.code: s for s in content_stats(plain_settings, point="assamaka")}
    content = load_content(plain_settings.content_dir, plain_settings.locales_dir)
    rights = next(r for r in stats["fr"].sms if r.reply == "rights")
    expected = sms_cost(transliterate(content.topics["fr"]["rights"]["sms"].strip()))
    assert (rights.segments, rights.encoding, rights.pages) == (
        expected.segments, expected.encoding, 1)
    arabic = {r.reply: r for r in stats["ar"].sms}
    assert arabic["help_near_you"].encoding == "UCS-2"
    assert arabic["help_near_you"].segments > arabic["help_near_you"].pages  # several per page
    assert [r.reply for r in stats["en"].sms] == ["menu", *content.menu]


def test_stats_json_for_machines(cli):
    result = cli("content", "stats", "--json", "--point", "agadez")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    french = next(entry for entry in data if entry["code"] == "fr")
    assert french["topics"]["total"] == 9
    assert {"reply", "pages", "segments", "encoding"} <= set(french["sms"][0])
    # Nobody has recorded anything yet: no recording is shipped as if a person had.
    assert all(entry["recordings"] == entry["stale_recordings"] == [] for entry in data)
    table = cli("content", "stats", "--point", "agadez")
    assert table.output.count("no recording yet") == len(data)


def test_review_lists_unverified_services_by_place(cli):
    result = cli("content", "review")
    assert result.exit_code == 0, result.output
    assert "assamaka" in result.output and "coopi-assamaka" in result.output
    assert "verified_on is empty" in result.output


def test_mark_translated_clears_a_stale_translation(cli, tmp_path):
    french = tmp_path / "content/fr/topics.yaml"
    french.write_text(french.read_text("utf-8").replace('title: "Urgence"',
                                                        'title: "Urgences"'), "utf-8")
    before = cli("content", "check", "--json")
    assert '"topic \'emergency\' is stale' in before.output
    result = cli("content", "mark-translated", "en", "emergency")
    assert result.exit_code == 0, result.output
    english = (tmp_path / "content/en/topics.yaml").read_text("utf-8")
    assert english.count("source_hash") == 9  # replaced in place, not added twice
    after = json.loads(cli("content", "check", "--json").output)["findings"]
    stale = {f["language"] for f in after if "topic 'emergency' is stale" in f["message"]}
    assert "en" not in stale and "ha" in stale


def test_mark_translated_refuses_the_source_language(cli):
    result = cli("content", "mark-translated", "fr", "emergency")
    assert result.exit_code == 1
    assert "French is the source" in result.output

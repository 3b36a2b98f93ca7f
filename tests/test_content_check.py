"""``hanya content check``: one small broken copy of the shipped content per defect, and the
finding that names its file, line and language."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.app import check_emergency
from bot.core.content import load_content
from bot.core.settings import get_settings
from bot.features.editor.check import Finding, Report, check_content
from bot.features.editor.staleness import mark_translated
from tests.conftest import copy_content

TODAY = date(2026, 11, 23)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the shipped content/ and locales/ that a test may break."""
    return copy_content(tmp_path)


def check(tree: Path) -> Report:
    return check_content(tree / "content", tree / "locales", today=TODAY,
                         extra=check_emergency.CHECKS)


def edit(path: Path, old: str, new: str) -> int:
    """Replace ``old`` (once) in ``path``; return the 1-based line where it was."""
    text = path.read_text("utf-8")
    assert text.count(old) >= 1, f"{old!r} not in {path}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), "utf-8")
    return line


def line_of(path: Path, pattern: str) -> int:
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if re.search(pattern, line):
            return number
    raise AssertionError(f"{pattern!r} not in {path}")


def only(report: Report, severity: str, needle: str) -> Finding:
    found = [f for f in report.findings if f.severity == severity and needle in f.message]
    assert len(found) == 1, (needle, [str(f) for f in report.findings if needle in f.message])
    return found[0]


def test_shipped_content_has_no_errors(tree):
    report = check(tree)
    assert report.errors == []
    assert report.of("warning")  # unverified services at least: nothing is checked by phone yet


def test_yaml_syntax_error_names_file_line_and_language(tree):
    path = tree / "content/ha/topics.yaml"
    line = edit(path, '  title: "Lafiya"\n', '  title: "Lafiya\n    broken: [\n')
    finding = check(tree).errors[0]
    assert (finding.file, finding.language) == ("content/ha/topics.yaml", "ha")
    assert "YAML syntax error" in finding.message
    assert finding.line is not None and finding.line >= line
    assert not check(tree).ok


def test_topic_without_text_says_which_fallback_is_served(tree):
    path = tree / "content/en/topics.yaml"
    text = path.read_text("utf-8")
    start = text.index("\nemergency:") + 1
    path.write_text(text[:start] + 'emergency:\n  title: "Emergency"\n  status: reviewed\n',
                    "utf-8")
    finding = only(check(tree), "warning", "topic 'emergency' has no text")
    assert (finding.file, finding.line, finding.language) == (
        "content/en/topics.yaml", line_of(path, "^emergency:"), "en")
    assert "the Français (fr) text is served instead" in finding.message


def test_kanuri_topic_missing_falls_back_to_hausa_first(tree):
    path = tree / "content/kr/topics.yaml"
    edit(path, "emergency:", "unused_key:")
    report = check(tree)
    finding = only(report, "warning", "topic 'emergency' is missing in Kànùrí (kr)")
    assert (finding.file, finding.language) == ("content/kr/topics.yaml", "kr")
    assert "the Hausa (ha) title is served instead" in finding.message
    unused = only(report, "warning", "'unused_key' is not in menu.yaml")
    assert unused.line == line_of(path, "^unused_key:")


def test_service_at_an_unknown_point(tree):
    path = tree / "content/services.yaml"
    line = edit(path, "point: arlit", "point: arlitt")
    finding = only(check(tree), "error", "unknown point 'arlitt'")
    assert (finding.file, finding.line) == ("content/services.yaml", line)


def test_menu_topic_missing_from_the_french_source_is_an_error(tree):
    edit(tree / "content/menu.yaml", "emergency]", "emergency, visas]")
    finding = only(check(tree), "error", "topic 'visas' (listed in menu.yaml) has no title")
    assert (finding.file, finding.language) == ("content/fr/topics.yaml", "fr")


def test_placeholder_missing_from_a_translation(tree):
    path = tree / "locales/fr/LC_MESSAGES/messages.po"
    msgid_line = line_of(path, r'^msgid "Information for \{point\}:"')
    edit(path, 'msgstr "Informations pour {point} :"', 'msgstr "Informations :"')
    finding = only(check(tree), "error", "placeholder {point} is missing")
    assert (finding.file, finding.line, finding.language) == (
        "locales/fr/LC_MESSAGES/messages.po", msgid_line, "fr")


def test_placeholder_extra_in_a_translation(tree):
    path = tree / "locales/ha/LC_MESSAGES/messages.po"
    msgid_line = line_of(path, r'^msgid "Nearest place: \{point\}')
    text = path.read_text("utf-8")
    msgstr_at = text.index("msgstr", text.index('msgid "Nearest place: {point}'))
    path.write_text(text[:msgstr_at] + text[msgstr_at:].replace("{km}", "{kilometres}", 1),
                    "utf-8")
    report = check(tree)
    extra = only(report, "error", "placeholder {kilometres} is not in the source")
    assert (extra.file, extra.line, extra.language) == (
        "locales/ha/LC_MESSAGES/messages.po", msgid_line, "ha")
    only(report, "error", "placeholder {km} is missing")


def test_plural_forms_count_must_match_the_language(tree):
    path = tree / "locales/ar/LC_MESSAGES/messages.po"
    line = edit(path, '"Plural-Forms: nplurals=6;', '"Plural-Forms: nplurals=2;')
    report = check(tree)
    finding = only(report, "error", "Plural-Forms says nplurals=2")
    assert (finding.file, finding.line, finding.language) == (
        "locales/ar/LC_MESSAGES/messages.po", line, "ar")
    assert "has 6 plural forms" in finding.message


def test_missing_msgid_says_which_fallback_is_served(tree):
    path = tree / "locales/ha/LC_MESSAGES/messages.po"
    text = path.read_text("utf-8")
    entry = re.search(r'(#\. TRANSLATORS: answer to START after STOP\.\n(#.*\n)*'
                      r'msgid "Welcome back\."\nmsgstr ".*"\n)', text)
    assert entry is not None
    path.write_text(text.replace(entry.group(1), ""), "utf-8")
    finding = only(check(tree), "warning", 'msgid "Welcome back."')
    assert (finding.file, finding.language) == ("locales/ha/LC_MESSAGES/messages.po", "ha")
    assert "missing in Hausa (ha)" in finding.message
    assert "the Français (fr) text is served instead" in finding.message


def test_drafts_are_listed_as_info(tree):
    finding = [f for f in check(tree).of("info")
               if f.file == "locales/kr/LC_MESSAGES/messages.po"][0]
    assert "hanya-draft" in finding.message and finding.language == "kr"
    assert finding.line == line_of(tree / "locales/kr/LC_MESSAGES/messages.po",
                                   "^#,.*hanya-draft") + 1


def test_malformed_phone_number(tree):
    path = tree / "content/services.yaml"
    line = edit(path, 'phone: "+227 89 98 33 39"', 'phone: "+227 89 98 33"')
    finding = only(check(tree), "error", "'+227 89 98 33' is not a valid number")
    assert (finding.file, finding.line) == ("content/services.yaml", line)


def test_short_number_only_for_emergency_kinds(tree):
    path = tree / "content/services.yaml"
    text = path.read_text("utf-8")
    at = text.index("id: iom-transit-arlit")
    line = text[:at].count("\n") + 1 + text[at:].split("phone:")[0].count("\n")
    path.write_text(text[:at] + text[at:].replace("phone: null", 'phone: "17"', 1), "utf-8")
    finding = only(check(tree), "error", "short number '17' is only allowed")
    assert (finding.file, finding.line) == ("content/services.yaml", line)


def test_national_short_numbers_and_international_numbers_pass(tree):
    problems = ("not a valid number", "short number", "write the phone as", "malformed")
    assert not [f for f in check(tree).findings if any(p in f.message for p in problems)]


def test_sms_over_the_segment_budget(tree):
    path = tree / "content/fr/topics.yaml"
    long_sms = "Appelez tout de suite. " * 30  # about 700 characters: 5 segments of GSM-7
    line = edit(path, 'sms: "En danger? Appelez tout de suite.', f'sms: "{long_sms}')
    finding = only(check(tree), "warning", "topic 'emergency': the SMS costs")
    assert (finding.file, finding.line, finding.language) == ("content/fr/topics.yaml", line, "fr")
    assert re.search(r"costs \d+ segments \(GSM-7, \d+ units\), over the budget of 3",
                     finding.message)


def test_sms_forced_into_ucs2_by_a_character_outside_the_language_letters(tree):
    # ŋ is Zarma's or Fulfulde's, not a Hausa letter (content/languages.yaml `letters`).
    path = tree / "content/ha/topics.yaml"
    line = edit(path, 'sms: "Ayyukan taimako a nan', 'sms: "Ayyukaŋ taimako a nan')
    finding = only(check(tree), "warning", "topic 'help_near_you': the SMS is sent as UCS-2")
    assert (finding.file, finding.line, finding.language) == ("content/ha/topics.yaml", line, "ha")
    assert '"ŋ" (U+014B)' in finding.message
    assert "would be GSM-7" in finding.message


def test_a_curly_apostrophe_in_hausa_is_sent_plain_and_not_blamed(tree):
    edit(tree / "content/ha/topics.yaml", 'sms: "Ayyukan taimako a nan',
         'sms: "Ayyukan taimako’ a nan')
    assert not [f for f in check(tree).findings if "UCS-2" in f.message
                and f.file == "content/ha/topics.yaml"]
    hausa = load_content(tree / "content", tree / "locales").languages["ha"]
    assert hausa.sms_spelling("taimako’ ɗa") == "taimako' ɗa"  # its own ɗ stays


def test_hooked_letters_of_hausa_are_not_blamed(tree):
    edit(tree / "content/ha/topics.yaml", 'sms: "Ayyukan taimako a nan', 'sms: "Ayyukan ɗa a nan')
    assert not [f for f in check(tree).findings if "UCS-2" in f.message
                and f.file == "content/ha/topics.yaml"]


def test_service_verified_too_long_ago_is_due_for_review(tree):
    path = tree / "content/services.yaml"
    text = path.read_text("utf-8")
    at = text.index("id: national-police")
    line = text[:at].count("\n") + 1 + text[at:].split("verified_on:")[0].count("\n")
    path.write_text(text[:at] + text[at:].replace("verified_on: null", "verified_on: 2026-01-02",
                                                  1), "utf-8")
    finding = only(check(tree), "warning", "verified on 2026-01-02, more than 180 days ago")
    assert (finding.file, finding.line) == ("content/services.yaml", line)
    recent = check_content(tree / "content", tree / "locales", today=date(2026, 2, 1))
    assert not [f for f in recent.findings if "national-police" in f.message]


def test_stale_translation_is_listed_until_marked(tree):
    edit(tree / "content/fr/topics.yaml", 'title: "Urgence"', 'title: "Urgences"')
    report = check(tree)
    stale = [f for f in report.findings if "topic 'emergency' is stale" in f.message]
    assert {f.language for f in stale} == {"ha", "dje", "en", "ar", "ff", "kr", "tmh"}
    english = next(f for f in stale if f.language == "en")
    assert english.file == "content/en/topics.yaml"
    en_text = (tree / "content/en/topics.yaml").read_text("utf-8")
    block = en_text.index("\nemergency:")
    assert english.line == en_text[:en_text.index("source_hash", block)].count("\n") + 1
    mark_translated(tree / "content", "en", "emergency")
    after = [f for f in check(tree).findings if "topic 'emergency' is stale" in f.message]
    assert {f.language for f in after} == {"ha", "dje", "ar", "ff", "kr", "tmh"}


def test_keyword_with_two_meanings_is_an_error(tree):
    path = tree / "content/keywords.yaml"
    edit(path, "fr: {words: [RETOUR]", "fr: {words: [RETOUR, STOP]")
    found = [f for f in check(tree).errors
             if "keyword 'STOP' means 'stop' here but 'back' in Français (fr)" in f.message]
    assert {f.language for f in found} == {"fr", "en", "tmh"}  # every list that has STOP
    finding = next(f for f in found if f.language == "fr")
    assert (finding.file, finding.line, finding.language) == (
        "content/keywords.yaml", line_of(path, r"fr: \{words: \[STOP, ARRET"), "fr")


def test_check_command_exits_zero_on_the_shipped_content():
    from bot.app.cli import app

    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["content", "check", "--quiet"])
    assert result.exit_code == 0, result.output
    assert re.search(r"0 errors, \d+ warnings", result.output)


def test_check_command_exits_non_zero_on_errors(tree, monkeypatch):
    from bot.app.cli import app

    edit(tree / "content/services.yaml", "point: arlit", "point: nowhere")
    monkeypatch.setenv("HANYA_CONTENT_DIR", str(tree / "content"))
    monkeypatch.setenv("HANYA_LOCALES_DIR", str(tree / "locales"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["content", "check", "--json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert '"file": "content/services.yaml"' in result.output
    assert "unknown point 'nowhere'" in result.output


def test_verified_on_in_the_future_is_an_error(tree):
    path = tree / "content/services.yaml"
    text = path.read_text("utf-8")
    at = text.index("id: national-fire")
    line = text[:at].count("\n") + 1 + text[at:].split("verified_on:")[0].count("\n")
    path.write_text(text[:at] + text[at:].replace("verified_on: null", "verified_on: 2062-01-01",
                                                  1), "utf-8")
    finding = only(check(tree), "error", "verified_on 2062-01-01 is in the future")
    assert (finding.file, finding.line) == ("content/services.yaml", line)


def test_a_finding_prints_its_line_number_as_written(monkeypatch):
    """`file:100:` once printed as `file💯` (rich read ':100:' as an emoji code)."""
    import io

    from rich.console import Console

    from bot.app import cli_content

    out = io.StringIO()
    monkeypatch.setattr(cli_content, "console", Console(file=out, width=200))
    cli_content._print_finding(Finding("warning", "locales/tmh/LC_MESSAGES/messages.po", 100,
                                       "a [bold]message[/bold] :smile:", "tmh"))
    assert out.getvalue() == ("locales/tmh/LC_MESSAGES/messages.po:100: warning [tmh]: "
                              "a [bold]message[/bold] :smile:\n")

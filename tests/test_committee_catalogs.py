"""The "reports" catalogs: every language present, drafts flagged, placeholders kept, and the
keywords named in each message being that language's first word in content/keywords.yaml."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from bot.core.content import load_content
from bot.core.settings import ROOT

LANGUAGES = ["fr", "en", "ha", "dje", "ar", "ff", "kr", "tmh"]
CONTENT = load_content(ROOT / "content", ROOT / "locales")
# English keyword as written in a msgid -> keywords.yaml key.
KEYWORDS = {"NOTHING TO REPORT": "nothing_to_report", "REPORT": "report", "JOIN": "join",
            "CANCEL": "cancel", "LANGUAGE": "language"}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def catalog(language: str):
    with (ROOT / "locales" / language / "LC_MESSAGES" / "reports.po").open("rb") as handle:
        return read_po(handle)


def entries(language: str):
    return [m for m in catalog(language) if m.id]


def forms(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def english(message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_with_its_placeholders(language):
    with (ROOT / "locales" / "reports.pot").open("rb") as handle:
        template = {english(m) for m in read_po(handle) if m.id}
    messages = entries(language)
    assert {english(m) for m in messages} == template
    for message in messages:
        wanted = set(PLACEHOLDER.findall(english(message)))
        for text in forms(message):
            assert text, (language, english(message))
            assert set(PLACEHOLDER.findall(text)) == wanted, (language, text)


@pytest.mark.parametrize("language", ["ha", "dje", "ar", "ff", "kr", "tmh"])
def test_unchecked_languages_are_flagged_as_drafts(language):
    assert all("hanya-draft" in m.flags for m in entries(language))


@pytest.mark.parametrize("language", ["fr", "en"])
def test_french_and_english_are_complete_and_not_drafts(language):
    assert not any("hanya-draft" in m.flags for m in entries(language))


def test_arabic_has_six_plural_forms():
    plurals = [m for m in entries("ar") if isinstance(m.id, tuple)]
    assert plurals and all(len(m.string) == 6 for m in plurals)


@pytest.mark.parametrize("language", LANGUAGES)
def test_keywords_in_messages_are_the_languages_first_words(language):
    for message in entries(language):
        source = english(message)
        for word, key in KEYWORDS.items():
            if word == "REPORT" and "NOTHING TO REPORT" in source:
                source = source.replace("NOTHING TO REPORT", "")
            if re.search(rf"\b{word}\b", source):
                first = CONTENT.keywords.first_word(key, language)
                assert all(first in text for text in forms(message)), (language, word, source)


@pytest.mark.parametrize("language", ["fr", "en", "ha"])
def test_the_kinds_of_incident_have_labels_in_the_language(language):
    from tests.test_report_parser import VOCABULARY

    chain = CONTENT.chain(language)
    assert all(c.labels.get(chain[0]) for c in VOCABULARY.categories.values())

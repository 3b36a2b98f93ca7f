"""The one-SMS report grammar: a table of SMS as committee members write them, in every
language, with typos, reordered or missing parts, extra spaces and emoji; and a property test
that no input whatsoever crashes the parser."""

from __future__ import annotations

from datetime import date

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.content import load_content
from bot.core.settings import ROOT
from bot.features.committees.parser import (
    PROBLEMS,
    ParsedReport,
    ParseError,
    VocabularyError,
    build_vocabulary,
    example,
    parse_sms_report,
)

TODAY = date(2026, 3, 14)
CONTENT = load_content(ROOT / "content", ROOT / "locales")
CATEGORIES = yaml.safe_load((ROOT / "content" / "categories.yaml").read_text(encoding="utf-8"))
VOCABULARY = build_vocabulary(CONTENT.points.values(), CATEGORIES)


def ok(point, category, total=None, women=None, children=None, day=None, text="",
       corrects=None):
    return ParsedReport(point, category, total, women, children, day, text, corrects)


def err(*problems, word=None):
    return ParseError(problems, word)


def parse(sms: str):
    """As the engine does: the leading keyword (any language) off, the rest to the parser."""
    key, rest = CONTENT.keywords.leading(sms)
    assert key == "report", f"{sms!r} does not start with a report keyword"
    return parse_sms_report(rest, VOCABULARY, TODAY)


RECORDED = [
    # French, as in the product brief, then variations of case, order, spacing and typos.
    ("RAPPORT ASSAMAKA EXPULSION 120 F25 E15 sans eau",
     ok("assamaka", "expulsion", 120, 25, 15, text="sans eau")),
    ("rapport assamaka expulsion 120 f25 e15 sans eau",
     ok("assamaka", "expulsion", 120, 25, 15, text="sans eau")),
    ("Rapport Assamaka Expulsés 120 F25 E15", ok("assamaka", "expulsion", 120, 25, 15)),
    ("RAPPORT ASSAMAKA EXPULSION 120 E15 F25 sans eau",
     ok("assamaka", "expulsion", 120, 25, 15, text="sans eau")),
    ("RAPPORT EXPULSION ASSAMAKA 120 F25", ok("assamaka", "expulsion", 120, 25)),
    ("RAPPORT ASSAMAKA 120 EXPULSION F25", ok("assamaka", "expulsion", 120, 25)),
    ("RAPPORT  ASSAMAKA   EXPULSION  120   F25  E15   sans   eau ",
     ok("assamaka", "expulsion", 120, 25, 15, text="sans eau")),
    ("RAPPORT ASSAMAKA EXPULSION 120 F 25 E 15", ok("assamaka", "expulsion", 120, 25, 15)),
    ("RAPPORT ASSAMAKA EXPULSION 120 25F 15E", ok("assamaka", "expulsion", 120, 25, 15)),
    ("RAPPORT ASSAMAKA EXPULSION 120 25 F 15 E", ok("assamaka", "expulsion", 120, 25, 15)),
    ("RAPPORT ASSAMAKA EXPULSION 120 F:25 E=15", ok("assamaka", "expulsion", 120, 25, 15)),
    ("RAPPORT ASSAMAKA EXPULSION 120 dont 25 femmes et 15 enfants",
     ok("assamaka", "expulsion", 120, 25, 15)),
    ("RAPPORT ASSAMAKA EXPULSION 120 pers dont 25 F", ok("assamaka", "expulsion", 120, 25)),
    ("RAPPORT ASSAMAKA EXPULSION 120P F25", ok("assamaka", "expulsion", 120, 25)),
    ("RAPPORT ASAMAKA EXPULSION 120", ok("assamaka", "expulsion", 120)),
    ("RAPPORT ASSAMAKA EXPULSON 120", ok("assamaka", "expulsion", 120)),
    ("RAPPORT ASSAMAKA EXPULSION 120 hier", ok("assamaka", "expulsion", 120,
                                               day=date(2026, 3, 13))),
    ("RAPPORT ASSAMAKA EXPULSION 120 12/03 sans eau",
     ok("assamaka", "expulsion", 120, day=date(2026, 3, 12), text="sans eau")),
    ("RAPPORT ASSAMAKA EXPULSION 120 12/03/2026", ok("assamaka", "expulsion", 120,
                                                     day=date(2026, 3, 12))),
    ("RAPPORT ASSAMAKA EXPULSION 120 30/12", ok("assamaka", "expulsion", 120,
                                                day=date(2025, 12, 30))),
    ("RAPPORT ASSAMAKA EXPULSION 120 sans eau depuis 2 jours F25",
     ok("assamaka", "expulsion", 120, 25, text="sans eau depuis 2 jours")),
    ("RAPPORT ARLIT ARRIVEE 45 camion venu d'Agadez",
     ok("arlit", "arrival", 45, text="camion venu d'Agadez")),
    ("SIGNALER AGADEZ MORTS 3", ok("agadez", "death", 3)),
    ("RAPPORT DIRKOU DECES", ok("dirkou", "death")),  # urgent: the count may wait
    ("RAPPORT SEGUEDINE BLOQUES ? panne de véhicule",
     ok("seguedine", "stranded", text="panne de véhicule")),
    ("RAPPORT Séguédine bloqués 30 🚨🚨", ok("seguedine", "stranded", 30, text="🚨🚨")),
    ("RAPPORT 🚨 ASSAMAKA EXPULSION 120", ok("assamaka", "expulsion", 120, text="🚨")),
    ("RAPPORT ASSAMAKA MINEURS 4 seuls au marché",
     ok("assamaka", "unaccompanied_children", 4, text="seuls au marché")),
    ("RAPPORT AGADEZ ENFANTS SEULS 6", ok("agadez", "unaccompanied_children", 6)),
    ("RAPPORT AGADEZ TRAITE 2 filles", ok("agadez", "trafficking", 2, text="filles")),
    ("RAPPORT BIRNI N'KONNI ARRIVEE 12", ok("birni-nkonni", "arrival", 12)),
    ("RAPPORT konni arrivee 12", ok("birni-nkonni", "arrival", 12)),
    ("RAPPORT IN-GUEZZAM EXPULSION 40", ok("in-guezzam", "expulsion", 40)),
    ("RAPPORT In Guezzam expulsion 40", ok("in-guezzam", "expulsion", 40)),
    ("RAPPORT ASSAMAKA EXPULSION 120 R-2026-00012 correction du nombre",
     ok("assamaka", "expulsion", 120, text="correction du nombre", corrects="R-2026-00012")),
    ("RAPPORT ASSAMAKA EXPULSION 120 R2026-12", ok("assamaka", "expulsion", 120,
                                                   corrects="R-2026-00012")),
    ("RAPPORT ASSAMAKA VIOLENCE 5 racket au poste",
     ok("assamaka", "violence", 5, text="racket au poste")),
    ("RAPPORT ASSAMAKA AUTRE 0 puits tari", ok("assamaka", "other", 0, text="puits tari")),
    ("RAPPORT AGADEZ MALADE 1 F1", ok("agadez", "medical", 1, 1)),
    ("RAPPORT ASSAMAKA DISPARU 2 depuis le 10/03",
     ok("assamaka", "missing", 2, day=date(2026, 3, 10), text="depuis le")),
    ("RAPPORT ASSAMAKA EXPULSION 120, F25, E15. Sans eau!",
     ok("assamaka", "expulsion", 120, 25, 15, text="Sans eau!")),
    ("RAPPORT ASSAMAKA EXPULSION 120 F25 F30", ok("assamaka", "expulsion", 120, 25, text="F30")),
    ("RAPPORT ＡＳＳＡＭＡＫＡ EXPULSION １２０", ok("assamaka", "expulsion", 120)),
    ("RAPPORT ASSAMAKA sans EXPULSION 120", ok("assamaka", "expulsion", 120, text="sans")),
    # French, what cannot be recorded: what is missing is said, nothing is guessed.
    ("RAPPORT", err("empty")),
    ("RAPPORT 🚨🚨🚨", err("empty")),
    ("RAPPORT EXPULSION 120", err("place_missing")),
    ("RAPPORT EXPULSION 120 sans eau", err("place_missing")),
    ("RAPPORT TIMIA EXPULSION 120", err("place_unknown", word="TIMIA")),
    ("RAPPORT ASSAMAKA 120", err("category_missing")),
    ("RAPPORT ASSAMAKA EXPLS 120", err("category_unknown", word="EXPLS")),
    ("RAPPORT ASSAMAKA EXPULSION sans eau", err("total_missing")),
    ("RAPPORT ASSAMAKA EXPULSION 10 F25", err("counts_exceed_total")),
    ("RAPPORT ASSAMAKA EXPULSION 120 31/02", err("date_invalid", word="31/02")),
    ("RAPPORT ASSAMAKA EXPULSION 120 20/03/2026", err("date_future", word="20/03/2026")),
    ("RAPPORT NIAMEY EXPULSION 1000000", err("total_missing")),
    # English.
    ("REPORT AGADEZ STRANDED 30", ok("agadez", "stranded", 30)),
    ("report agadez stranded 30 W10 C5 no water since yesterday",
     ok("agadez", "stranded", 30, 10, 5, text="no water since yesterday")),
    ("REPORT ARLIT DEPORTED 85 including 20 women and 12 children",
     ok("arlit", "expulsion", 85, 20, 12)),
    ("REPORT DIRKOU MISSING 3 yesterday", ok("dirkou", "missing", 3, day=date(2026, 3, 13))),
    ("REPORT MADAMA DEAD ?", ok("madama", "death")),
    ("REPORT AGADEZ SICK 2 C2", ok("agadez", "medical", 2, children=2)),
    ("Report Agadez Trafficking 4 girls", ok("agadez", "trafficking", 4, text="girls")),
    ("REPORT ZINDER ARRIVAL 60 today", ok("zinder", "arrival", 60, day=TODAY)),
    ("REPORT AGADEZ STRANDDED 30", ok("agadez", "stranded", 30)),
    ("REPORT AGADEZ 30 W5", err("category_missing")),
    ("REPORT STRANDED 30", err("place_missing")),
    # Hausa.
    ("RAHOTO ASSAMAKA KORA 120 MATA 25 YARA 15 babu ruwa",
     ok("assamaka", "expulsion", 120, 25, 15, text="babu ruwa")),
    ("rahoto agadez mutuwa 2 jiya", ok("agadez", "death", 2, day=date(2026, 3, 13))),
    ("RAHOTO ARLIT ISOWA 40 MATA10", ok("arlit", "arrival", 40, 10)),
    ("RAHOTO AGADEZ FATAUCIN MUTANE 3", ok("agadez", "trafficking", 3)),
    ("RAHOTO YAMAI RASHIN LAFIYA 1", ok("niamey", "medical", 1)),
    ("RAHOTO AGADEZ 30", err("category_missing")),
    # Zarma, Fulfulde (French kinds are understood from everyone).
    ("BAARU ASSAMAKA EXPULSION 50 WAYBORO 10 ZANKEY 5", ok("assamaka", "expulsion", 50, 10, 5)),
    ("baaru Ɲamay arrivee 20", ok("niamey", "arrival", 20)),
    ("HABARU AGADEZ BLOQUES 15 REWBE 3 SUKAABE 2", ok("agadez", "stranded", 15, 3, 2)),
    ("HABARU AGADEZ MORTS 1 HANKI", ok("agadez", "death", 1, day=date(2026, 3, 13))),
    # Arabic: Arabic-Indic digits, the Arabic question mark, Arabic place names.
    ("بلاغ assamaka ترحيل 120 نساء 25 أطفال 15 بلا ماء",
     ok("assamaka", "expulsion", 120, 25, 15, text="بلا ماء")),
    ("بلاغ agadez وفاة ٣ أمس", ok("agadez", "death", 3, day=date(2026, 3, 13))),
    ("تقرير ARLIT عالقون ؟", ok("arlit", "stranded")),
    ("بلاغ عين قزام ترحيل 40", ok("in-guezzam", "expulsion", 40)),
    ("بلاغ agadez أطفال وحدهم 5", ok("agadez", "unaccompanied_children", 5)),
    # Kanuri (Hausa words for now) and Tamajaq (French words for now).
    ("RAHOTO DIRKOU JINYA 2", ok("dirkou", "medical", 2)),
    ("RAPPORT ARLIT ARRIVEE 25", ok("arlit", "arrival", 25)),
]


def test_the_table_holds_at_least_sixty_recorded_sms():
    assert len(RECORDED) >= 60
    assert len({sms for sms, _ in RECORDED}) == len(RECORDED)


@pytest.mark.parametrize(("sms", "expected"), RECORDED, ids=[s for s, _ in RECORDED])
def test_recorded_sms_parses_as_expected(sms, expected):
    assert parse(sms) == expected


@pytest.mark.parametrize("language", ["fr", "en", "ha", "dje", "ar", "ff", "kr", "tmh"])
def test_the_example_shown_in_each_language_parses_back(language):
    chain = CONTENT.chain(language)
    report_word = CONTENT.keywords.first_word("report", language)
    sms = example(VOCABULARY, chain, report_word, "Assamaka", "expulsion", "x")
    assert parse(sms) == ok("assamaka", "expulsion", 120, 25, 15, text="x")


def test_a_word_with_two_meanings_is_refused():
    clash = {"categories": [{"id": "a", "fr": {"words": ["MOT"]}},
                            {"id": "b", "fr": {"words": ["mot"]}}]}
    with pytest.raises(VocabularyError):
        build_vocabulary([], clash)


def test_a_category_word_that_is_a_place_is_refused():
    clash = {"categories": [{"id": "a", "fr": {"words": ["AGADEZ"]}}]}
    with pytest.raises(VocabularyError):
        build_vocabulary(CONTENT.points.values(), clash)


def test_the_urgent_kinds_are_those_the_issue_lists():
    urgent = {c.id for c in VOCABULARY.categories.values() if c.urgent}
    assert urgent == {"stranded", "death", "medical", "missing", "unaccompanied_children",
                      "trafficking"}


def test_every_kind_has_a_french_and_an_english_label_and_word():
    for category in VOCABULARY.categories.values():
        for language in ("fr", "en"):
            assert category.labels.get(language) and category.words.get(language), category.id


def test_every_unverified_word_is_marked_draft():
    for entry in CATEGORIES["categories"]:
        for language, value in entry.items():
            if isinstance(value, dict) and language not in ("fr", "en"):
                assert value.get("status") == "draft", (entry["id"], language)


# --- no input crashes the parser -------------------------------------------------------------

_WORDS = sorted({*VOCABULARY.places, *VOCABULARY.category_words, *VOCABULARY.counts,
                 *VOCABULARY.days, "120", "F25", "25F", "14/03", "31/02", "R-2026-00001",
                 "?", "🚨", "٣", "00000000000000000000000", "--", "/", "F", "E"})


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_no_text_crashes_the_parser(text):
    result = parse_sms_report(text, VOCABULARY, TODAY)
    assert isinstance(result, ParsedReport | ParseError)
    if isinstance(result, ParseError):
        assert result.problems and set(result.problems) <= set(PROBLEMS)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_WORDS), st.text(max_size=6)), max_size=12))
def test_no_mix_of_grammar_words_crashes_the_parser(words):
    result = parse_sms_report(" ".join(words), VOCABULARY, TODAY)
    if isinstance(result, ParsedReport):
        assert result.point_id in CONTENT.points
        assert result.category in VOCABULARY.categories
        assert result.total is None or all(
            n is None or n <= result.total for n in (result.women, result.children))

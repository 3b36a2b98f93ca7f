"""``hanya content check`` on what the content claims: each test brings back one unsafe fault
(an old text of the shipped content) and expects the check to refuse it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.content import load_content
from bot.features.editor.check import Report
from tests.test_content_check import check, edit, tree  # noqa: F401 - the fixture

ORIGINAL_WATER = ("    - Prenez assez d'eau, de nourriture et de médicaments. Pour survivre, il "
                  "faut au moins 2,5 à 3 litres d'eau par jour, et bien plus dans la grande "
                  "chaleur.\n")


def errors(report: Report, needle: str) -> list[str]:
    return [str(f) for f in report.errors if needle in f.message]


def test_shipped_content_passes_the_facts_checks(tree):  # noqa: F811
    assert check(tree).errors == []


def test_litres_given_as_alarme_phone_sahara_advice_are_refused(tree):  # noqa: F811
    edit(tree / "content/fr/topics.yaml", "    - Prenez assez d'eau, de nourriture et de "
         "médicaments.\n", ORIGINAL_WATER)
    [found] = errors(check(tree), "litres figure")
    assert "content/fr/topics.yaml" in found and "Sphere" in found


def test_litres_attributed_to_aps_in_one_sentence_are_refused(tree):  # noqa: F811
    edit(tree / "content/en/topics.yaml", "Water: 2.5 to 3 L a day is a minimum in a mild "
         "climate (Sphere, WHO)", "Alarme Phone Sahara says: drink 3 L a day")
    assert errors(check(tree), "APS gives no figure")


def test_icrc_service_shown_as_open_is_refused(tree):  # noqa: F811
    path = tree / "content/services.yaml"
    edit(path, "  # ---------- Arlit ----------\n", """  - id: icrc-phone-kiosk-arlit
    point: arlit
    kind: red_cross
    name: {fr: "Cabines téléphoniques CICR/CRN (appels gratuits)", en: "ICRC/CRN phone kiosks"}
    gives: {fr: "appels gratuits", en: "free calls"}
    phone: null
    verified_on: null
    source: "InfoMigrants post 16403 (c. 2018-19)"
    source_date: "2018-19"
  # ---------- Arlit ----------
""")
    found = errors(check(tree), "closed since 2025")
    assert found and all("icrc-phone-kiosk-arlit" in f for f in found)


def test_icrc_in_the_health_topic_without_its_closure_is_refused(tree):  # noqa: F811
    edit(tree / "content/en/topics.yaml", "; the ICRC was ordered out of Niger in 2025: its "
         "services are closed", "")
    [found] = errors(check(tree), "'ICRC', closed since 2025")
    assert "topic 'health'" in found


@pytest.mark.parametrize("written", ["police 17", "police: 17.", "+227 89 98 33 39",
                                     "00227 89983339", "89 98 33 39"])
def test_every_phone_number_typed_into_a_text_is_found(tree, written):  # noqa: F811
    edit(tree / "content/fr/topics.yaml", "police {phone:national-police}", written)
    assert errors(check(tree), "written in the text"), written


def test_quantities_next_to_short_numbers_are_not_phone_numbers(tree):  # noqa: F811
    edit(tree / "content/fr/topics.yaml", "police {phone:national-police}",
         "marchez 15 à 20 km, 18 heures, 17 personnes, de 15-18 ans")
    assert errors(check(tree), "written in the text") == []


def test_a_phone_number_in_a_bot_message_is_found(tree):  # noqa: F811
    edit(tree / "locales/fr/LC_MESSAGES/messages.po", 'msgstr "non vérifié"',
         'msgstr "non vérifié, appelez le 17"')
    assert errors(check(tree), "phone number '17' written in a message")


def test_numbers_in_texts_carry_the_not_verified_tag_of_their_service(tree):  # noqa: F811
    content = load_content(tree / "content", tree / "locales")
    assert "police 17 (non vérifié)" in content.topic("fr", "women_children").text
    assert "+227 83 44 65 34 (not verified)" in content.topic("en", "dangers").text


def test_a_phone_reference_to_no_service_is_refused(tree):  # noqa: F811
    edit(tree / "content/fr/topics.yaml", "{phone:national-police}", "{phone:gendarmerie}")
    assert errors(check(tree), "{phone:gendarmerie} names no service")


def test_reviewed_without_who_and_when_is_refused(tree):  # noqa: F811
    path = tree / "content/en/topics.yaml"
    edit(path, "  status: draft\n", "  status: reviewed\n")
    assert errors(check(tree), "status reviewed needs reviewed_by")
    edit(path, "  status: reviewed\n", "  status: reviewed\n  reviewed_by: \"A. Editor\"\n"
         "  reviewed_on: 2026-11-20\n")
    assert errors(check(tree), "status reviewed needs") == []


def test_sources_file_must_ship_with_the_content(tree):  # noqa: F811
    (tree / "content/SOURCES.md").unlink()
    assert errors(check(tree), "list of sources is missing")


def test_a_service_that_gives_nothing_or_has_no_date_is_refused(tree):  # noqa: F811
    path = tree / "content/services.yaml"
    edit(path, '    source_date: "2023"\n', "")
    edit(path, '    gives: {fr: "abri, eau (camions-citernes)', '    ignored: {fr: "abri')
    report = check(tree)
    assert errors(report, "has no source_date")
    assert errors(report, "'coopi-assamaka' does not say what a person gets there")


def test_shipped_services_hide_no_closed_kiosk_nor_counting_post(tree: Path):  # noqa: F811
    content = load_content(tree / "content", tree / "locales")
    ids = {s.id for s in content.services}
    assert not {i for i in ids if "icrc" in i or "flow-monitoring" in i}
    assert content.services_at("seguedine") == []


def test_a_keyword_spelt_like_an_everyday_word_of_another_meaning_is_refused(tree):  # noqa: F811
    edit(tree / "content/keywords.yaml", "dje: {words: [ANNULER]", "dje: {words: [NAN]")
    [found] = errors(check(tree), "people send it to say")
    assert "'NAN' means 'cancel' here" in found and "Français (fr)" in found and "'no'" in found


def test_shipped_keywords_never_read_french_nan_as_cancel(tree):  # noqa: F811
    content = load_content(tree / "content", tree / "locales")
    assert content.keywords.whole("nan") is None
    assert content.keywords.whole("ANNULER") == "cancel"


OLD_ARABIC_RULE = '"n%100>=0 && n%100<=2 ? 4 : 5);\\n"'
CLDR_ARABIC_RULE = '"n%100>=11 && n%100<=99 ? 4 : 5);\\n"'


def test_arabic_plural_rule_against_cldr(tree):  # noqa: F811
    edit(tree / "locales/ar/LC_MESSAGES/digests.po", CLDR_ARABIC_RULE, OLD_ARABIC_RULE)
    [found] = errors(check(tree), "disagrees with CLDR")
    assert "locales/ar/LC_MESSAGES/digests.po" in found and "11 -> form 5, CLDR 4" in found


def test_fulfulde_puts_zero_in_the_singular_as_cldr_does(tree):  # noqa: F811
    edit(tree / "locales/ff/LC_MESSAGES/messages.po", "plural=(n > 1);", "plural=(n != 1);")
    [found] = errors(check(tree), "disagrees with CLDR")
    assert "0 -> form 1, CLDR 0" in found


def test_arabic_counts_read_the_cldr_form(tree):  # noqa: F811
    t = load_content(tree / "content", tree / "locales").translator("ar")
    pair = ("{count} person", "{count} people")
    assert t.ngettext(pair, 12) == "12 شخصًا"
    assert t.ngettext(pair, 100) == "100 شخص"
    assert t.ngettext(("URGENT: {n} report", "URGENT: {n} reports"), 12, n=12) == "عاجل: 12 بلاغا"


def test_a_language_copying_another_must_say_so(tree):  # noqa: F811
    edit(tree / "content/languages.yaml", "    texts_from: ha\n", "")
    [found] = errors(check(tree), "write texts_from: ha")
    assert "[kr]" in found


def test_the_language_menu_says_which_text_kanuri_and_tamajaq_read(tree):  # noqa: F811
    content = load_content(tree / "content", tree / "locales")
    assert content.menu_name("kr") == "Kànùrí → Hausa"
    assert content.menu_name("tmh", sms=True) == "Tamajaq > Francais"
    assert content.menu_name("ha") == "Hausa"

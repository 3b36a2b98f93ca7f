"""The checks of what the content claims: every phone number a service's (so it carries "not
verified"), no closed organisation shown as open, water figures with their real source,
``reviewed`` only with who and when, services that say what they give and how old that is,
and the sources file the entries point to.

Part of ``hanya content check`` (see ``bot.features.editor.check`` for the framework).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import phonenumbers

from bot.core.content import NATIONAL, PHONE_REF
from bot.features.editor.check_text import pot_files, read_catalog
from bot.features.editor.check_tree import REGION, Tree

__all__ = ["check_facts"]

SOURCES_FILE = "SOURCES.md"
# Units after a number that make it a quantity, not a phone number ("15 à 20 km", "48 h").
_UNITS = re.compile(r"\s*(?:%|°|km|m\b|h\b|heures?|hours?|jours?|days?|ans?\b|years?|min|"
                    r"l\b|litres?|liters?|places?|personnes?|people|degr|fcfa|cfa)", re.I)
_RANGE_BEFORE = re.compile(r"(?:\bà|\ba|\bto|-|–)\s*$", re.I)
_RANGE_AFTER = re.compile(r"\s*(?:à|a|to|-|–)\s*\d")
_SHORT = re.compile(r"(?<![\d+])(?<!\d[.,:/])\d{2,3}(?!\d)(?![.,:/]\d)")
_DIGIT = re.compile(r"\d")  # any script's digits, as phonenumbers reads them
_LOCAL = re.compile(r"\d{2}(?:[ .]?\d{2}){3}")  # a Niger number dialled without +227
_LITRES = re.compile(r"\d\s*(?:l|litres?|liters?|لتر\w*)\b", re.I)
# Whose water figure it may be (FACTS §4): never Alarme Phone Sahara, which gives none.
WATER_SOURCES = ("sphere", "oms", "who", "institute of medicine", "منظمة الصحة")
APS = re.compile(r"alarme phone sahara|\baps\b", re.I)
_SENTENCE = re.compile(r"(?<=[.!?؟])\s+|\n")
_PARAGRAPH = re.compile(r"\n\s*\n")


def check_facts(tree: Tree) -> None:
    """Run the checks of claims; each adds its findings to ``tree``."""
    services = tree.load(tree.content_dir / "services.yaml")
    entries = services.get("services") if isinstance(services, Mapping) else None
    entries = [e for e in entries or () if isinstance(e, Mapping)]
    short_numbers = {str(e.get("phone")) for e in entries
                     if str(e.get("phone") or "").isdigit() and len(str(e.get("phone"))) <= 4}
    closed = _closed(tree)
    _check_sources_file(tree)
    _check_services(tree, entries, closed, short_numbers)
    for code, topics in tree.topics.items():
        path = tree.content_dir / code / "topics.yaml"
        for key, entry in topics.items():
            if isinstance(entry, Mapping):
                _check_topic(tree, path, code, key, entry, closed, short_numbers)
    _check_catalog_numbers(tree, short_numbers)
    _check_stand_ins(tree)


# --- the sources file ------------------------------------------------------------------------

def _check_sources_file(tree: Tree) -> None:
    path = tree.content_dir / SOURCES_FILE
    if not path.exists() or not path.read_text("utf-8").strip():
        tree.add("error", path, None, "the list of sources is missing: every `source:` must "
                 "be traceable inside the repository")


# --- closed organisations --------------------------------------------------------------------

def _closed(tree: Tree) -> list[tuple[re.Pattern[str], str]]:
    """(a pattern of an organisation's names, the year it closed) from ``closed.yaml``."""
    path = tree.content_dir / "closed.yaml"
    if not path.exists():
        return []
    found = []
    for entry in tree.section(path, "closed", list) or ():
        names = [str(n) for n in entry.get("names") or ()]
        since = entry.get("since")
        if not names or not isinstance(since, date):
            tree.add("error", path, entry.line, "a closed organisation needs names: and a "
                     "since: date (YYYY-MM-DD)")
            continue
        pattern = re.compile("|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in names))
        found.append((pattern, str(since.year)))
    return found


def _closed_problems(text: str, closed: list[tuple[re.Pattern[str], str]]) -> Iterator[str]:
    for paragraph in _PARAGRAPH.split(text):
        for pattern, year in closed:
            match = pattern.search(paragraph)
            if match and year not in paragraph:
                yield (f"names {match.group(0)!r}, closed since {year}, without saying so in "
                       f"the same paragraph (write that it closed in {year}, or remove it)")


# --- numbers ---------------------------------------------------------------------------------

def phone_numbers(text: str, short_numbers: set[str]) -> list[str]:
    """Every phone number written in ``text``: international or 8-digit numbers, and the short
    national numbers (17, 15, 18...) when they are not a quantity ("15 à 20 km")."""
    if not _DIGIT.search(text):  # most messages: no number to look for (3,000 of them)
        return []
    text = PHONE_REF.sub("", text)
    found = [m.raw_string for m in phonenumbers.PhoneNumberMatcher(
        text, REGION, leniency=phonenumbers.Leniency.POSSIBLE)
        if m.raw_string.startswith(("+", "00")) or _LOCAL.fullmatch(m.raw_string)]
    for match in _SHORT.finditer(text):
        if match.group(0) not in short_numbers:
            continue
        before, after = text[:match.start()], text[match.end():]
        if _UNITS.match(after) or _RANGE_AFTER.match(after) or _RANGE_BEFORE.search(before):
            continue
        found.append(match.group(0))
    return found


def _check_catalog_numbers(tree: Tree, short_numbers: set[str]) -> None:
    for domain in pot_files(tree.locales_dir):
        for code in tree.languages:
            path = tree.locales_dir / code / "LC_MESSAGES" / f"{domain}.po"
            catalog = read_catalog(tree, path, code) if path.exists() else None
            for message in catalog or ():
                forms = message.string if isinstance(message.string, tuple | list) else (
                    message.string,)
                for number in {n for form in forms for n in phone_numbers(form or "",
                                                                        short_numbers)}:
                    tree.add("error", path, message.lineno, f"phone number {number!r} written "
                             "in a message: numbers belong in services.yaml, where they carry "
                             "'not verified'", code)


# --- topics ----------------------------------------------------------------------------------

def _check_topic(tree: Tree, path: Path, code: str, key: str, entry: Mapping[str, Any],
                 closed: list[tuple[re.Pattern[str], str]], short_numbers: set[str]) -> None:
    line_of = getattr(entry, "line_of", lambda _k: None)
    for name in ("title", "text", "sms"):
        text = str(entry.get(name) or "")
        for number in phone_numbers(text, short_numbers):
            tree.add("error", path, line_of(name), f"topic {key!r}: phone number {number!r} "
                     "written in the text: write {phone:<service id>} so that it carries "
                     "'not verified' as the service does", code)
        for problem in _closed_problems(text, closed):
            tree.add("error", path, line_of(name), f"topic {key!r}: {name} {problem}", code)
        for problem in _water_problems(text):
            tree.add("error", path, line_of(name), f"topic {key!r}: {name}: {problem}", code)
    _check_review(tree, path, code, f"topic {key!r}", entry)


def _water_problems(text: str) -> Iterator[str]:
    """A litres figure must name whose figure it is, and it is never Alarme Phone Sahara's."""
    for paragraph in _PARAGRAPH.split(text):
        for sentence in _SENTENCE.split(paragraph):
            if not _LITRES.search(sentence):
                continue
            folded = sentence.casefold()
            if APS.search(sentence):
                yield ("a litres figure is given as Alarme Phone Sahara's advice; APS gives no "
                       "figure (SOURCES.md, dangers and water)")
            elif not any(source in folded for source in WATER_SOURCES):
                yield ("a litres figure without its source in the same sentence (Sphere, WHO, "
                       "Institute of Medicine): 2.5-3 L is a survival minimum in a mild climate, "
                       "not desert advice")


def _check_review(tree: Tree, path: Path, code: str, what: str,
                  entry: Mapping[str, Any]) -> None:
    """``reviewed`` says a person checked it: who and when must be written down."""
    if entry.get("status") != "reviewed":
        return
    line = getattr(entry, "line_of", lambda _k: None)("status")
    when = entry.get("reviewed_on")
    if not entry.get("reviewed_by") or not isinstance(when, date):
        tree.add("error", path, line, f"{what}: status reviewed needs reviewed_by (who) and "
                 "reviewed_on (YYYY-MM-DD); until a person has reviewed it, it is a draft", code)
    elif when > tree.today:
        tree.add("error", path, line, f"{what}: reviewed_on {when.isoformat()} is in the future",
                 code)


# --- services --------------------------------------------------------------------------------

def _check_services(tree: Tree, entries: list[Any], closed: list[tuple[re.Pattern[str], str]],
                    short_numbers: set[str]) -> None:
    path = tree.content_dir / "services.yaml"
    for entry in entries:
        service_id = str(entry.get("id") or "")
        if not entry.get("source_date"):
            tree.add("error", path, entry.line, f"service {service_id!r} has no source_date: "
                     "people must see how old the information is")
        if entry.get("point") != NATIONAL:
            gives = entry.get("gives") if isinstance(entry.get("gives"), Mapping) else {}
            for code in ("fr", "en"):
                if not gives.get(code):
                    tree.add("error", path, entry.line, f"service {service_id!r} does not say "
                             f"what a person gets there (gives: in {tree.name(code)}); a place "
                             "that gives nothing to a person is not listed", code)
        for field in ("name", "gives", "where", "hours"):
            values = entry.get(field) if isinstance(entry.get(field), Mapping) else {}
            for code, value in values.items():
                for problem in _closed_problems(str(value), closed):
                    tree.add("error", path, entry.line_of(field),
                             f"service {service_id!r}: {field} {problem}", str(code))
                for number in phone_numbers(str(value), short_numbers):
                    tree.add("error", path, entry.line_of(field), f"service {service_id!r}: "
                             f"phone number {number!r} in {field}: put it in phone:", str(code))


# --- one language passed off as another -------------------------------------------------------

COPY_SHARE = 0.8  # a catalog whose messages are this much another's is that other language


def _check_stand_ins(tree: Tree) -> None:
    """A catalog that copies another language must say so (``texts_from`` in languages.yaml),
    so that the language menu shows "Kànùrí → Hausa" instead of passing Hausa off as Kanuri."""
    path = tree.content_dir / "languages.yaml"
    entries = tree.section(path, "languages", list) or []
    declared = {str(e.get("code")): str(e.get("texts_from") or "") for e in entries}
    texts = {code: _own_texts(tree, code) for code in tree.languages}
    for entry in entries:
        code = str(entry.get("code"))
        if declared.get(code) and declared[code] not in tree.languages:
            tree.add("error", path, entry.line_of("texts_from"), f"texts_from "
                     f"{declared[code]!r} is not a language of this file", code)
        mine = texts.get(code) or {}
        for other, theirs in texts.items():
            if other == code or not mine:
                continue
            same = sum(1 for msgid, text in mine.items() if theirs.get(msgid) == text)
            told = declared.get(code) == other or declared.get(other) == code  # who copies whom
            if same / len(mine) >= COPY_SHARE and not told:
                tree.add("error", path, entry.line, f"{same} of {len(mine)} messages of "
                         f"{tree.name(code)} are the {tree.name(other)} text: write "
                         f"texts_from: {other} so that the language menu says so", code)


def _own_texts(tree: Tree, code: str) -> dict[object, object]:
    """msgid -> translation of a language's messages catalog (its own, not fallbacks)."""
    path = tree.locales_dir / code / "LC_MESSAGES" / "messages.po"
    catalog = read_catalog(tree, path, code) if path.exists() else None
    return {m.id: m.string for m in catalog or () if m.id and m.string and m.string != m.id}

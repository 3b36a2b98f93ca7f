"""``hanya content check``: everything in ``content/`` and ``locales/`` that would make a reply
wrong or missing, each finding with its file, line, language and severity.

Errors make a reply wrong (a broken file, a reference to nothing, a malformed phone number, a
placeholder that would show as ``{point}``): the check fails and a running service refuses the
change. Warnings are served but need an editor (a missing translation and the fallback served
instead, an SMS that costs too much, a service due for review). Info lists what is still draft.

The checks of the texts (topics, SMS, catalogs) live in ``check_text``, the framework
(findings, the YAML loader that keeps line numbers, the tree) in ``check_tree``; this module
holds the structural checks and runs them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import phonenumbers
from phonenumbers import shortnumberinfo

from bot.core import provider_templates
from bot.core.content import NATIONAL, Content, load_content, read_yaml
from bot.core.errors import ContentError
from bot.core.i18n import parse_languages
from bot.core.keywords import normalise
from bot.features.editor import check_facts as facts
from bot.features.editor import check_text as text
from bot.features.editor.check_audio import check_audio
from bot.features.editor.check_tree import (
    DEFAULT_REVIEW_DAYS,
    REGION,
    SEVERITIES,
    Finding,
    Located,
    Report,
    Tree,
    load_located,
)

__all__ = ["Finding", "Located", "Report", "Tree", "check_content", "load_located",
           "review_due"]

# Short national numbers (17, 15, 18) are only right for these kinds of service.
SHORT_NUMBER_KINDS = {"emergency", "police", "ambulance", "fire"}
SERVICE_KINDS = {"emergency", "police", "ambulance", "fire", "hotline", "transit_centre",
                 "health", "red_cross", "unhcr", "legal", "ngo"}


# --- the checks ------------------------------------------------------------------------------

def check_content(content_dir: Path, locales_dir: Path, *, max_segments: int = 3,
                  review_days: int = DEFAULT_REVIEW_DAYS, today: date | None = None,
                  extra: Sequence[Callable[[Tree, Content], None]] = ()) -> Report:
    """Run every check on a content tree; never raises on broken content. ``extra`` checks
    run on the loaded content (the app's, which build replies with the conversations)."""
    tree = Tree(content_dir, locales_dir, max_segments, review_days, today or date.today())
    steps: list[Callable[[Tree], None]] = [
        check_languages, check_points, check_services, check_keywords, text.check_topics,
        text.check_catalogs, facts.check_facts, check_audio, check_whatsapp_templates]
    for step in steps:
        try:
            step(tree)
        except Exception as exc:  # noqa: BLE001 - a checker bug must refuse, not crash, a reload
            tree.add("error", content_dir, None, f"{step.__name__} could not finish: {exc!r}")
    if tree.report.ok:
        _check_loads(tree, extra)
    tree.report.findings.sort(key=lambda f: (f.file, f.line or 0, SEVERITIES.index(f.severity)))
    return tree.report


def _check_loads(tree: Tree, extra: Sequence[Callable[[Tree, Content], None]]) -> None:
    """The service's own loader is the last word: anything it refuses is an error too."""
    try:
        # The catalogues and YAML files this check parsed (with the service's own reader and
        # safe constructors) are not read again.
        content = load_content(tree.content_dir, tree.locales_dir, tree.catalogs,
                               lambda path: tree.parsed.get(path) or read_yaml(path))
        for step in extra:
            step(tree, content)
    except ContentError as exc:
        tree.add("error", Path(exc.file) if exc.file else tree.content_dir, exc.line,
                 f"the service cannot load this: {exc}", exc.language)
    except (KeyError, TypeError, ValueError) as exc:
        tree.add("error", tree.content_dir, None, f"the service cannot load this: {exc!r}")


def check_languages(tree: Tree) -> None:
    path = tree.content_dir / "languages.yaml"
    entries = tree.section(path, "languages", list)
    if entries is None:
        return
    tree.languages = parse_languages([e for e in entries if isinstance(e, Mapping)])
    if "fr" not in tree.languages:
        tree.add("error", path, 1, "French (fr), the source language, is not listed")
    for entry in entries:
        for code in entry.get("fallback") or ():
            if code not in tree.languages:
                tree.add("error", path, entry.line_of("fallback"),
                         f"fallback {code!r} is not a language of this file", entry.get("code"))


def check_whatsapp_templates(tree: Tree) -> None:
    """content/whatsapp_templates.yaml: known kinds, languages and variables, ContentSids."""
    path = tree.content_dir / provider_templates.FILE
    for problem in provider_templates.problems(path, set(tree.languages)):
        tree.add("error", path, None, problem)


def check_points(tree: Tree) -> None:
    path = tree.content_dir / "points.yaml"
    entries = tree.section(path, "points", list) or []
    for entry in entries:
        point_id = entry.get("id")
        if not point_id:
            tree.add("error", path, entry.line, "a point without an id")
            continue
        if point_id in tree.points:
            tree.add("error", path, entry.line_of("id"), f"point id {point_id!r} is used twice")
        tree.points.add(str(point_id))
        for axis in ("lat", "lon"):
            value = entry.get(axis)
            if value is not None and not isinstance(value, int | float):
                tree.add("error", path, entry.line_of(axis),
                         f"{axis} of {point_id!r} must be a number or null, not {value!r}")


def check_services(tree: Tree) -> None:
    path = tree.content_dir / "services.yaml"
    seen: set[str] = set()
    for entry in tree.section(path, "services", list) or []:
        service_id = str(entry.get("id") or "")
        if not service_id:
            tree.add("error", path, entry.line, "a service without an id")
            continue
        if service_id in seen:
            tree.add("error", path, entry.line_of("id"), f"service id {service_id!r} is used twice")
        seen.add(service_id)
        point = str(entry.get("point") or "")
        if point != NATIONAL and point not in tree.points:
            tree.add("error", path, entry.line_of("point"),
                     f"service {service_id!r} names unknown point {point!r} (see points.yaml)")
        kind = str(entry.get("kind") or "")
        if kind not in SERVICE_KINDS:
            tree.add("warning", path, entry.line_of("kind"),
                     f"service {service_id!r} has unknown kind {kind!r}")
        names = entry.get("name") if isinstance(entry.get("name"), Mapping) else {}
        for code in ("fr", "en"):
            if not names.get(code):
                tree.add("warning", path, entry.line_of("name"),
                         f"service {service_id!r} has no name in {tree.name(code)}", code)
        if entry.get("phone") is not None:
            check_phone(tree, path, entry, service_id, kind)
        for problem in review_problems(entry, tree.review_days, tree.today):
            # A date that is not a date, or in the future, would show as "checked": an error.
            wrong = problem.startswith("verified_on must") or problem.endswith("in the future")
            tree.add("error" if wrong else "warning", path, entry.line_of("verified_on"),
                     f"service {service_id!r}: {problem}")


def check_phone(tree: Tree, path: Path, entry: Located, service_id: str, kind: str) -> None:
    """Valid Niger (+227) or international numbers; short numbers only for emergencies."""
    raw = str(entry["phone"]).strip()
    line = entry.line_of("phone")
    if raw.isdigit() and len(raw) <= 4:
        number = phonenumbers.parse(raw, REGION)
        if kind not in SHORT_NUMBER_KINDS:
            tree.add("error", path, line, f"service {service_id!r}: short number {raw!r} is only "
                     f"allowed for kinds {', '.join(sorted(SHORT_NUMBER_KINDS))}")
        elif not shortnumberinfo.is_valid_short_number_for_region(number, REGION):
            tree.add("error", path, line, f"service {service_id!r}: {raw!r} is not a short "
                     "number in Niger")
        return
    try:
        number = phonenumbers.parse(raw, REGION)
    except phonenumbers.NumberParseException as exc:
        tree.add("error", path, line, f"service {service_id!r}: phone {raw!r} is malformed ({exc})")
        return
    if not phonenumbers.is_valid_number(number):
        tree.add("error", path, line, f"service {service_id!r}: phone {raw!r} is not a valid "
                 "number (Niger: +227 and 8 digits)")
        return
    canonical = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if raw != canonical:
        tree.add("warning", path, line, f"service {service_id!r}: write the phone as "
                 f"{canonical!r} so that it can be dialled from any phone")


def review_problems(entry: Mapping[str, Any], review_days: int, today: date) -> list[str]:
    """Why a service entry is due for review (empty when it is not)."""
    verified = entry.get("verified_on")
    problems = []
    if verified is None:
        problems.append("verified_on is empty: nobody has checked it by phone yet")
    elif not isinstance(verified, date):
        problems.append(f"verified_on must be a date YYYY-MM-DD, not {verified!r}")
    elif verified > today:
        problems.append(f"verified_on {verified.isoformat()} is in the future")
    elif (today - verified).days > review_days:
        problems.append(f"verified on {verified.isoformat()}, more than {review_days} days ago")
    if not entry.get("source"):
        problems.append("no source: say where the information comes from")
    return problems


@dataclass(frozen=True)
class Due:
    service_id: str
    point: str
    line: int
    problems: tuple[str, ...]


def review_due(content_dir: Path, review_days: int = DEFAULT_REVIEW_DAYS,
               today: date | None = None) -> list[Due]:
    """Service entries whose ``verified_on`` is absent or older than ``review_days``."""
    entries = load_located(content_dir / "services.yaml")["services"]
    due = []
    for entry in entries:
        problems = review_problems(entry, review_days, today or date.today())
        if problems:
            due.append(Due(str(entry.get("id")), str(entry.get("point")), entry.line,
                           tuple(problems)))
    return due


def check_keywords(tree: Tree) -> None:
    """A word that means two actions would do the wrong one for somebody."""
    path = tree.content_dir / "keywords.yaml"
    entries = tree.section(path, "keywords", Mapping) or {}
    owner: dict[str, tuple[str, str]] = {}  # folded word -> (action, language)
    everyday = _common_words(tree)
    for action, by_lang in entries.items():
        for code, entry in (by_lang or {}).items():
            words = entry.get("words") if isinstance(entry, Mapping) else None
            for word in words or ():
                folded = normalise(str(word))
                if folded.isdigit():
                    tree.add("error", path, by_lang.line_of(code),
                             f"keyword {word!r} is a number: numbers choose menu items", code)
                first = owner.setdefault(folded, (action, code))
                if first[0] != action:
                    tree.add("error", path, by_lang.line_of(code),
                             f"keyword {word!r} means {action!r} here but {first[0]!r} in "
                             f"{tree.name(first[1])}", code)
                for meaning, other in everyday.get(folded, ()):
                    if meaning != action:
                        tree.add("error", path, by_lang.line_of(code), f"keyword {word!r} "
                                 f"means {action!r} here, but in {tree.name(other)} people send "
                                 f"it to say {meaning!r} (common_words.yaml)", code)


def _common_words(tree: Tree) -> dict[str, list[tuple[str, str]]]:
    """Everyday words of each language (folded) -> [(what they mean, language)]."""
    path = tree.content_dir / "common_words.yaml"
    if not path.exists():
        return {}
    found: dict[str, list[tuple[str, str]]] = {}
    for code, by_action in (tree.section(path, "common", Mapping) or {}).items():
        for action, words in (by_action or {}).items():
            for word in words or ():
                found.setdefault(normalise(str(word)), []).append((str(action), str(code)))
    return found

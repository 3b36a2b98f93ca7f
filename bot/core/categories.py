"""Report categories and the words of the report SMS: places from the content, kinds and count
words from ``content/categories.yaml``, folded for matching, with a check that no word means two
things. Built once with the content (``Content.vocabulary``): a file the check refuses is never
served, and the live reload swaps it with the rest of the content."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.core.keywords import normalise

FILE = "categories.yaml"


class VocabularyError(ValueError):
    """The categories file is inconsistent (a word with two meanings, a missing field)."""


@dataclass(frozen=True)
class Category:
    id: str
    urgent: bool
    labels: Mapping[str, str]
    words: Mapping[str, tuple[str, ...]]  # language -> words, first one shown

    def label(self, chain: Iterable[str]) -> str:
        return next((self.labels[c] for c in chain if self.labels.get(c)), self.id)

    def word(self, chain: Iterable[str]) -> str:
        return next((self.words[c][0] for c in chain if self.words.get(c)), self.id.upper())


@dataclass(frozen=True)
class Vocabulary:
    """Every word the grammar knows, folded, mapped to what it means."""

    places: Mapping[str, str]  # phrase -> point id
    category_words: Mapping[str, str]  # phrase -> category id
    categories: Mapping[str, Category]
    counts: Mapping[str, str]  # word -> women | children | people | unknown | filler
    days: Mapping[str, int]  # word -> days ago (0 today, 1 yesterday)
    shown: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # role -> lang -> word

    def label(self, category: str, chain: Iterable[str]) -> str | None:
        """A category's label along a language chain; None for an unknown one or no label."""
        found = self.categories.get(category)
        return next((found.labels[c] for c in chain if found.labels.get(c)), None) \
            if found else None


class Place(Protocol):
    """What the grammar reads of a content point (``bot.core.content.Point``)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def names(self) -> Mapping[str, str]: ...
    @property
    def aliases(self) -> tuple[str, ...]: ...


# --- vocabulary ------------------------------------------------------------------------------

def fold(text: str) -> str:
    """Fold a word or phrase for matching: normalised, hyphens read as spaces."""
    return " ".join(normalise(text).replace("-", " ").split())


def build_vocabulary(points: Iterable[Place], data: Mapping[str, Any]) -> Vocabulary:
    """The grammar's words from the content points and ``categories.yaml``'s parsed data."""
    places: dict[str, str] = {}
    for point in points:
        for name in (point.id, point.name, *point.names.values(), *point.aliases):
            if fold(name):
                places.setdefault(fold(name), point.id)
    categories, category_words = _categories(data.get("categories") or [])
    counts: dict[str, str] = {}
    shown: dict[str, dict[str, str]] = {}
    for role, by_lang in (data.get("counts") or {}).items():
        role = "filler" if role == "fillers" else role
        _add_words(counts, role, by_lang, shown.setdefault(role, {}))
    days: dict[str, int] = {}
    for role, ago in (("today", 0), ("yesterday", 1)):
        _add_words(days, ago, (data.get("when") or {}).get(role) or {}, {})
    _check_clashes(places, category_words, counts, days)
    return Vocabulary(places, category_words, categories, counts, days, shown)


def _categories(entries: list[Mapping[str, Any]]) -> tuple[dict[str, Category], dict[str, str]]:
    categories: dict[str, Category] = {}
    words: dict[str, str] = {}
    for entry in entries:
        if "id" not in entry:
            raise VocabularyError("a category has no id")
        cid = str(entry["id"])
        by_lang = {k: v for k, v in entry.items() if isinstance(v, Mapping)}
        labels = {lang: str(v.get("label") or "") for lang, v in by_lang.items()}
        lists = {lang: tuple(str(w) for w in v.get("words") or ()) for lang, v in by_lang.items()}
        categories[cid] = Category(cid, bool(entry.get("urgent", False)), labels, lists)
        for word in (w for ws in lists.values() for w in ws):
            if words.setdefault(fold(word), cid) != cid:
                raise VocabularyError(f"{word!r} names two categories")
    return categories, words


def _add_words(target: dict[str, Any], value: Any, by_lang: Mapping[str, Any],
               shown: dict[str, str]) -> None:
    for lang, entry in by_lang.items():
        words = [str(w) for w in (entry or {}).get("words") or ()]
        if words:
            shown.setdefault(lang, words[0])
        for word in words:
            if target.setdefault(fold(word), value) != value:
                raise VocabularyError(f"{word!r} has two meanings")


def _check_clashes(*tables: Mapping[str, Any]) -> None:
    seen: dict[str, int] = {}
    for index, table in enumerate(tables):
        for word in table:
            if seen.setdefault(word, index) != index:
                raise VocabularyError(f"{word!r} is both a place, category or count word")

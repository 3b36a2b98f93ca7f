"""Keyword matching on normalised text, in every language at once."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from rapidfuzz import process
from rapidfuzz.distance import OSA

# Zero-width characters, bidi controls and the BOM: invisible, yet they break a match.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad]")
_APOSTROPHES = re.compile("['\u2019\u2018\u02bc\u02bb`\u00b4]")
_SPACES = re.compile(r"\s+")
_MAX_PHRASE = 4  # the longest keyword phrase, in words ("HAY KULU SI", "NOTHING TO REPORT")


def normalise(text: str) -> str:
    """Fold text for matching: NFKC, no controls, case-folded, accents and apostrophes dropped.

    "ＳＴＯＰ", " stop ", "Arrêt" and "ARRET" all become comparable; "A'A" matches "AA".
    """
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\n\t ")
    text = text.casefold()
    decomposed = unicodedata.normalize("NFD", text)
    # Drop combining marks on Latin letters only: Arabic vowel marks are removed too, harmlessly.
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    text = _APOSTROPHES.sub("", text)
    # Hausa/Fulfulde hooked letters typed without their hook on a plain keyboard.
    text = text.translate(_HOOKS)
    return _SPACES.sub(" ", text).strip()


_HOOKS = str.maketrans({"ɓ": "b", "ɗ": "d", "ƙ": "k", "ƴ": "y", "ŋ": "n", "ɲ": "n", "ə": "e"})


def clean_text(text: str) -> str:
    """Text as it is stored: NFC, without NULs, controls or bidi overrides; keeps newlines."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\n\t")


V = TypeVar("V")


@dataclass(frozen=True)
class Near(Generic[V]):
    """What a word with typos most likely means, and how sure that is."""

    value: V
    word: str  # the known word it is close to
    edits: int  # letters added, dropped, changed or swapped
    sure: bool  # one edit, and no other meaning within reach


def typos_allowed(word: str) -> int:
    """How many edits a word may carry: none under 5 letters (too many short words are one
    letter apart), one up to 7, two from 8."""
    return 0 if len(word) < 5 else 1 if len(word) < 8 else 2


def near(word: str, known: Mapping[str, V]) -> Near[V] | None:
    """The meaning of ``word`` (folded, as the keys of ``known``) allowing small typos.

    The one tolerant matching of Hanya: places typed by migrants (ASAMAKA, niamy), the words
    of a committee report and its keyword (RAPORT). Edits are counted as optimal string
    alignment (a swap of two neighbours is one edit). None when nothing is close enough, or
    when two different meanings are equally close: that is not a guess we make.
    """
    limit = typos_allowed(word)
    if limit == 0 or not word.isalpha():
        return None
    close = process.extract(word, list(known), scorer=OSA.distance, score_cutoff=limit,
                            limit=None)
    if not close:
        return None
    close.sort(key=lambda found: found[1])
    best_word, best = close[0][0], int(close[0][1])
    meanings = {known[w] for w, edits, _ in close if edits == best}
    if len(meanings) != 1:
        return None
    value = known[best_word]
    others = any(known[w] != value for w, _, _ in close)
    return Near(value, best_word, best, sure=best <= 1 and not others)


class KeywordIndex:
    """Maps normalised words to keys (``stop``, ``menu``...), across all languages."""

    def __init__(self, words_by_key: Mapping[str, Mapping[str, Iterable[str]]]) -> None:
        self._key_by_word: dict[str, str] = {}
        self._words: dict[str, dict[str, list[str]]] = {}
        for key, by_lang in words_by_key.items():
            for lang, words in by_lang.items():
                for word in words:
                    folded = normalise(word)
                    if folded:
                        self._key_by_word.setdefault(folded, key)
                        self._words.setdefault(key, {}).setdefault(lang, []).append(word)

    def whole(self, text: str) -> str | None:
        """The key when the whole message is one keyword (any language), else None."""
        return self._key_by_word.get(normalise(text))

    def leading(self, text: str) -> tuple[str | None, str]:
        """The key of the message's first words, and the rest of the message.

        The longest keyword wins, so "RIEN A SIGNALER ..." or "ALAA HABARU" (whose first word
        is another keyword) are read as the phrase.
        """
        words = text.strip().split(None, _MAX_PHRASE)
        for size in range(min(len(words), _MAX_PHRASE), 0, -1):
            key = self._key_by_word.get(normalise(" ".join(words[:size])))
            if key is not None:
                rest = text.strip().split(None, size)
                return key, rest[size] if len(rest) > size else ""
        return None, text

    def near_leading(self, text: str) -> tuple[str | None, str]:
        """Like ``leading`` for a first word with a typo ("RAPORT ..."): the key it surely
        means (any language, one-word keywords only), and the rest of the message."""
        words = text.strip().split(None, 1)
        first = normalise(words[0]) if words else ""
        if typos_allowed(first) == 0:  # "4", "OUI": most messages stop here
            return None, text
        single = {w: k for w, k in self._key_by_word.items() if " " not in w}
        found = near(first, single)
        if found is None or not found.sure:
            return None, text
        return found.value, words[1] if len(words) > 1 else ""

    def means_in(self, text: str, key: str, language: str) -> bool:
        """Whether ``text`` is one of ``language``'s own words for ``key`` (a language with no
        word of its own for it takes every language's)."""
        words = self._words.get(key, {}).get(language)
        if not words:
            return self.whole(text) == key
        return normalise(text) in {normalise(word) for word in words}

    def first_word(self, key: str, language: str, fallback: str = "") -> str:
        """The keyword to show a person for ``key`` in their language."""
        words = self._words.get(key, {}).get(language) or self._words.get(key, {}).get("en")
        return words[0] if words else fallback

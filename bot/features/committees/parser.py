"""The one-SMS report grammar, as pure functions (docs/SMS_GRAMMAR.md is the user's version).

    <REPORT> <place> <category> <total> [F25] [E15] [date] [free text]

The words come from ``content/points.yaml`` and ``content/categories.yaml``, in every
language at once (``Content.vocabulary``, built with the content); case, accents and apostrophes
are ignored and a longer word may carry a small typo. The *head* of the message (place,
category, total, counts, date, in any order) runs until the first word it cannot read; the rest
is the description, where only unmistakable parts (F25, E15, 14/03, a reference R-2026-00123)
are still picked up. What is not understood is never guessed: the result is then a
``ParseError`` that says what was missing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.core.categories import (  # noqa: F401 - the grammar's words, re-exported
    Category,
    Vocabulary,
    VocabularyError,
    build_vocabulary,
    fold,
)
from bot.core.keywords import near, normalise
from bot.features.committees.vocabulary import example  # noqa: F401 - re-exported

MAX_COUNT = 100_000  # more people than this in one report is a typo, not a count
MAX_PHRASE_WORDS = 3
# A token of the message: letters, digits and the signs that dates, counts and references use.
_TOKEN = re.compile(r"[^\s,;!()\[\]{}\"«»“”]+")
_EDGE_SIGNS = ".:=-+*#_/"
_MARKER_NUMBER = re.compile(r"^([^\W\d_]+)[:=]?(\d{1,6})$")
_NUMBER_MARKER = re.compile(r"^(\d{1,6})([^\W\d_]+)$")
_NUMBER = re.compile(r"^\d{1,6}$")
_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_REFERENCE = re.compile(r"^r-?(\d{4})-?(\d{1,6})$")


@dataclass(frozen=True)
class ParsedReport:
    point_id: str
    category: str
    total: int | None  # None: unknown
    women: int | None
    children: int | None
    day: date | None  # None: not given
    description: str
    corrects: str | None = None  # a reference this report corrects


@dataclass(frozen=True)
class ParseError:
    problems: tuple[str, ...]  # see PROBLEMS
    word: str | None = None  # the word that was not understood, as the member wrote it
    # What was understood all the same, told back so that the member resends only the rest
    # (not part of the comparison: an error is its problems and its word).
    point_id: str | None = field(default=None, compare=False)
    category: str | None = field(default=None, compare=False)
    total: int | None = field(default=None, compare=False)
    total_unknown: bool = field(default=False, compare=False)
    women: int | None = field(default=None, compare=False)
    children: int | None = field(default=None, compare=False)
    # The word each problem is about, as written (a second place, a second kind, a date).
    words: Mapping[str, str] = field(default_factory=dict, compare=False)

    def word_for(self, problem: str) -> str:
        return self.words.get(problem) or self.word or ""


PROBLEMS = ("empty", "place_missing", "place_unknown", "category_missing", "category_unknown",
            "total_missing", "counts_exceed_total", "date_invalid", "date_future",
            "place_twice", "category_twice")


# --- parsing ---------------------------------------------------------------------------------

@dataclass
class _Token:
    text: str  # as written
    folded: str
    start: int
    end: int


@dataclass
class _Found:
    point_id: str | None = None
    category: str | None = None
    total: int | None = None
    total_unknown: bool = False
    women: int | None = None
    children: int | None = None
    day: date | None = None
    corrects: str | None = None
    problems: list[str] = field(default_factory=list)
    bad_word: str | None = None
    words: dict[str, str] = field(default_factory=dict)  # problem -> the word, as written
    # A second place or kind read just now: a problem if the head goes on after it, the
    # start of the description if not ("... DECES accident de la route").
    pending: tuple[str, str] | None = None
    stranger: str | None = None  # the unknown word stepped over in the head


def tokenise(text: str) -> list[_Token]:
    """Words of ``text`` with their places; emoji and stray signs dropped."""
    tokens = []
    for match in _TOKEN.finditer(text):
        folded = normalise(match.group()).replace("\u061f", "?").strip(_EDGE_SIGNS)  # Arabic ؟
        folded = "".join(ch for ch in folded if ch.isalnum() or ch in "/.-?:=")
        if folded:
            tokens.append(_Token(match.group(), folded, match.start(), match.end()))
    return tokens


def _looks_like_date(text: str) -> bool:
    return bool(_DATE.match(text) or _ISO_DATE.match(text))


def parse_sms_report(text: str, vocabulary: Vocabulary, today: date) -> ParsedReport | ParseError:
    """Read the part of a report SMS after its keyword; never raises on any input."""
    tokens = tokenise(text)
    if not tokens:
        return ParseError(("empty",))
    found = _Found()
    consumed: set[int] = set()
    head_end = _read_head(tokens, vocabulary, today, found, consumed)
    _read_tail(tokens[head_end:], vocabulary, today, found, consumed, head_end)
    error = _problems(found, vocabulary)
    if error is not None:
        return error
    assert found.category is not None and found.point_id is not None  # noqa: S101
    description = _description(text, [t for i, t in enumerate(tokens) if i in consumed])
    return ParsedReport(found.point_id, found.category, found.total, found.women,
                        found.children, found.day, description, found.corrects)


def _read_head(tokens: list[_Token], vocab: Vocabulary, today: date, found: _Found,
               consumed: set[int]) -> int:
    """Read parts until a word that is none of them; return where the head ends.

    One unknown word is stepped over while the place or the kind is still missing, so that
    "TIMIA EXPULSION 120" is answered "the place TIMIA is not known", not "the kind is missing".
    """
    i, pending_at = 0, None
    while i < len(tokens):
        earlier = found.pending
        used = _read_part(tokens, i, vocab, today, found, head=True)
        if found.pending is not None and earlier is None:  # a second place or kind
            pending_at = i
            consumed.update(range(i, i + used))
            i += used
            continue
        if pending_at is not None:
            if used == 0:  # the head stops right after it: it starts the description
                found.pending = None
                consumed.difference_update(range(pending_at, i))
                return pending_at
            _second_meant(found)
            pending_at = None
        if used == 0:
            # Only before the total: after it, an unknown word starts the description.
            if found.stranger is not None or not _total_open(found) or (
                    found.point_id and found.category):
                return i
            found.stranger = tokens[i].text
            i += 1
            continue
        consumed.update(range(i, i + used))
        i += used
    _second_meant(found)  # the message ends on it: part of the head
    return i


def _second_meant(found: _Found) -> None:
    if found.pending is not None:
        twice, word = found.pending
        found.problems.append(twice)
        found.words[twice] = word
        found.pending = None


def _read_tail(tokens: list[_Token], vocab: Vocabulary, today: date, found: _Found,
               consumed: set[int], offset: int) -> None:
    i = 0
    while i < len(tokens):
        used = _read_part(tokens, i, vocab, today, found, head=False)
        if used:
            consumed.update(range(offset + i, offset + i + used))
        i += max(used, 1)


def _read_part(tokens: list[_Token], i: int, vocab: Vocabulary, today: date, found: _Found,
               *, head: bool) -> int:
    """How many tokens from ``i`` form one part (0: none); records the part in ``found``."""
    word = tokens[i].folded
    used = _count([t.folded for t in tokens[i:i + 4]], vocab, found)
    if used:
        return used
    if _date_or_reference(word, today, found):
        return 1
    if not head:
        return 0
    following = tokens[i + 1].folded if i + 1 < len(tokens) else ""
    if vocab.days.get(word) is not None and found.day is None:
        found.day = today - timedelta(days=vocab.days[word])
        return 1
    if _total_open(found) and (_NUMBER.match(word) or vocab.counts.get(word) == "unknown"):
        _set_total(found, word)
        return 2 if vocab.counts.get(following) == "people" else 1
    glued = _NUMBER_MARKER.match(word)
    if glued and vocab.counts.get(glued.group(2)) == "people" and _total_open(found):
        _set_total(found, glued.group(1))  # 120P, 120pers
        return 1
    if vocab.counts.get(word) in ("filler", "people"):
        return 1
    return _place_or_category(tokens, i, vocab, found)


def _total_open(found: _Found) -> bool:
    return found.total is None and not found.total_unknown


def _set_total(found: _Found, word: str) -> None:
    if _NUMBER.match(word):
        found.total = _bounded(word)
    else:
        found.total_unknown = True


def _count(window: list[str], vocab: Vocabulary, found: _Found) -> int:
    """F25, 25F, F:25, "F 25", "25 femmes": a women or children count at ``window[0]``."""
    def role(word: str) -> str | None:
        found_role = vocab.counts.get(word)
        return found_role if found_role in ("women", "children") else None

    word, following, after, fourth = (window + ["", "", ""])[:4]
    for pattern, marker_group in ((_MARKER_NUMBER, 1), (_NUMBER_MARKER, 2)):
        match = pattern.match(word)
        if match and role(match.group(marker_group)):
            number = match.group(3 - marker_group)
            marker = role(match.group(marker_group))
            return 1 if marker and _set_count(found, marker, number) else 0
    marker = role(word)
    if marker and _NUMBER.match(following):
        return 2 if _set_count(found, marker, following) else 0
    # "25 F": unless the F starts "F 15" on its right, as in "120 F 25 ..." (but "25 F 15 E"
    # is two counts written number first).
    marker = role(following)
    suffix_style = not _NUMBER.match(after) or bool(role(fourth))
    if marker and _NUMBER.match(word) and suffix_style and not _total_open(found):
        return 2 if _set_count(found, marker, word) else 0
    return 0


def _set_count(found: _Found, role: str, number: str) -> bool:
    if getattr(found, role) is not None:
        return False  # a second women count is text, not a correction of the first
    setattr(found, role, _bounded(number))
    return True


def _bounded(number: str) -> int:
    return min(int(number), MAX_COUNT)


def _date_or_reference(word: str, today: date, found: _Found) -> bool:
    match = _REFERENCE.match(word)
    if match and found.corrects is None:
        found.corrects = f"R-{match.group(1)}-{int(match.group(2)):05d}"
        return True
    if found.day is not None or not _looks_like_date(word):
        return False
    day = parse_day(word, today)
    if day is None:
        found.problems.append("date_invalid")
        found.bad_word = found.bad_word or word
    elif day > today:
        found.problems.append("date_future")
        found.bad_word = found.bad_word or word
    else:
        found.day = day
    return True


def parse_day(word: str, today: date) -> date | None:
    """14/03, 14.03.26, 14-03-2026 or 2026-03-14; a day without year is the latest one past."""
    iso = _ISO_DATE.match(word)
    try:
        if iso:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        match = _DATE.match(word)
        if match is None:
            return None
        day, month, year = int(match.group(1)), int(match.group(2)), match.group(3)
        if year is not None:
            return date(int(year) + (2000 if len(year) == 2 else 0), month, day)
        guess = date(today.year, month, day)
        return guess if guess <= today else date(today.year - 1, month, day)
    except ValueError:
        return None


def find_place(text: str, vocabulary: Vocabulary) -> str | None:
    """The first place named anywhere in ``text`` (exact names and aliases only)."""
    tokens = tokenise(text)
    for i in range(len(tokens)):
        for size in range(min(MAX_PHRASE_WORDS, len(tokens) - i), 0, -1):
            point = vocabulary.places.get(fold(" ".join(t.folded for t in tokens[i:i + size])))
            if point:
                return point
    return None


def _place_or_category(tokens: list[_Token], i: int, vocab: Vocabulary, found: _Found) -> int:
    for size in range(min(MAX_PHRASE_WORDS, len(tokens) - i), 0, -1):
        phrase = fold(" ".join(t.folded for t in tokens[i:i + size]))
        point = vocab.places.get(phrase)
        category = vocab.category_words.get(phrase)
        if point:
            return _take(found, "point_id", point, "place_twice", tokens[i:i + size])
        if category:
            return _take(found, "category", category, "category_twice", tokens[i:i + size])
    return _fuzzy(tokens[i], vocab, found)


def _take(found: _Found, role: str, value: str, twice: str, tokens: list[_Token]) -> int:
    """Record a place or kind; a second, different one is a problem, never dropped silently
    ("ASSAMAKA ARLIT", "EXPULSION DECES"): which one did the member mean?"""
    if getattr(found, role) is None:
        setattr(found, role, value)
        return len(tokens)
    if getattr(found, role) == value or not _total_open(found) or twice in found.problems:
        return 0  # after the number of people: the description's words
    found.pending = (twice, " ".join(t.text for t in tokens))
    return len(tokens)


def _fuzzy(token: _Token, vocab: Vocabulary, found: _Found) -> int:
    """One word with a small typo (ASAMAKA, EXPULSON): ``bot.core.keywords.near``, the same
    matching as the places migrants type."""
    candidates: dict[str, tuple[str, str]] = {}
    candidates.update({w: ("place", p) for w, p in vocab.places.items() if " " not in w})
    candidates.update({w: ("category", c) for w, c in vocab.category_words.items()
                       if " " not in w})
    close = near(token.folded, candidates)
    if close is None:
        return 0  # nothing close, or close to two different things: not a guess we make
    kind, value = close.value
    if kind == "place":
        return _take(found, "point_id", value, "place_twice", [token])
    return _take(found, "category", value, "category_twice", [token])


def _problems(found: _Found, vocab: Vocabulary) -> ParseError | None:
    stranger = found.stranger
    problems = []
    # The grammar puts the place first: an unknown word where it is missing is taken as a place.
    if found.point_id is None:
        problems.append("place_unknown" if stranger else "place_missing")
    if found.category is None:
        unknown = stranger and found.point_id is not None
        problems.append("category_unknown" if unknown else "category_missing")
    urgent = found.category is not None and vocab.categories[found.category].urgent
    if _total_open(found) and not urgent:
        problems.append("total_missing")
    if found.total is not None and any(
            n is not None and n > found.total for n in (found.women, found.children)):
        problems.append("counts_exceed_total")
    problems += [p for p in dict.fromkeys(found.problems)]
    if not problems:
        return None
    word = found.bad_word if problems[0].startswith("date") else (
        stranger if problems[0].endswith("_unknown") else found.words.get(problems[0]))
    return ParseError(tuple(problems), word, found.point_id, found.category, found.total,
                      found.total_unknown, found.women, found.children, dict(found.words))


def _description(text: str, consumed: list[_Token]) -> str:
    """The member's own words, without the parts already read (nor the commas between them)."""
    pieces, position = [], 0
    for token in consumed:
        pieces.append(text[position:token.start])
        position = token.end
    pieces.append(text[position:])
    words = "".join(pieces).split()
    return " ".join(w for w in words if w.strip(",;:.-=+/")).strip(" ,;:-")

"""SMS segment arithmetic (GSM 03.38): encoding choice, cost, transliteration and pagination.

This module is the only place in Hanya that counts septets, UTF-16 code units and segments.
GSM-7 messages hold 160 septets, or 153 per part once concatenated; extension-table characters
cost two septets (escape + character). Anything outside GSM-7 turns the whole message into UCS-2:
70 UTF-16 code units, or 67 per part. Segments are counted by greedy packing of grapheme
clusters, as Twilio bills them: a part never ends inside an escape pair, a surrogate pair, a
letter with its combining accent or an emoji sequence.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

import regex

__all__ = ["Encoding", "SmsCost", "graphemes", "is_gsm7", "paginate", "sms_cost",
           "transliterate"]

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 basic character set, in table order 0x00-0x7F, without 0x1B (escape to extension).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
) - {"\x1b"}
# Extension table: each of these is sent as escape (0x1B) + code, two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[]~|€")
_GSM7 = GSM7_BASIC | GSM7_EXTENSION

GSM7_SINGLE, GSM7_PART = 160, 153  # septets
UCS2_SINGLE, UCS2_PART = 70, 67  # UTF-16 code units

# Look-alikes that Unicode decomposition does not provide.
_SPACES = "\t\u00a0\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B)))  # nbsp, thin...
_LOOKALIKES: dict[str, str] = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc\u00b4`", "'"),  # ‘ ’ ‚ ‛ ′ ʼ ´ `
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033«»", '"'),  # “ ” „ ‟ ″ « »
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212•", "-"),  # hyphens, – — − •
    **dict.fromkeys(_SPACES, " "),
    **{"≠": "!=", "≤": "<=", "≥": ">="},  # with their meaning; ≮ ≯ keep theirs (UCS-2)
    **{"…": "...", "œ": "oe", "Œ": "OE", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i"},
}
# Overlay marks (tilde, stroke and solidus overlays, combining long vertical line overlay...):
# dropping one turns "not equal" into "equal".
_OVERLAYS = frozenset(map(chr, [*range(0x0334, 0x0339), *range(0x20D2, 0x20D8), 0x20E5, 0x20EB,
                                 0x20EA]))
_SPACE_CLASS = "[ \u00a0\u2009\u202f]*"
_GUILLEMET_OPEN = re.compile("«" + _SPACE_CLASS)
_GUILLEMET_CLOSE = re.compile(_SPACE_CLASS + "»")

_GRAPHEME = regex.compile(r"\X")
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n")
_SENTENCE_END = re.compile(r"[.!?…؟]+[\"'»”’)\]]*(?=\s)")


@dataclass(frozen=True)
class SmsCost:
    """Encoding, size and segment count of one SMS text."""

    encoding: Encoding
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int  # the empty text costs 1 segment
    culprits: tuple[str, ...]  # distinct characters that forced UCS-2, in order; () for GSM-7


def _is_gsm7_char(char: str) -> bool:
    return char in _GSM7


def is_gsm7(text: str) -> bool:
    """Tell whether every character of text can be sent in GSM-7 (basic or extension table)."""
    return all(_is_gsm7_char(char) for char in text)


def _pack(sizes: list[int], single: int, part: int) -> int:
    """Count segments: one if everything fits a single message, else greedy parts of part units."""
    if sum(sizes) <= single:
        return 1
    segments, load = 1, 0
    for size in sizes:
        if load + size > part:
            segments, load = segments + 1, 0
        load += size
    return segments


def graphemes(text: str) -> list[str]:
    """The user-perceived characters of text (Unicode extended grapheme clusters, UAX #29)."""
    found: list[str] = _GRAPHEME.findall(text)  # the regex package ships no types
    return found


def sms_cost(text: str) -> SmsCost:
    """Compute the encoding, units, segments and UCS-2 culprits of text.

    Parts are packed by grapheme cluster, as Twilio bills them: a letter with a combining
    accent or an emoji sequence is never split across two SMS. A text that fits one SMS is
    never cut into clusters (most replies and catalogue messages: the content check measures
    thousands of them).
    """
    outside = set(text).difference(_GSM7)
    if not outside:
        escaped = GSM7_EXTENSION.intersection(text)
        units = len(text) + sum(text.count(char) for char in escaped)
        segments = 1 if units <= GSM7_SINGLE else _pack(
            [len(c) + sum(char in escaped for char in c) for c in graphemes(text)]
            if escaped else list(map(len, graphemes(text))), GSM7_SINGLE, GSM7_PART)
        return SmsCost("GSM-7", units, segments, ())
    culprits = tuple(char for char in dict.fromkeys(text) if char in outside)
    units = _utf16_units(text)
    segments = 1 if units <= UCS2_SINGLE else _pack(
        list(map(len, graphemes(text))) if units == len(text)  # no character beyond U+FFFF
        else [_utf16_units(c) for c in graphemes(text)], UCS2_SINGLE, UCS2_PART)
    return SmsCost("UCS-2", units, segments, culprits)


def _utf16_units(text: str) -> int:
    """UTF-16 code units: two for a character beyond U+FFFF (a lone surrogate counts one)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@functools.cache  # a few hundred distinct characters in all the content
def _lookalike(char: str) -> str:
    """Return a GSM-7 look-alike of char, or char itself when none is safe."""
    if _is_gsm7_char(char):
        return char
    if char in _LOOKALIKES:
        return _LOOKALIKES[char]
    # Accented letters whose base letter is GSM-7 (ê -> e, Ō -> O); marks on non-GSM bases stay.
    decomposed = unicodedata.normalize("NFD", char)
    base, marks = decomposed[0], decomposed[1:]
    if marks and _is_gsm7_char(base) and all(_accent(m) for m in marks):
        return base
    return char


def _accent(mark: str) -> bool:
    """A mark that only accents its letter: not an overlay that negates it (≠ is = + U+0338,
    ≮ is < + U+0338), which must never be dropped."""
    return bool(unicodedata.combining(mark)) and mark not in _OVERLAYS


def transliterate(text: str, keep: str = "") -> str:
    """Replace characters outside GSM-7 by safe GSM-7 look-alikes, keeping every GSM-7 character
    and every character of ``keep`` (a language's own letters: Zarma's ã stays ã)."""
    text = unicodedata.normalize("NFC", text)  # e + U+0301 -> é, which GSM-7 has
    if _GSM7.issuperset(text):  # nothing to replace (no guillemet either)
        return text
    text = _GUILLEMET_CLOSE.sub("»", _GUILLEMET_OPEN.sub("«", text))  # « oui » -> "oui"
    return "".join(char if char in keep else _lookalike(char) for char in text)


def _cut(rest: str, hard_limit: int) -> int:
    """Choose where to cut rest: paragraph break, sentence end, space, then hard cut."""
    floor = max(1, (hard_limit + 1) // 2)  # a nicer cut may not waste more than half a page
    tiers = (
        (m.start() for m in _PARAGRAPH_BREAK.finditer(rest, 0, hard_limit + 2)),
        (m.end() for m in _SENTENCE_END.finditer(rest, 0, hard_limit + 1)),
        (i for i in range(hard_limit + 1) if rest[i].isspace() and not _after_bullet(rest, i)),
        (m.start() for m in _GRAPHEME.finditer(rest, 0, hard_limit + 1)),  # never mid-cluster
    )
    for tier in tiers:
        candidates = [n for n in tier if floor <= n <= hard_limit]
        if candidates:
            return max(candidates)
    return hard_limit


_BULLETS = frozenset("-•*")


def _after_bullet(text: str, at: int) -> bool:
    """Whether a cut at ``at`` would leave a list's bullet ("- ") alone at the page's end."""
    line = text[text.rfind("\n", 0, at) + 1:at].strip()
    return len(line) == 1 and line in _BULLETS


def paginate(text: str, max_segments: int, more_hint: str) -> list[str]:
    """Cut text into pages of at most max_segments each; all but the last end with the hint."""
    if max_segments < 1:
        raise ValueError(f"max_segments must be at least 1, not {max_segments}")

    def fits(page: str) -> bool:
        return sms_cost(page).segments <= max_segments

    if fits(text):
        return [text]
    pages: list[str] = []
    rest = text.strip()  # whitespace-only text that does not fit yields no page at all
    suffix = "\n" + more_hint
    longest = max_segments * GSM7_SINGLE  # every character costs at least one unit
    while rest:
        if len(rest) <= longest and fits(rest):
            pages.append(rest)
            break
        # Adding characters to a page never lowers its cost, so the longest prefix that fits
        # with the hint can be found by bisection over prefix lengths 1 .. len(rest) - 1.
        if not fits(rest[:1] + suffix):
            raise ValueError(f"more_hint {more_hint!r} leaves no room in {max_segments} segments")
        low, high = 1, min(len(rest) - 1, longest)
        while low < high:
            middle = (low + high + 1) // 2
            if fits(rest[:middle].rstrip() + suffix):
                low = middle
            else:
                high = middle - 1
        cut = _cut(rest, low)
        pages.append(rest[:cut].rstrip() + suffix)
        rest = rest[cut:].lstrip()
    return pages

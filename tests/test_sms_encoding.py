"""Tests for bot.core.sms_encoding: GSM 03.38 tables, segment counting, transliteration,
pagination."""

from __future__ import annotations

import itertools
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.sms_encoding import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    SmsCost,
    is_gsm7,
    paginate,
    sms_cost,
    transliterate,
)

HINT = "Reply MORE"
EMOJI = "\N{GRINNING FACE}"
ARABIC = "السلام عليكم، هذه معلومات مهمة للمسافرين على الطريق. "

# GSM 03.38 default alphabet, row by row (0x00-0x7F); the escape 0x1B is written as None.
# fmt: off
GSM_0338_TABLE = [
    "@", "£", "$", "¥", "è", "é", "ù", "ì", "ò", "Ç", "\n", "Ø", "ø", "\r", "Å", "å",
    "Δ", "_", "Φ", "Γ", "Λ", "Ω", "Π", "Ψ", "Σ", "Θ", "Ξ", None, "Æ", "æ", "ß", "É",
    " ", "!", '"', "#", "¤", "%", "&", "'", "(", ")", "*", "+", ",", "-", ".", "/",
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", ":", ";", "<", "=", ">", "?",
    "¡", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O",
    "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z", "Ä", "Ö", "Ñ", "Ü", "§",
    "¿", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o",
    "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z", "ä", "ö", "ñ", "ü", "à",
]
# fmt: on


def strip_hints(pages: list[str], hint: str = HINT) -> list[str]:
    """Remove the "\\n" + hint suffix from every page but the last."""
    suffix = "\n" + hint
    for page in pages[:-1]:
        assert page.endswith(suffix), page
    return [page.removesuffix(suffix) for page in pages[:-1]] + pages[-1:]


# --- character tables -----------------------------------------------------------------------


def test_basic_table_matches_gsm_0338_row_by_row() -> None:
    assert len(GSM_0338_TABLE) == 128
    assert frozenset(c for c in GSM_0338_TABLE if c is not None) == GSM7_BASIC


def test_extension_table_holds_exactly_the_ten_escaped_characters() -> None:
    assert frozenset("\f^{}\\[]~|€") == GSM7_EXTENSION
    assert not GSM7_BASIC & GSM7_EXTENSION


def test_gsm_characters_are_stable_under_nfc() -> None:
    for char in GSM7_BASIC | GSM7_EXTENSION:
        assert unicodedata.normalize("NFC", char) == char


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", True),
        ("Hello, world! @ $ ¤ £ ¥ § ¡ ¿", True),
        ("Ç é è ù ì ò à É Ä Ö Ñ Ü ä ö ñ ü ß Å å Æ æ Ø ø", True),
        ("Δ Φ Γ Λ Ω Π Ψ Σ Θ Ξ\n\r", True),
        ("^ { } \\ [ ~ ] | € \f", True),
        ("ç", False),
        ("`", False),
        ("ê", False),
        ("\t", False),
        ("ɓ", False),
        (EMOJI, False),
        ("مرحبا", False),
    ],
)
def test_is_gsm7_follows_the_standard_table(text: str, expected: bool) -> None:
    assert is_gsm7(text) is expected


# --- sms_cost ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("ɓ" * 70, "UCS-2", 70, 1),
        ("ɓ" * 71, "UCS-2", 71, 2),
        ("ɓ" * 134, "UCS-2", 134, 2),
        ("ɓ" * 135, "UCS-2", 135, 3),
        ("{", "GSM-7", 2, 1),
        ("{" * 80, "GSM-7", 160, 1),
        ("{" * 81, "GSM-7", 162, 2),
        ("€" * 153, "GSM-7", 306, 3),  # 76 escape pairs fill 152 septets of each part
        ("a" * 152 + "{", "GSM-7", 154, 1),
        ("a" * 152 + "{" + "a" * 7, "GSM-7", 161, 2),
        ("a" * 152 + "{" + "a" * 152, "GSM-7", 306, 3),  # division would say 2
        ("a" * 153 + "{" + "a" * 151, "GSM-7", 306, 2),  # pair starts part 2 exactly
        (EMOJI, "UCS-2", 2, 1),
        (EMOJI * 35, "UCS-2", 70, 1),
        (EMOJI * 36, "UCS-2", 72, 2),  # 33 emoji (66 units) in part 1, 3 in part 2
        ("ɓ" * 66 + EMOJI + "ɓ" * 66, "UCS-2", 134, 3),  # division would say 2
        ("ɓ" * 67 + EMOJI + "ɓ" * 65, "UCS-2", 134, 2),
    ],
)
def test_sms_cost_counts_units_and_segments_by_greedy_packing(
    text: str, encoding: str, units: int, segments: int
) -> None:
    cost = sms_cost(text)
    assert (cost.encoding, cost.units, cost.segments) == (encoding, units, segments)


@pytest.mark.parametrize(
    ("text", "culprits"),
    [
        ("Ça va", ()),
        ("ça va", ("ç",)),
        ("garçon français ç", ("ç",)),
        ("Prêt ? Où ? Ça ?", ("ê",)),
        (f"ok {EMOJI} ok {EMOJI}", (EMOJI,)),
        ("Sannu ɗan'uwa ɓ ɗ", ("ɗ", "ɓ")),
        ("سلام", ("س", "ل", "ا", "م")),
        ("`quoted`", ("`",)),
    ],
)
def test_sms_cost_lists_distinct_ucs2_culprits_in_order(text: str, culprits: tuple) -> None:
    cost = sms_cost(text)
    assert cost.culprits == culprits
    assert cost.encoding == ("UCS-2" if culprits else "GSM-7")


def test_sms_cost_reports_arabic_as_ucs2_with_culprits() -> None:
    cost = sms_cost(ARABIC)
    assert cost.encoding == "UCS-2"
    assert cost.units == len(ARABIC)
    assert "م" in cost.culprits and " " not in cost.culprits


def test_sms_cost_is_a_frozen_value() -> None:
    cost = sms_cost("hi")
    assert cost == SmsCost("GSM-7", 2, 1, ())
    with pytest.raises(AttributeError):
        cost.segments = 2  # type: ignore[misc]


# --- transliterate ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Prêt à côté… « oui »", 'Pret à coté... "oui"'),
        ("é è à ù ì ò É Ä ä Ö ö Ñ ñ Ü ü ß Ç", "é è à ù ì ò É Ä ä Ö ö Ñ ñ Ü ü ß Ç"),
        ("ê ë ē â ã á î ï í ô ó õ û ú ÿ", "e e e a a a i i i o o o u u y"),
        ("Ê Ë Â À Á Î Ï Ô Ó Û Ù Ú È", "E E A A A I I O O U U U E"),
        ("garçon", "garcon"),
        ("œuvre Œuvre", "oeuvre OEuvre"),
        ("‘a’ ‚b‛ “c” „d“ «e»", '\'a\' \'b\' "c" "d" "e"'),
        ("a – b — c", "a - b - c"),
        ("• item", "- item"),
        ("`code`", "'code'"),
        ("a\u00a0b\u202fc\u2009d\te", "a b c d e"),
        ("cafe\u0301 fe\u0302te", "café fete"),  # decomposed input: é kept, ê -> e
        ("Sannu ɓ ɗ ƙ ƴ ŋ ɲ ə", "Sannu ɓ ɗ ƙ ƴ ŋ ɲ ə"),
        ("ⵜⴰⵎⴰⵣⵉⵖⵜ", "ⵜⴰⵎⴰⵣⵉⵖⵜ"),
        (ARABIC, ARABIC),
        (f"ok {EMOJI}", f"ok {EMOJI}"),
        ("{[€]} ^~|\\", "{[€]} ^~|\\"),
    ],
)
def test_transliterate_uses_safe_lookalikes_and_keeps_gsm_characters(
    text: str, expected: str
) -> None:
    assert transliterate(text) == expected


def test_transliterate_makes_french_text_gsm7() -> None:
    text = "Où êtes-vous ? Ça coûte 5 € : « très cher » – c’est noté… l’hôpital, le maïs."
    result = transliterate(text)
    assert is_gsm7(result), sms_cost(result).culprits
    expected = "Où etes-vous ? Ça coute 5 € : \"très cher\" - c'est noté... l'hopital, le mais."
    assert result == expected


def test_transliterate_keeps_hausa_hooked_letters_as_culprits() -> None:
    assert sms_cost(transliterate("Ina ɓangaren?")).culprits == ("ɓ",)


# --- paginate ---------------------------------------------------------------------------------

FRENCH_SENTENCES = [
    "Le point d'information ouvre à huit heures près de la gare routière.",
    "Prenez de l'eau pour la route, au moins trois litres par personne et par jour.",
    "Les équipes de veille passent le mardi et le vendredi après la prière.",
    "En cas de problème, appelez le numéro gratuit ou envoyez un message.",
    "Ne donnez jamais votre passeport à un inconnu, même s'il promet un travail.",
    "Les soins de base sont gratuits au centre de santé, sans carte ni papier.",
]


def french_text(length: int) -> str:
    sentences, text = itertools.cycle(FRENCH_SENTENCES), ""
    while len(text) < length:
        text += next(sentences) + (" " if len(text) % 3 else "\n\n")
    return text[:length].strip()


def test_paginate_returns_a_short_text_unchanged() -> None:
    assert paginate("Bonjour, ça va ?", 1, HINT) == ["Bonjour, ça va ?"]
    assert paginate("", 1, HINT) == [""]


def test_paginate_returns_a_fitting_text_as_is_even_with_edge_whitespace() -> None:
    assert paginate("  a  ", 1, HINT) == ["  a  "]


@pytest.mark.parametrize("max_segments", [0, -1])
def test_paginate_rejects_fewer_than_one_segment(max_segments: int) -> None:
    with pytest.raises(ValueError):
        paginate("hello", max_segments, HINT)


def test_paginate_rejects_a_hint_that_leaves_no_room() -> None:
    with pytest.raises(ValueError):
        paginate("b" * 200, 1, "x" * 160)


@pytest.mark.parametrize("text", [french_text(1000), transliterate(french_text(1000))])
def test_paginate_keeps_french_pages_within_three_segments_and_words_in_order(text: str) -> None:
    assert len(text) > 950
    pages = paginate(text, 3, HINT)
    assert len(pages) >= 2
    assert all(sms_cost(page).segments <= 3 for page in pages)
    assert all(page.endswith("\n" + HINT) for page in pages[:-1])
    assert not pages[-1].endswith(HINT)
    assert " ".join(strip_hints(pages)).split() == text.split()
    assert all(page == page.strip() for page in pages)


def test_paginate_prefers_sentence_ends_over_spaces() -> None:
    pages = strip_hints(paginate(french_text(1000), 2, HINT))
    assert all(page.endswith(".") for page in pages[:-1])


def test_paginate_prefers_paragraph_breaks() -> None:
    first, second = "Premier paragraphe. " * 5, "Second paragraphe, plus long. " * 5
    pages = paginate(first.strip() + "\n\n" + second.strip(), 1, HINT)
    assert strip_hints(pages)[0] == first.strip()


def test_paginate_cuts_hard_when_there_is_no_space() -> None:
    pages = paginate("x" * 500, 1, HINT)
    assert "".join(strip_hints(pages)) == "x" * 500
    assert all(sms_cost(page).segments == 1 for page in pages)
    assert len(pages[0]) == 160  # 149 x + newline + 10-character hint


def test_paginate_keeps_arabic_pages_in_ucs2_within_two_segments() -> None:
    text = (ARABIC * 8)[:400].strip()
    pages = paginate(text, 2, HINT)
    assert len(pages) >= 3
    for page in pages:
        cost = sms_cost(page)
        assert cost.encoding == "UCS-2"
        assert cost.segments <= 2
    assert " ".join(strip_hints(pages)).split() == text.split()


def test_paginate_decides_the_encoding_per_page() -> None:
    text = "a" * 140 + " " + "ɓ" * 60
    pages = paginate(text, 1, HINT)
    assert [sms_cost(page).encoding for page in pages] == ["GSM-7", "UCS-2"]


def test_paginate_never_splits_an_emoji_or_drops_whitespace_only_text() -> None:
    pages = paginate(EMOJI * 100, 1, HINT)
    assert "".join(strip_hints(pages)) == EMOJI * 100
    assert paginate(" " * 200, 1, HINT) == []


# --- properties -------------------------------------------------------------------------------

INTERESTING = list("aé ç{€\n\n.!?ɓ") + [EMOJI, "م", "\u00a0", "\u0301"]
texts = st.one_of(
    st.text(max_size=700),
    st.text(alphabet=st.sampled_from(INTERESTING), max_size=900),
    st.lists(st.sampled_from(FRENCH_SENTENCES + [ARABIC, EMOJI, "\n\n"])).map(" ".join),
)


@settings(max_examples=300, deadline=None, database=None)
@given(text=texts, max_segments=st.integers(min_value=1, max_value=4))
def test_paginate_pages_always_fit_and_lose_no_visible_character(
    text: str, max_segments: int
) -> None:
    cost = sms_cost(text)
    assert cost.segments >= 1
    assert cost.units >= len(text)
    pages = paginate(text, max_segments, HINT)
    assert all(sms_cost(page).segments <= max_segments for page in pages)
    if text.strip():
        assert pages and all(page.strip() for page in pages)
    assert "".join("".join(strip_hints(pages)).split()) == "".join(text.split())


# Vectors from Twilio's own calculator (npm sms-segments-calculator 1.3.0, SegmentedMessage
# with "auto" encoding), run once by hand: it needs node and its package, not available to the
# test suite. Each is (text, encoding, segments). D = ɗ forces UCS-2 (67 units per part).
D, ACCENT = "ɗ", "e\u0301"
FAMILY = "\U0001F468\u200D\U0001F469\u200D\U0001F467"  # three emoji joined: one character
THUMBS = "\U0001F44D\U0001F3FD"  # thumbs up + skin tone
FLAG = "\U0001F1F3\U0001F1EA"  # two regional indicators
TWILIO_VECTORS = [
    ("a" * 160, "GSM-7", 1), ("a" * 161, "GSM-7", 2), ("a" * 306, "GSM-7", 2),
    ("a" * 307, "GSM-7", 3), ("a" * 152 + "€", "GSM-7", 1), ("a" * 152 + "€a", "GSM-7", 1),
    (D * 70, "UCS-2", 1), (D * 71, "UCS-2", 2), (D * 134, "UCS-2", 2), (D * 135, "UCS-2", 3),
    (D * 66 + ACCENT, "UCS-2", 1), (D * 65 + ACCENT + D * 10, "UCS-2", 2),
    (D * 65 + EMOJI + "x", "UCS-2", 1), (D * 66 + FLAG + D, "UCS-2", 2),
    # A cluster that would straddle the end of a part starts the next one:
    (D * 66 + ACCENT + D * 66, "UCS-2", 3), (D * 62 + FAMILY + D * 60, "UCS-2", 3),
    (D * 65 + THUMBS + D * 64, "UCS-2", 3), (D * 66 + "\u0627\u0651" + D * 66, "UCS-2", 3),
    (D * 133 + ACCENT + D * 70, "UCS-2", 4),
]


@pytest.mark.parametrize(("text", "encoding", "segments"), TWILIO_VECTORS)
def test_segments_are_counted_as_twilio_counts_them(text, encoding, segments) -> None:
    cost = sms_cost(text)
    assert (cost.encoding, cost.segments) == (encoding, segments)


def test_paginate_never_splits_a_letter_from_its_accent() -> None:
    text = (D * 66 + ACCENT) * 6
    pages = paginate(text, 1, "+")
    assert all(not unicodedata.combining(page[0]) for page in pages)
    assert "".join(p.removesuffix("\n+") for p in pages) == text


@pytest.mark.parametrize(("sign", "meaning"), [("≠", "!="), ("≤", "<="), ("≥", ">=")])
def test_transliteration_keeps_the_meaning_of_comparison_signs(sign, meaning) -> None:
    assert transliterate(f"1 {sign} 2") == f"1 {meaning} 2"


def test_transliteration_never_drops_a_negating_overlay() -> None:
    for code in range(0x20, 0x30000):
        char = chr(code)
        overlaid = {"\u0338", "\u20d2"} & set(unicodedata.normalize("NFD", char))
        if overlaid:
            plain = transliterate(char)
            assert plain == char or len(plain) > 1, (char, plain)  # kept, or spelt out

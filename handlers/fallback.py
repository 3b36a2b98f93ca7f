"""FALLBACK: which language a person reads when a text is missing in their own (issue 20).

French is the fallback of every language; ``FALLBACK EN`` (or ENGLISH) makes it English,
``FALLBACK FR`` French again, ``FALLBACK`` alone says which one is used and how to change it.
The choice is kept on the contact (``Contact.fallback_language``) and read by the content's
fallback chain (``bot.core.content.Content.chain``) and the catalogues (``Turn.t``).
"""

from __future__ import annotations

from bot.core import texts
from bot.core.engine import Command, Turn
from bot.core.keywords import normalise

# The languages that have every text (French is the source, English its full translation).
CHOICES = ("en", "fr")
KEYWORD = "fallback"


def run_fallback(turn: Turn, rest: str) -> None:
    content, contact = turn.content, turn.contact
    wanted = _chosen(turn, rest)
    if wanted is not None:
        contact.fallback_language = None if wanted == "fr" else wanted
    current = contact.fallback_language or "fr"
    names = {code: content.languages[code].name for code in CHOICES if code in content.languages}
    message = texts.FALLBACK_SET if wanted is not None else texts.FALLBACK_HOWTO
    turn.say_text(turn.t(message, language=names.get(current, current),
                         word=turn.keyword(KEYWORD)))


def _chosen(turn: Turn, rest: str) -> str | None:
    """EN, ENGLISH, FR, FRANCAIS... after the keyword; None when nothing (or nothing known)."""
    typed = normalise(rest)
    for code in CHOICES:
        language = turn.content.languages.get(code)
        if language and typed in {code, normalise(language.name), normalise(language.sms_name)}:
            return code
    return None


FALLBACK = Command(run_fallback, keyword=KEYWORD, needs_language=True)
COMMANDS = (FALLBACK,)

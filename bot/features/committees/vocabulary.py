"""The report SMS shown as an example, in the words of ``content/categories.yaml`` (read once
with the content: ``bot.core.categories``, ``Content.vocabulary``)."""

from __future__ import annotations

from bot.core.categories import Vocabulary


def example(vocabulary: Vocabulary, chain: list[str], report_word: str, place: str,
            category: str, free_text: str) -> str:
    """A correct report SMS in the first language of ``chain`` (it parses, by test)."""
    def marker(role: str) -> str:
        words = vocabulary.shown.get(role, {})
        return next((words[c] for c in chain if c in words), role[0].upper())

    women, children = marker("women"), marker("children")
    glue = "" if len(women) == 1 else " "
    glue_children = "" if len(children) == 1 else " "
    word = vocabulary.categories[category].word(chain)
    return (f"{report_word} {place.upper()} {word} 120 {women}{glue}25 "
            f"{children}{glue_children}15 {free_text}").strip()

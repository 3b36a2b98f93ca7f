"""Languages, fallback chains and gettext catalogs, including languages CLDR does not know.

Babel knows fr, en, ha, dje, ar and ff but not Kanuri (kr) nor Tamasheq (tmh): those carry
their own display names and plural rules in ``content/languages.yaml`` and in their catalog's
``Plural-Forms`` header, and borrow a known locale for dates.
"""

from __future__ import annotations

import gettext
import io
import logging
import string
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.core.errors import ContentError
from bot.core.sms_encoding import transliterate

log = logging.getLogger(__name__)
DOMAIN = "messages"
# Catalogs of web pages, not of chat replies: never merged into what the bot says.
WEB_DOMAINS = frozenset({"dashboard"})


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # own name, as listed on Telegram
    sms_name: str  # GSM-7-only spelling for SMS menus
    direction: str = "ltr"
    babel_locale: str | None = None
    fallback: tuple[str, ...] = ()
    transliterate: bool = False
    plural: Mapping[str, Any] | None = None
    letters: str = ""  # its letters outside GSM-7 (ɓ ɗ ƙ, Zarma's ã): an SMS keeps them

    @property
    def rtl(self) -> bool:
        return self.direction == "rtl"

    def sms_spelling(self, text: str) -> str:
        """``text`` as this language's SMS carry it: with ``transliterate``, every character
        outside GSM-7 that is not one of the language's own letters becomes its GSM-7
        look-alike (Hôpital -> Hopital, also in a French text standing in for a missing
        Hausa one); the language's letters, and everything in a language that does not
        transliterate (Arabic), stay."""
        return transliterate(text, keep=self.letters) if self.transliterate else text


def babel_locale(language: Language, languages: Mapping[str, Language]) -> Locale:
    """A Babel locale for dates and numbers: the language's own, else its fallbacks', else fr."""
    for code in (language.babel_locale, *(languages[c].babel_locale for c in language.fallback
                                          if c in languages), "fr"):
        if not code:
            continue
        try:
            return Locale.parse(code)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en")


class _SafeDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # a translation with a wrong placeholder must not crash a reply


_FORMATTER = string.Formatter()


def fill(template: str, values: Mapping[str, Any]) -> str:
    """``str.format`` that leaves unknown placeholders visible instead of raising."""
    try:
        return _FORMATTER.vformat(template, (), _SafeDict(values))
    except (ValueError, IndexError):  # stray braces in a translation
        return template


@dataclass
class Translator:
    """Gettext for one language, through its fallback chain, ending at the English msgid."""

    language: Language
    catalog: gettext.NullTranslations
    locale: Locale

    def gettext(self, message: str, **values: Any) -> str:
        return fill(self.catalog.gettext(message), values)

    def ngettext(self, pair: tuple[str, str], count: int, **values: Any) -> str:
        return fill(self.catalog.ngettext(pair[0], pair[1], count), {"count": count, **values})

    def has_own(self, message: str) -> bool:
        """Whether this language's own catalog (not a fallback) translates ``message``."""
        return bool(getattr(self.catalog, "_catalog", {}).get(message))

    def date(self, value: date) -> str:
        return format_date(value, format="medium", locale=self.locale)

    __call__ = gettext


@dataclass
class Catalogs:
    """Compiled catalogs for every language, built in memory from the ``.po`` files."""

    languages: dict[str, Language]
    compiled: dict[str, gettext.GNUTranslations] = field(default_factory=dict)

    @classmethod
    def load(cls, locales_dir: Path, languages: Mapping[str, Language],
             parsed: Mapping[Path, Catalog | None] | None = None) -> Catalogs:
        """Every ``<lang>/LC_MESSAGES/*.po``: one domain per feature, merged per language.
        ``parsed``: files already read by the caller (the content check), not read again."""
        catalogs = cls(dict(languages))
        for code in languages:
            folder = locales_dir / code / "LC_MESSAGES"
            files = sorted((p for p in folder.glob("*.po") if p.stem not in WEB_DOMAINS),
                           key=lambda p: (p.stem != DOMAIN, p.name))
            merged: gettext.GNUTranslations | None = None
            for po in files:
                compiled = compile_po(po, (parsed or {}).get(po))
                if merged is None:
                    merged = compiled  # messages.po first: its Plural-Forms rule is used
                else:
                    merged._catalog.update(compiled._catalog)  # type: ignore[attr-defined]
            if merged is not None:
                catalogs.compiled[code] = merged
        return catalogs

    def translator(self, code: str | None, prefer: str | None = None) -> Translator:
        """A translator for ``code``; an unknown code gets French, never an exception.
        ``prefer``: the person's chosen fallback (English), read before French."""
        language = self.languages.get(code or "") or self.languages.get("fr") or next(
            iter(self.languages.values()))
        chain = preferring([language.code, *language.fallback], prefer)
        catalog: gettext.NullTranslations = gettext.NullTranslations()
        head: gettext.NullTranslations | None = None
        for lang_code in chain:
            compiled = self.compiled.get(lang_code)
            if compiled is None:
                continue
            # Copy so that add_fallback does not chain the shared objects together.
            link = _copy(compiled)
            if head is None:
                head = catalog = link
            else:
                catalog.add_fallback(link)
                catalog = link
        return Translator(language, head or gettext.NullTranslations(),
                          babel_locale(language, self.languages))


def preferring(chain: list[str], prefer: str | None) -> list[str]:
    """A fallback chain with the person's chosen fallback read before French (kr: Kanuri,
    Hausa, then English, then French); unchanged without a choice."""
    if not prefer or not chain or prefer == chain[0]:
        return chain
    rest = [code for code in chain[1:] if code != prefer]
    at = rest.index("fr") if "fr" in rest else len(rest)
    return [chain[0], *rest[:at], prefer, *rest[at:]]


def _copy(translations: gettext.GNUTranslations) -> gettext.GNUTranslations:
    clone = gettext.GNUTranslations.__new__(gettext.GNUTranslations)
    clone.__dict__.update(translations.__dict__)
    clone._fallback = None  # type: ignore[attr-defined]
    return clone


def compile_po(path: Path, catalog: Catalog | None = None) -> gettext.GNUTranslations:
    """Read a ``.po`` file (unless ``catalog`` is that file, read already) and compile it in
    memory (no ``.mo`` files to keep in sync).

    Fuzzy entries are left out, as gettext does; entries flagged ``hanya-draft`` are served.
    """
    if catalog is None:
        catalog = read_catalog_file(path)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def read_catalog_file(path: Path) -> Catalog:
    """A ``.po`` file parsed as the service reads it; ContentError when it cannot be."""
    try:
        with path.open("rb") as handle:
            # locale=None: the catalog's own Plural-Forms header decides, so kr/tmh work.
            return read_po(handle, abort_invalid=True)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a content error to report
        line = getattr(exc, "lineno", None)
        raise ContentError(f"cannot read catalog: {exc}", file=str(path), line=line) from exc


def parse_languages(entries: Sequence[Mapping[str, Any]]) -> dict[str, Language]:
    languages: dict[str, Language] = {}
    for entry in entries:
        code = str(entry["code"])
        languages[code] = Language(
            code=code,
            name=str(entry.get("name") or code),
            sms_name=str(entry.get("sms_name") or entry.get("name") or code),
            direction=str(entry.get("direction") or "ltr"),
            babel_locale=entry.get("babel_locale"),
            fallback=tuple(entry.get("fallback") or ()),
            transliterate=bool(entry.get("transliterate", False)),
            plural=entry.get("plural"),
            letters=unicodedata.normalize("NFC", str(entry.get("letters") or "")),
        )
    return languages

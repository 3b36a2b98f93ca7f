"""The checks of the words: topics per language (fallbacks, staleness, SMS cost) and the
gettext catalogs (missing msgids against the ``.pot``, placeholders, plural forms, drafts).

Part of ``hanya content check`` (see ``bot.features.editor.check_tree`` for the framework).
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable, Mapping
from gettext import c2py
from pathlib import Path
from typing import Any

import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog, Message
from babel.messages.plurals import get_plural
from babel.plural import to_python

from bot.core.errors import ContentError
from bot.core.i18n import Language, read_catalog_file
from bot.core.sms_encoding import SmsCost, is_gsm7, sms_cost, transliterate
from bot.features.editor.check_tree import REGION, Tree
from bot.features.editor.staleness import SOURCE, staleness

__all__ = ["STAFF_DOMAINS", "check_catalogs", "check_topics", "pot_files", "sms_blame"]

# Domains read by editors and SP/CCM staff rather than migrants: only these languages must
# translate them.
STAFF_DOMAINS: dict[str, tuple[str, ...]] = {"editor": ("fr", "en"), "dashboard": ("fr", "en")}
TITLE_MAX = 24
DRAFT_FLAG = "hanya-draft"
_PLURAL_HEADER = re.compile(r"Plural-Forms:\s*nplurals\s*=\s*(\d+)")


# --- SMS cost ------------------------------------------------------------------------------

def sms_blame(text: str, language: Language) -> tuple[SmsCost, tuple[str, ...], SmsCost]:
    """The cost of ``text`` as the service sends it in ``language``, the characters that force
    UCS-2 although the language's policy could avoid them, and the cost without them."""
    served = language.sms_spelling(text)
    cost = sms_cost(served)
    if cost.encoding == "GSM-7":
        return cost, (), cost
    if language.transliterate:  # the renderer replaced all it could: blame the rest but its letters
        avoidable = tuple(c for c in cost.culprits if c not in language.letters)
    else:  # its script stays as written (Arabic); blame only what has a plain GSM-7 look-alike
        avoidable = tuple(c for c in cost.culprits if is_gsm7(transliterate(c)))
    fixed = "".join(_plain(c) if c in avoidable else c for c in served)
    return cost, avoidable, sms_cost(fixed)


def _plain(char: str) -> str:
    plain = transliterate(char)
    return plain if is_gsm7(plain) else "?"


def _describe(chars: tuple[str, ...]) -> str:
    return ", ".join(f'"{c}" (U+{ord(c):04X})' for c in chars)


def check_sms(tree: Tree, path: Path, line: int, what: str, text: str, code: str) -> None:
    language = tree.languages[code]
    cost, avoidable, fixed = sms_blame(text, language)
    if cost.segments > tree.max_segments:
        tree.add("warning", path, line, f"{what}: the SMS costs {cost.segments} segments "
                 f"({cost.encoding}, {cost.units} units), over the budget of {tree.max_segments}: "
                 "it is cut into pages and the person must reply MORE", code)
    if avoidable and fixed.encoding == "GSM-7":  # these characters alone force UCS-2
        tree.add("warning", path, line, f"{what}: the SMS is sent as UCS-2 (70 characters per "
                 f"SMS, not 160) only because of {_describe(avoidable)}; written without them it "
                 f"would be GSM-7 and cost {fixed.segments} segment(s), not {cost.segments}", code)


# --- topics --------------------------------------------------------------------------------

def check_topics(tree: Tree) -> None:
    menu = tree.section(tree.content_dir / "menu.yaml", "menu", list)
    tree.menu = [str(key) for key in menu or ()]
    for code in tree.languages:
        path = tree.content_dir / code / "topics.yaml"
        if not path.exists():
            tree.add("warning", path, None, "no topics file: every topic falls back", code)
            continue
        data = tree.load(path, code)
        if data is not None and not isinstance(data, Mapping):
            tree.add("error", path, 1, "expected topic keys (rights:, dangers: ...)", code)
        elif data is not None:
            tree.topics[code] = data
    for code in tree.topics:
        _check_language_topics(tree, code)


def _check_language_topics(tree: Tree, code: str) -> None:
    path = tree.content_dir / code / "topics.yaml"
    topics = tree.topics[code]
    for key in tree.menu:
        entry = topics.get(key)
        if entry is not None and not isinstance(entry, Mapping):
            tree.add("error", path, topics.line_of(key), f"topic {key!r} must hold title:, text:",
                     code)
        elif code == SOURCE:
            _check_source_topic(tree, path, key, entry)
        else:
            _check_translation(tree, path, code, key, entry)
        if isinstance(entry, Mapping):
            _check_entry(tree, path, code, key, entry)
    for key in topics:
        if key not in tree.menu:
            tree.add("warning", path, topics.line_of(key),
                     f"topic {key!r} is not in menu.yaml: it is never shown", code)
    drafts = [k for k in tree.menu if isinstance(topics.get(k), Mapping)
              and topics[k].get("status", "draft") != "reviewed"]
    if drafts:
        tree.add("info", path, topics.line_of(drafts[0]), f"{len(drafts)} topic(s) are drafts, "
                 f"to be checked by a native speaker: {', '.join(drafts)}", code)


def _check_source_topic(tree: Tree, path: Path, key: str, entry: Any
                        ) -> None:
    line = tree.topics[SOURCE].line_of(key) if entry is not None else None
    for name in ("title", "text"):
        if entry is None or not entry.get(name):
            tree.add("error", path, line, f"topic {key!r} (listed in menu.yaml) has no {name} in "
                     "French, the source: it is missing from every menu", SOURCE)


def _check_translation(tree: Tree, path: Path, code: str, key: str,
                       entry: Any) -> None:
    topics = tree.topics[code]
    if entry is None:
        tree.add("warning", path, None, f"topic {key!r} is missing in {tree.name(code)}: "
                 f"{_served(tree, code, key, 'title')}", code)
        return
    for name in ("title", "text"):
        if not entry.get(name):
            tree.add("warning", path, topics.line_of(key), f"topic {key!r} has no {name} in "
                     f"{tree.name(code)}: {_served(tree, code, key, name)}", code)
    state = staleness(tree.topics.get(SOURCE, {}).get(key), entry)
    hint = f"check it against fr/topics.yaml, then run `hanya content mark-translated {code} {key}`"
    if state == "stale":
        tree.add("warning", path, entry.line_of("source_hash"), f"topic {key!r} is stale: the "
                 f"French text changed since it was translated; {hint}", code)
    elif state == "unmarked":
        tree.add("warning", path, topics.line_of(key), f"topic {key!r} has no source_hash, so "
                 f"nobody can tell whether it matches the French; {hint}", code)


def _served(tree: Tree, code: str, key: str, name: str) -> str:
    """Which language's text a person of ``code`` gets instead (Content.topic's chain)."""
    language = tree.languages[code]
    for other in dict.fromkeys([*language.fallback, SOURCE]):
        entry = tree.topics.get(other, {}).get(key)
        if isinstance(entry, Mapping) and entry.get(name):
            return f"the {tree.name(other)} {name} is served instead"
    return "nothing can be served: the topic is left out of the menu"


def _check_entry(tree: Tree, path: Path, code: str, key: str, entry: Any) -> None:
    title = str(entry.get("title") or "")
    if len(title) > TITLE_MAX:
        tree.add("warning", path, entry.line_of("title"), f"topic {key!r}: title has "
                 f"{len(title)} characters, more than {TITLE_MAX} (a menu button)", code)
    if entry.get("status", "draft") not in ("draft", "reviewed"):
        tree.add("warning", path, entry.line_of("status"),
                 f"topic {key!r}: status must be draft or reviewed", code)
    for name in ("text", "sms"):
        _check_numbers_in_text(tree, path, entry, name, key, code)
    if not entry.get("text"):
        return
    if entry.get("sms"):
        check_sms(tree, path, entry.line_of("sms"), f"topic {key!r}", str(entry["sms"]).strip(),
                  code)
    else:
        tree.add("warning", path, entry.line_of("text"), f"topic {key!r} has no sms: the whole "
                 "text is sent by SMS", code)
        check_sms(tree, path, entry.line_of("text"), f"topic {key!r}", str(entry["text"]).strip(),
                  code)


def _check_numbers_in_text(tree: Tree, path: Path, entry: Any, name: str,
                           key: str, code: str) -> None:
    text = str(entry.get(name) or "")
    matcher = phonenumbers.PhoneNumberMatcher(text, REGION, leniency=phonenumbers.Leniency.POSSIBLE)
    for match in matcher:
        # Only what is written as an international number: dates and counts look like numbers.
        if match.raw_string.startswith(("+", "00")) and not phonenumbers.is_valid_number(
                match.number):
            tree.add("warning", path, entry.line_of(name),
                     f"topic {key!r}: {match.raw_string!r} does not look like a valid phone "
                     "number", code)


# --- catalogs ------------------------------------------------------------------------------

def pot_files(locales_dir: Path) -> dict[str, Path]:
    """Each gettext domain's template: ``locales/<domain>.pot``."""
    return {path.stem: path for path in sorted(locales_dir.glob("*.pot"))}


def read_catalog(tree: Tree, path: Path, code: str | None) -> Catalog | None:
    """A parsed catalog, read once per check (several checks look at the same file)."""
    if path in tree.catalogs:
        return tree.catalogs[path]
    tree.catalogs[path] = _read_catalog(tree, path, code)
    return tree.catalogs[path]


def _read_catalog(tree: Tree, path: Path, code: str | None) -> Catalog | None:
    """Read as the service reads it (the loader at the end of the check reuses it)."""
    try:
        return read_catalog_file(path)
    except ContentError as exc:
        tree.add("error", path, exc.line, exc.problem, code)
        return None


def translated(message: Message) -> bool:
    forms = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return bool(message.id) and not message.fuzzy and all(forms)


def check_catalogs(tree: Tree) -> None:
    templates: dict[str, Catalog] = {}
    for domain, pot_path in pot_files(tree.locales_dir).items():
        template = read_catalog(tree, pot_path, None)
        if template is None:
            continue
        templates[domain] = template
        codes = STAFF_DOMAINS.get(domain, tuple(tree.languages))
        catalogs: dict[str, Catalog] = {}
        for code in codes:
            path = tree.locales_dir / code / "LC_MESSAGES" / f"{domain}.po"
            if not path.exists():
                tree.add("warning", path, None, f"no {domain!r} catalog in {tree.name(code)}: "
                         f"its {len(template)} messages fall back", code)
                continue
            _check_plural_header(tree, path, code)  # also when a wrong count breaks parsing
            catalog = read_catalog(tree, path, code)
            if catalog is not None:
                catalogs[code] = catalog
                _check_plural_rule(tree, path, code, catalog)
        for code in catalogs:
            _check_catalog(tree, domain, pot_path, template, catalogs, code)
    _check_shared_msgids(tree, templates)


def _check_shared_msgids(tree: Tree, templates: dict[str, Catalog]) -> None:
    """Every domain of a language is merged into one catalog: one msgid, one translation."""
    owner: dict[object, str] = {}
    for domain, template in templates.items():
        for message in template:
            if not message.id:
                continue
            first = owner.setdefault(message.id, domain)
            if first != domain:
                tree.add("warning", tree.locales_dir / f"{domain}.pot", message.lineno,
                         f"{_short(message)} is also in {first}.pot: both share one "
                         "translation per language, the one loaded last wins")


def _check_plural_header(tree: Tree, path: Path, code: str) -> None:
    language = tree.languages.get(code)
    if language is None:
        return
    text = path.read_text("utf-8")
    found = _PLURAL_HEADER.search(text)
    if language.plural and language.plural.get("nplurals"):
        expected = int(language.plural["nplurals"])
    else:
        expected = get_plural(language.babel_locale or code).num_plurals
    line = text.count("\n", 0, found.start()) + 1 if found else 1
    if found is None:
        tree.add("error", path, line, f"no Plural-Forms header: {tree.name(code)} needs "
                 f"nplurals={expected}", code)
    elif int(found.group(1)) != expected:
        tree.add("error", path, line, f"Plural-Forms says nplurals={found.group(1)}, "
                 f"{tree.name(code)} has {expected} plural forms", code)


# Counts on which a plural rule is compared with CLDR's: every last-two-digits ending (the
# rules of these languages look no further), round numbers, and the millions French treats apart.
_PLURAL_SAMPLE = (*range(0, 201), 1000, 1001, 1_000_000, 2_000_000, 1_000_001)
_CLDR_TAGS = ("zero", "one", "two", "few", "many", "other")  # gettext form order (Babel)


@functools.cache  # one rule per language, asked for each of its catalogues
def cldr_plural(code: str) -> tuple[int, Callable[[int], int]] | None:
    """CLDR's plural rule for ``code`` through Babel: (number of forms, count -> form index)."""
    try:
        rule = Locale.parse(code).plural_form
    except (UnknownLocaleError, ValueError):
        return None
    tags = [tag for tag in _CLDR_TAGS if tag in rule.tags or tag == "other"]
    category = to_python(rule)
    return len(tags), lambda n: tags.index(category(n))


def _check_plural_rule(tree: Tree, path: Path, code: str, catalog: Catalog) -> None:
    """The catalog's Plural-Forms must pick the form CLDR picks, for every count."""
    language = tree.languages.get(code)
    cldr = cldr_plural(language.babel_locale) if language and language.babel_locale else None
    if cldr is None:  # Kanuri, Tamajaq: their rule is in languages.yaml
        return
    forms, expected = cldr
    try:
        actual = c2py(catalog.plural_expr)
    except (ValueError, SyntaxError):
        tree.add("error", path, 1, f"Plural-Forms rule {catalog.plural_expr!r} cannot be read",
                 code)
        return
    if catalog.num_plurals != forms:
        tree.add("warning", path, 1, f"{tree.name(code)} has {forms} plural form(s) in CLDR, the "
                 f"catalog {catalog.num_plurals}: a native speaker should decide", code)
        return
    wrong = [n for n in _PLURAL_SAMPLE if actual(n) != expected(n)]
    if wrong:
        shown = ", ".join(f"{n} -> form {actual(n)}, CLDR {expected(n)}" for n in wrong[:3])
        tree.add("error", path, 1, f"Plural-Forms disagrees with CLDR for {len(wrong)} counts "
                 f"({shown}): people would read the wrong form", code)


def _check_catalog(tree: Tree, domain: str, pot_path: Path, template: Catalog,
                   catalogs: dict[str, Catalog], code: str) -> None:
    catalog = catalogs[code]
    path = tree.locales_dir / code / "LC_MESSAGES" / f"{domain}.po"
    drafts: list[Message] = []
    missing: dict[str, list[str]] = {}  # what is served instead -> msgids
    for wanted in template:
        if not wanted.id:
            continue
        message = catalog.get(wanted.id, wanted.context)
        served = _served_ui(tree, wanted, catalogs, code)
        if message is None or not (message.fuzzy or any(_forms(message))):
            missing.setdefault(served, []).append(_short(wanted))
        elif not translated(message):
            _report_untranslated(tree, path, message, served, code)
        else:
            drafts += [message] if DRAFT_FLAG in message.flags else []
            _check_message(tree, path, message, code)
    for served, ids in missing.items():
        shown = "; ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
        tree.add("warning", path, None, f"{len(ids)} message(s) of {tree.show(pot_path)} are "
                 f"missing in {tree.name(code)}, {served}: {shown}", code)
    for message in catalog:
        if message.id and template.get(message.id, message.context) is None:
            tree.add("warning", path, message.lineno, f"{_short(message)} is not in "
                     f"{tree.show(pot_path)}: never used (run `make locales-update`)", code)
    if drafts:
        total = sum(1 for wanted in template if wanted.id)
        tree.add("info", path, drafts[0].lineno, f"{len(drafts)} of {total} messages are "
                 f"drafts ({DRAFT_FLAG}), to be checked by a native speaker", code)


def _served_ui(tree: Tree, wanted: Message, catalogs: dict[str, Catalog], code: str) -> str:
    """What a person of ``code`` reads when the message is not translated (Translator's chain)."""
    for other in tree.languages[code].fallback if code in tree.languages else ():
        candidate = catalogs.get(other, Catalog()).get(wanted.id, wanted.context)
        if candidate is not None and translated(candidate):
            return f"the {tree.name(other)} text is served instead"
    return "the English source text is served"


def _report_untranslated(tree: Tree, path: Path, message: Message, served: str,
                         code: str) -> None:
    if message.fuzzy:
        tree.add("warning", path, message.lineno, f"{_short(message)} is fuzzy, so not "
                 f"served: {served}", code)
    else:
        tree.add("error", path, message.lineno, f"{_short(message)}: a plural form is empty, "
                 "so some counts would show nothing", code)


def _forms(message: Message) -> tuple[str, ...]:
    forms = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return tuple(form or "" for form in forms)


def _check_message(tree: Tree, path: Path, message: Message, code: str) -> None:
    ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
    forms = _forms(message)
    expected = set().union(*(placeholders(i) or set() for i in ids))
    plural = len(ids) > 1
    for index, form in enumerate(forms):
        found = placeholders(form)
        label = f"{_short(message)}{f' form {index}' if plural else ''}"
        if found is None:
            tree.add("error", path, message.lineno, f"{label}: unbalanced braces {{ }} in the "
                     "translation", code)
            continue
        for name in sorted(found - expected):
            tree.add("error", path, message.lineno, f"{label}: placeholder {{{name}}} is not in "
                     "the source: the person would see it as is", code)
        # A plural form may leave the number out ("one service", Arabic dual): not {count}.
        for name in sorted(expected - found - ({"count"} if plural else set())):
            tree.add("error", path, message.lineno, f"{label}: placeholder {{{name}}} is "
                     "missing from the translation", code)
    language = tree.languages.get(code)
    if language is not None:
        check_sms(tree, path, message.lineno or 0, _short(message), forms[0], code)


def placeholders(text: str) -> set[str] | None:
    """The ``{names}`` of a brace-format string, or None when its braces are broken."""
    try:
        return {name.split(".")[0].split("[")[0]
                for _literal, name, _spec, _conv in string.Formatter().parse(text)
                if name is not None}
    except ValueError:
        return None


def _short(message: Message) -> str:
    text = message.id[0] if isinstance(message.id, tuple | list) else message.id
    return f'msgid "{text[:40]}{"..." if len(text) > 40 else ""}"'

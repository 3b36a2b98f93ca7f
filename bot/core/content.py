"""Content under ``content/``: languages, points, services, keywords, menu, topics and report
categories.

Loaded once into an immutable ``Content`` bundle (with the gettext catalogs); the running
service swaps the whole bundle when an editor's change passes the checks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from babel.messages.catalog import Catalog

from bot.core import categories, texts
from bot.core.audio import Recording, load_recordings, source_text
from bot.core.errors import ContentError
from bot.core.i18n import Catalogs, Language, Translator, parse_languages, preferring
from bot.core.keywords import KeywordIndex, Near, near, normalise

NATIONAL = "national"
# A number in a topic text is written {phone:<service id>}: it then carries the same
# "not verified" tag as the service's own line, and changes with the service.
PHONE_REF = re.compile(r"\{phone:([^{}\s]+)\}")
LRI, PDI = "\u2066", "\u2069"  # left-to-right isolate: "+227 89 98 33 39" in Arabic text


@dataclass(frozen=True)
class Point:
    id: str
    name: str
    names: Mapping[str, str]
    region: str | None
    region_name: str | None
    lat: float | None
    lon: float | None
    aliases: tuple[str, ...] = ()

    def display(self, language: str) -> str:
        return self.names.get(language) or self.name


@dataclass(frozen=True)
class Service:
    id: str
    point: str
    kind: str
    name: Mapping[str, str]
    phone: str | None
    hours: Mapping[str, str] | None
    verified_on: date | None
    confidence: str
    source: str
    gives: Mapping[str, str] | None = None  # what a person gets there, per language
    where: Mapping[str, str] | None = None
    source_date: str = ""  # "2018-19": shown so that old news is not read as today's
    short: Mapping[str, str] | None = None  # name in the one-line list of emergency numbers


@dataclass(frozen=True)
class Topic:
    key: str
    language: str  # the language this text is actually in (after fallback)
    title: str
    text: str
    sms: str
    status: str  # reviewed | draft
    sms_title: str | None = None  # the title in SMS menus, when the language writes it plainer


@dataclass
class Content:
    languages: dict[str, Language]
    points: dict[str, Point]
    services: list[Service]
    menu: list[str]
    topics: dict[str, dict[str, dict[str, Any]]]  # language -> key -> raw entry
    keywords: KeywordIndex
    keyword_entries: dict[str, dict[str, dict[str, Any]]]
    catalogs: Catalogs
    # report categories and the words of the report SMS (content/categories.yaml)
    vocabulary: categories.Vocabulary
    # language -> the language whose text stands in for it until it has its own (kr -> ha)
    texts_from: dict[str, str] = field(default_factory=dict)
    # language -> key (topic or "menu") -> its recording (content/<lang>/audio/, issue 24)
    recordings: dict[str, dict[str, Recording]] = field(default_factory=dict)
    _translators: dict[tuple[str, str], Translator] = field(default_factory=dict)

    def menu_name(self, code: str, *, sms: bool = False) -> str:
        """The language's own name in the language menu, with the language it reads for now."""
        lang = self.languages[code]
        name = lang.sms_name if sms else lang.name
        stand_in = self.languages.get(self.texts_from.get(code, ""))
        if stand_in is None:
            return name
        return f"{name} > {stand_in.sms_name}" if sms else f"{name} → {stand_in.name}"

    def translator(self, language: str | None, prefer: str | None = None) -> Translator:
        """Gettext for ``language``; ``prefer`` is the person's chosen fallback (English)."""
        key = (language or "", prefer or "")
        if key not in self._translators:
            self._translators[key] = self.catalogs.translator(language, prefer)
        return self._translators[key]

    def hinted(self, chosen: str | None, hint: str | None, default: str) -> str:
        """The language to answer in: the person's choice, else the phone's language when
        Telegram told it ("ar", "pt-BR"...) and we have it, else ``default``."""
        if chosen in self.languages:
            return str(chosen)
        code = (hint or "").split("-")[0].lower()
        return code if code in self.languages else default

    def chain(self, language: str, prefer: str | None = None) -> list[str]:
        """The languages read in turn for a text; ``prefer`` (a person's chosen fallback,
        English) comes before French."""
        lang = self.languages.get(language)
        chain = list(dict.fromkeys([language, *(lang.fallback if lang else ()), "fr"]))
        return preferring(chain, prefer if prefer in self.languages else None)

    def topic(self, language: str, key: str, prefer: str | None = None) -> Topic | None:
        """A topic in ``language`` or the first language of its fallback chain that has it
        (``prefer``: the person's chosen fallback, before French).

        Title, text and SMS fall back separately: a language with only a title still gets the
        fallback's text.
        """
        title = text = sms = sms_title = None
        used, status = language, "reviewed"
        for code in self.chain(language, prefer):
            entry = self.topics.get(code, {}).get(key)
            if not entry:
                continue
            if title is None and entry.get("title"):
                title, sms_title = entry["title"], entry.get("sms_title")
            if text is None and entry.get("text"):
                text, sms, used = entry["text"].strip(), (entry.get("sms") or "").strip(), code
                status = entry.get("status", "draft")
        if title is None or text is None:
            return None
        # The tag is in the language the text is in, which may be a fallback's.
        text, sms = self.expand_phones(text, used), self.expand_phones(sms or text, used)
        return Topic(key, used, title, text, sms, status, sms_title)

    def recording(self, language: str, key: str) -> Recording | None:
        """The language's own recording of ``key`` (never a fallback's: a voice in another
        language helps nobody); None when there is none or it is stale."""
        found = self.recordings.get(language, {}).get(key)
        return found if found is not None and not found.stale else None

    def has_recordings(self, language: str) -> bool:
        return any(not r.stale for r in self.recordings.get(language, {}).values())

    def service(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)

    def phone_label(self, service: Service, language: str) -> str:
        """The service's number, isolated in right-to-left text, and who checked it."""
        t = self.translator(language)
        check = (t(texts.VERIFIED_ON, date=t.date(service.verified_on))
                 if service.verified_on else t(texts.NOT_VERIFIED))
        return f"{isolate(service.phone or '', self.direction(language))} ({check})"

    def direction(self, language: str) -> str:
        lang = self.languages.get(language)
        return lang.direction if lang else "ltr"

    def expand_phones(self, text: str, language: str) -> str:
        """Replace each {phone:<service id>} by the number and its "not verified" tag."""
        def label(match: re.Match[str]) -> str:
            service = self.service(match.group(1))
            return self.phone_label(service, language) if service else match.group(0)
        return PHONE_REF.sub(label, text)

    def services_at(self, point_id: str) -> list[Service]:
        return [s for s in self.services if s.point == point_id]

    def national_services(self) -> list[Service]:
        return [s for s in self.services if s.point == NATIONAL]

    def nearest_with_services(self, point: Point) -> tuple[Point, float] | None:
        """The closest other point that lists services, and how far (None without coordinates)."""
        if point.lat is None or point.lon is None:
            return None
        found = [(other, haversine_km(point.lat, point.lon, other.lat, other.lon))
                 for other in self.points_in_order()
                 if other.id != point.id and other.lat is not None and other.lon is not None
                 and self.services_at(other.id)]
        return min(found, key=lambda pair: pair[1], default=None)

    def points_in_order(self) -> list[Point]:
        return [p for p in self.points.values() if p.region]  # points inside Niger

    def nearest_point(self, lat: float, lon: float, max_km: float) -> tuple[Point, float] | None:
        best: tuple[Point, float] | None = None
        for point in self.points_in_order():
            if point.lat is None or point.lon is None:
                continue
            km = haversine_km(lat, lon, point.lat, point.lon)
            if best is None or km < best[1]:
                best = (point, km)
        return best if best and best[1] <= max_km else None

    def find_point(self, text: str) -> Point | None:
        """A point named (or aliased) exactly, ignoring case and accents."""
        folded = normalise(text)
        for point in self.points.values():
            names = [point.id, point.name, *point.names.values(), *point.aliases]
            if folded in {normalise(n) for n in names}:
                return point
        return None

    def near_point(self, text: str) -> Near[Point] | None:
        """A point named with a typo (asamaka, niamy, "birni konni"): the same tolerant
        matching as the committees' report words (``bot.core.keywords.near``), on names
        written without spaces, hyphens or apostrophes."""
        names: dict[str, str] = {}
        for point in self.points.values():
            for name in (point.id, point.name, *point.names.values(), *point.aliases):
                names.setdefault(_letters(name), point.id)
        found = near(_letters(text), names)
        if found is None:
            return None
        return Near(self.points[found.value], found.word, found.edits, found.sure)


def _letters(text: str) -> str:
    return "".join(ch for ch in normalise(text) if ch.isalpha())


def isolate(number: str, direction: str) -> str:
    """A phone number kept left to right: without it Arabic shows "39 33 98 89 227+"."""
    needed = direction == "rtl" and not number.isdigit()  # "17" alone reads right anyway
    return f"{LRI}{number}{PDI}" if needed and number else number


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


# libyaml's parser when PyYAML was built with it (the wheels are): the same safe constructors,
# ~10x faster than the pure-Python one, which was half of `hanya content check` (issue #23).
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file, turning a syntax error into a ContentError with its line."""
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
    except FileNotFoundError as exc:
        raise ContentError("file is missing", file=str(path)) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ContentError(f"YAML syntax error: {problem}", file=str(path), line=line) from exc


def load_content(content_dir: Path, locales_dir: Path,
                 parsed_catalogs: Mapping[Path, Catalog | None] | None = None,
                 read: Callable[[Path], Any] = read_yaml) -> Content:
    """Load and cross-check the whole content tree; raise ContentError on the first defect.
    ``parsed_catalogs`` and ``read``: ``.po`` and YAML files the caller read already (the
    content check, which parsed each of them with the same safe constructors)."""
    language_entries = read(content_dir / "languages.yaml")["languages"]
    languages = parse_languages(language_entries)
    texts_from = {str(e["code"]): str(e["texts_from"]) for e in language_entries
                  if e.get("texts_from")}
    points = {p.id: p for p in _points(read(content_dir / "points.yaml")["points"])}
    services = _services(read(content_dir / "services.yaml")["services"])
    for service in services:
        if service.point != NATIONAL and service.point not in points:
            raise ContentError(f"service {service.id!r} names unknown point {service.point!r}",
                               file=str(content_dir / "services.yaml"))
    menu = list(read(content_dir / "menu.yaml")["menu"])
    keyword_entries = read(content_dir / "keywords.yaml")["keywords"]
    words = {key: {lang: (entry or {}).get("words") or [] for lang, entry in by_lang.items()}
             for key, by_lang in keyword_entries.items()}
    topics: dict[str, dict[str, dict[str, Any]]] = {}
    for code in languages:
        path = content_dir / code / "topics.yaml"
        if path.exists():
            topics[code] = read(path) or {}
    _check_phone_refs(topics, {s.id for s in services if s.phone}, content_dir)
    catalogs = Catalogs.load(locales_dir, languages, parsed_catalogs)

    def text_for(code: str, key: str) -> str | None:
        chain = [code, *languages[code].fallback, "fr"]
        return source_text(topics, chain, menu, key)

    recordings = load_recordings(content_dir, list(languages), read, text_for)
    vocabulary = _vocabulary(content_dir / categories.FILE, points, read)
    return Content(languages, points, services, menu, topics, KeywordIndex(words),
                   keyword_entries, catalogs, vocabulary, texts_from, recordings)


def _vocabulary(path: Path, points: dict[str, Point],
                read: Callable[[Path], Any]) -> categories.Vocabulary:
    """The report categories and SMS words; a word with two meanings or a malformed entry
    refuses the whole content, as any other defect does."""
    data = read(path) or {}
    try:
        return categories.build_vocabulary(points.values(), data)
    except (categories.VocabularyError, AttributeError, TypeError, ValueError) as exc:
        raise ContentError(f"report categories: {exc}", file=str(path)) from exc


def _check_phone_refs(topics: dict[str, dict[str, dict[str, Any]]], known: set[str],
                      content_dir: Path) -> None:
    for code, entries in topics.items():
        for key, entry in entries.items():
            for name in ("text", "sms"):
                for ref in PHONE_REF.findall(str((entry or {}).get(name) or "")):
                    if ref not in known:
                        raise ContentError(f"topic {key!r}: {{phone:{ref}}} names no service "
                                           "with a phone", file=str(content_dir / code /
                                                                   "topics.yaml"), language=code)


def _points(entries: list[dict[str, Any]]) -> list[Point]:
    return [
        Point(
            id=str(e["id"]), name=str(e["name"]), names=e.get("names") or {},
            region=e.get("region"), region_name=e.get("region_name"),
            lat=e.get("lat"), lon=e.get("lon"),
            aliases=tuple(str(a) for a in e.get("aliases") or ()),
        )
        for e in entries
    ]


def _services(entries: list[dict[str, Any]]) -> list[Service]:
    return [
        Service(
            id=str(e["id"]), point=str(e["point"]), kind=str(e.get("kind", "")),
            name=e.get("name") or {}, phone=(str(e["phone"]) if e.get("phone") else None),
            hours=e.get("hours"), verified_on=e.get("verified_on"),
            confidence=str(e.get("confidence", "U")), source=str(e.get("source", "")),
            gives=e.get("gives"), where=e.get("where"),
            source_date=str(e.get("source_date") or ""), short=e.get("short"),
        )
        for e in entries
    ]


def localised(values: Mapping[str, str] | None, chain: list[str]) -> str:
    """The first value along a language chain (empty string when none)."""
    return localised_in(values, chain)[0]


def localised_in(values: Mapping[str, str] | None, chain: list[str]) -> tuple[str, str | None]:
    """The first value along a language chain and the language it is in (None: unknown)."""
    if not values:
        return "", None
    for code in chain:
        if values.get(code):
            return values[code], code
    return next(iter(values.values()), ""), None

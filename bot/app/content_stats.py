"""``hanya content stats``: translation coverage per language and the SMS cost of the main
replies, measured on replies rendered by the real engine (not re-implemented here).

The SMS walk drives ``bot.core.chat_session.ChatSession`` through a throw-away SQLite store: hello,
the
language, a place, the menu, then every topic of the menu (and its MORE pages), exactly as a
person on SMS would; each language from a new contact.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from pydantic import SecretStr

from bot.core import texts
from bot.core.chat_session import ChatSession
from bot.core.content import Content, load_content
from bot.core.messages import MsgIn
from bot.core.settings import Settings
from bot.core.sms_encoding import sms_cost
from bot.features.editor.check_text import DRAFT_FLAG, STAFF_DOMAINS, pot_files, translated
from bot.features.editor.staleness import SOURCE, staleness
from webhooks.channels import channel_traits

__all__ = ["Coverage", "LanguageStats", "ReplyCost", "content_stats"]


@dataclass
class Coverage:
    translated: int = 0  # reviewed (topics) or translated without a draft flag (UI strings)
    draft: int = 0
    fuzzy: int = 0
    missing: int = 0  # served in a fallback language
    stale: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.translated + self.draft + self.fuzzy + self.missing


@dataclass
class ReplyCost:
    reply: str  # "menu" or a topic key
    pages: int  # 1 + the MORE pages
    segments: int  # all pages together
    encoding: str  # UCS-2 when any page is


@dataclass
class LanguageStats:
    code: str
    name: str
    topics: Coverage
    ui: Coverage
    sms: list[ReplyCost] = field(default_factory=list)
    # Recordings played (content/<lang>/audio/, issue 24) and those stale (not played).
    recordings: list[str] = field(default_factory=list)
    stale_recordings: list[str] = field(default_factory=list)

    @property
    def recordings_line(self) -> str:
        if not self.recordings and not self.stale_recordings:
            return "no recording yet"
        line = f"{len(self.recordings)}: {', '.join(self.recordings) or '-'}"
        return line + (f"; stale, not played: {', '.join(self.stale_recordings)}"
                       if self.stale_recordings else "")

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["topics"]["total"], data["ui"]["total"] = self.topics.total, self.ui.total
        return data


def content_stats(settings: Settings, point: str | None = None) -> list[LanguageStats]:
    """Coverage and SMS costs for every language of the content named by ``settings``."""
    content = load_content(settings.content_dir, settings.locales_dir)
    stats = [LanguageStats(code, language.name, topic_coverage(content, code),
                           ui_coverage(settings.locales_dir, code))
             for code, language in content.languages.items()]
    costs = measure_sms(settings, content, point or _busiest_point(content))
    for entry in stats:
        entry.sms = costs.get(entry.code, [])
        recorded = content.recordings.get(entry.code, {})
        entry.recordings = sorted(k for k, r in recorded.items() if not r.stale)
        entry.stale_recordings = sorted(k for k, r in recorded.items() if r.stale)
    return stats


def topic_coverage(content: Content, code: str) -> Coverage:
    coverage = Coverage()
    source = content.topics.get(SOURCE, {})
    for key in content.menu:
        entry = content.topics.get(code, {}).get(key)
        if not isinstance(entry, Mapping) or not entry.get("text"):
            coverage.missing += 1
        elif entry.get("status", "draft") == "reviewed":
            coverage.translated += 1
        else:
            coverage.draft += 1
        if code != SOURCE and isinstance(entry, Mapping) and staleness(source.get(key), entry):
            coverage.stale.append(key)
    return coverage


def ui_coverage(locales_dir: Path, code: str) -> Coverage:
    """UI strings of every migrant-facing domain against its ``.pot``."""
    coverage = Coverage()
    for domain, pot in pot_files(locales_dir).items():
        if domain in STAFF_DOMAINS:
            continue
        with pot.open("rb") as handle:
            wanted = [m for m in read_po(handle) if m.id]
        po = locales_dir / code / "LC_MESSAGES" / f"{domain}.po"
        catalog = None
        if po.exists():
            with po.open("rb") as handle:
                catalog = read_po(handle)
        for message in wanted:
            found = catalog.get(message.id, message.context) if catalog else None
            if found is not None and found.fuzzy:
                coverage.fuzzy += 1
            elif found is None or not translated(found):
                coverage.missing += 1
            elif DRAFT_FLAG in found.flags:
                coverage.draft += 1
            else:
                coverage.translated += 1
    return coverage


def _busiest_point(content: Content) -> str:
    """The place with the most services: the longest "help near you"."""
    points = content.points_in_order()
    return max(points, key=lambda p: len(content.services_at(p.id))).id


# --- the SMS walk ----------------------------------------------------------------------------

def measure_sms(settings: Settings, content: Content, point: str) -> dict[str, list[ReplyCost]]:
    """Walk every language on SMS through the real engine; cost of each main reply."""
    from bot.app.runtime import build_runtime
    from bot.core.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="hanya-stats-") as tmp:
        scratch = settings.model_copy(update={
            "database_url": f"sqlite:///{Path(tmp) / 'stats.db'}", "run_sender": False,
            "spool_dir": Path(tmp) / "spool", "secret_key": SecretStr(secrets.token_urlsafe())})
        runtime = build_runtime(scratch, channel_traits(scratch))
        try:
            upgrade(runtime.store)
            session = ChatSession(runtime, "sms", echo=False)
            return {code: _walk(session, content, code, point) for code in content.languages}
        finally:
            runtime.store.dispose()


def _walk(session: ChatSession, content: Content, code: str, point: str) -> list[ReplyCost]:
    languages, places = list(content.languages), [p.id for p in content.points_in_order()]
    # One made-up Niger number per language (never dialled: the store is thrown away), so each
    # walk is a first contact and no per-person or per-country guard mixes the languages up.
    say = _sender(session, f"tel:+2270000{languages.index(code):04d}")
    say("hello")
    say(str(languages.index(code) + 1))
    costs = [_cost(say, "menu", say(str(places.index(point) + 1)), content, code)]
    shown = [key for key in content.menu if content.topic(code, key) is not None]
    for number, key in enumerate(shown, 1):
        costs.append(_cost(say, key, say(str(number)), content, code))
    return costs


def _sender(session: ChatSession, address: str) -> Callable[[str], list[Any]]:
    def say(text: str) -> list[Any]:
        session.counter += 1
        return session.deliver(MsgIn("sms", address, f"stats-{session.counter}", text=text))  # type: ignore[no-any-return]

    return say


def _cost(say: Callable[[str], list[Any]], reply: str, messages: list[Any], content: Content,
          code: str) -> ReplyCost:
    """The cost of a reply and of every MORE page that follows it."""
    hint = content.languages[code].sms_spelling(content.translator(code)(texts.SMS_MORE_HINT))
    pages = [m.text for m in messages]
    while pages and pages[-1].endswith(hint) and len(pages) < 20:
        pages += [m.text for m in say(content.keywords.first_word("more", code, "MORE"))]
    page_costs = [sms_cost(text) for text in pages]
    encoding = "UCS-2" if any(c.encoding == "UCS-2" for c in page_costs) else "GSM-7"
    return ReplyCost(reply, len(pages), sum(c.segments for c in page_costs), encoding)

"""What a journey costs (issue #23, row 3): SMS segments as Twilio bills them and messages, per
language and channel, driven through the real engine (``bot.core.chat_session.ChatSession``
on a throw-away SQLite store): no text here is written by hand.

Journeys, each from a new contact:
- ``emergency``: first contact -> language -> place (Assamaka) -> the Emergency topic;
- ``help_assamaka``: first contact -> language -> Assamaka -> Help near you, with its MORE pages;
- ``committee_report``: a committee member (language chosen, enrolled with a one-time code)
  sends the report SMS the engine itself gives as its example, and gets its confirmation.

Reference: the same words in GSM-7 with no paging, i.e. each reply's pages joined without the
MORE hint, every character one septet (two for GSM-7's extension table), packed 160 / 153.
"""

from __future__ import annotations

import secrets
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

JOURNEYS = ("emergency", "help_assamaka", "committee_report")
PLACE = "assamaka"
MAX_PAGES = 20


@dataclass
class JourneyCost:
    language: str
    channel: str
    journey: str
    messages_in: int  # what the person sent
    messages_out: int  # what Hanya sent (each SMS page one message)
    segments_in: int  # SMS segments the person sent (SMS-like channels; else 0)
    segments_out: int  # SMS segments Hanya sent, as Twilio bills them
    reference_out: int  # the same words in GSM-7, no paging
    culprits: Counter[str] = field(default_factory=Counter)  # non-GSM-7 characters, by count
    last_text: str = ""  # the journey's last reply, for the tests to check where it ended

    @property
    def ratio(self) -> float:
        return self.segments_out / self.reference_out if self.reference_out else float("nan")


def gsm7_reference(text: str) -> int:
    """Segments of ``text`` if every character were a GSM-7 septet (no paging, no UCS-2)."""
    from bot.core.sms_encoding import GSM7_EXTENSION, GSM7_PART, GSM7_SINGLE, graphemes

    units = sum(2 if c in GSM7_EXTENSION else 1 for c in graphemes(text))
    return 1 if units <= GSM7_SINGLE else -(-units // GSM7_PART)


@contextmanager
def scratch_runtime() -> Iterator[Any]:
    """A Hanya runtime on a throw-away SQLite database, sender off (as ``hanya content stats``)."""
    from pydantic import SecretStr

    from bot.app.runtime import build_runtime
    from bot.core.migrate import upgrade
    from bot.core.settings import Settings
    from webhooks.channels import channel_traits

    with tempfile.TemporaryDirectory(prefix="hanya-journeys-") as tmp:
        settings = Settings(_env_file=None).model_copy(update={  # type: ignore[call-arg]
            "database_url": f"sqlite:///{Path(tmp) / 'journeys.db'}", "run_sender": False,
            "spool_dir": Path(tmp) / "spool", "secret_key": SecretStr(secrets.token_urlsafe())})
        runtime = build_runtime(settings, channel_traits(settings))
        try:
            upgrade(runtime.store)
            yield runtime
        finally:
            runtime.store.dispose()


class _Walker:
    """One person on one channel, talking to the engine; counts what goes each way."""

    def __init__(self, runtime: Any, channel: str, address: str) -> None:
        from bot.core import channel_registry
        from bot.core.chat_session import ChatSession

        self.session = ChatSession(runtime, channel, echo=False)
        self.channel, self.address = channel, address
        self.sms_like = channel_registry.get(channel).sms_like
        self.sent: list[str] = []
        self.replies: list[list[str]] = []  # one list of pages per person's message
        self.counter = 0
        self.more = "MORE"  # the MORE keyword in the person's language

    def say(self, text: str = "", choice: str | None = None) -> list[str]:
        from bot.core.messages import MsgIn

        self.counter += 1
        # Every message its own provider id: a repeated one is dropped as a retry.
        key = f"journey-{self.address}-{self.counter}"
        msg = (MsgIn(self.channel, self.address, key, kind="choice", choice=choice)
               if choice is not None else MsgIn(self.channel, self.address, key, text=text))
        self.sent.append(text or "")
        pages = [m.text for m in self.session.deliver(msg)]
        self.replies.append(pages)
        return pages


def _cost(walker: _Walker, language: str, journey: str, hint: str,
          counted_from: int = 0) -> JourneyCost:
    from bot.core.sms_encoding import sms_cost

    replies = walker.replies[counted_from:]
    sent = walker.sent[counted_from:]
    pages = [p for reply in replies for p in reply]
    cost = JourneyCost(language, walker.channel, journey, len(sent), len(pages), 0, 0, 0)
    if walker.sms_like:
        cost.segments_in = sum(sms_cost(t).segments for t in sent)
        costs = [sms_cost(p) for p in pages]
        cost.segments_out = sum(c.segments for c in costs)
        for page in pages:
            cost.culprits.update(ch for ch in page if ch in set(sms_cost(page).culprits))
        # A reply and the MORE pages asked after it are one text, the hint taken off.
        merged: list[str] = []
        for asked, reply in zip(sent, replies, strict=True):
            text = "\n".join(p.removesuffix(hint).rstrip() if hint else p for p in reply)
            if not text:
                continue
            if merged and asked == walker.more:
                merged[-1] += "\n" + text
            else:
                merged.append(text)
        cost.reference_out = sum(gsm7_reference(m) for m in merged)
    cost.last_text = pages[-1] if pages else ""
    return cost


def _numbered(walker: _Walker, number: int, choice: str) -> list[str]:
    """Pick an option: its number on text channels, the button's payload on Telegram."""
    if walker.channel == "telegram":
        return walker.say(choice=choice)
    return walker.say(str(number))


def walk_information(runtime: Any, channel: str, language: str, topic: str,
                     address: str, *, more: bool) -> _Walker:
    """First contact -> language -> Assamaka -> ``topic`` (and, ``more``, every MORE page)."""
    content = runtime.content.current
    languages = list(content.languages)
    places = [p.id for p in content.points_in_order()]
    shown = [key for key in content.menu if content.topic(language, key) is not None]
    walker = _Walker(runtime, channel, address)
    walker.more = content.keywords.first_word("more", language, "MORE")
    walker.say("/start" if channel == "telegram" else "hello")
    _numbered(walker, languages.index(language) + 1, f"lang:{language}")
    _numbered(walker, places.index(PLACE) + 1, f"point:{PLACE}")
    pages = _numbered(walker, shown.index(topic) + 1, f"topic:{topic}")
    hint = _more_hint(content, language)
    while more and walker.sms_like and pages and hint and pages[-1].endswith(hint) \
            and len(walker.replies) < MAX_PAGES:
        pages = walker.say(walker.more)
    return walker


def _more_hint(content: Any, language: str) -> str:
    from bot.core import texts
    from bot.core.sms_encoding import transliterate

    hint = str(content.translator(language)(texts.SMS_MORE_HINT))
    return transliterate(hint) if content.languages[language].transliterate else hint


def walk_committee_report(runtime: Any, channel: str, language: str, address: str,
                          committee_id: int) -> tuple[_Walker, int]:
    """A member chooses ``language``, joins with a fresh code, then sends the engine's own
    example report; returns the walker and the index where the report begins."""
    from bot.features.committees.models import Committee, issue_code
    from bot.features.committees.vocabulary import example

    content = runtime.content.current
    with runtime.store.session() as session:
        code, _ = issue_code(session, runtime.vault, session.get(Committee, committee_id),
                             timedelta(days=1))
    walker = _Walker(runtime, channel, address)
    walker.more = content.keywords.first_word("more", language, "MORE")
    languages = list(content.languages)
    walker.say("/start" if channel == "telegram" else "hello")
    _numbered(walker, languages.index(language) + 1, f"lang:{language}")
    walker.say(f"{content.keywords.first_word('join', language, 'JOIN')} {code}")
    report = example(content.vocabulary, content.chain(language),
                     content.keywords.first_word("report", language, "REPORT"),
                     "Assamaka", "expulsion", "")
    start = len(walker.replies)
    walker.say(report)
    return walker, start


def journey_costs(channels: list[str] | None = None,
                  languages: list[str] | None = None) -> list[JourneyCost]:
    """Every journey for every language and channel (default: all installed)."""
    from bot.core import channel_registry
    from bot.features.committees.models import Committee

    with scratch_runtime() as runtime:
        content = runtime.content.current
        channels = channels or [c.name for c in channel_registry.installed()]
        languages = languages or list(content.languages)
        with runtime.store.session() as session:
            committee = Committee(slug="bench", name="Bench", point_id=PLACE, region="NE001")
            session.add(committee)
            session.flush()
            committee_id = committee.id
        scheme = {c.name: c.scheme for c in channel_registry.installed()}
        results = []
        person = 0
        for channel in channels:
            for language in languages:
                hint = _more_hint(content, language)
                # The numbers are on the Emergency topic's first SMS (tests/
                # test_emergency_first.py): the journey ends there; Help near you is read whole.
                for topic, journey, more in (("emergency", "emergency", False),
                                             ("help_near_you", "help_assamaka", True)):
                    person += 1
                    walker = walk_information(runtime, channel, language, topic,
                                              _address(scheme[channel], person), more=more)
                    results.append(_cost(walker, language, journey, hint))
                person += 1
                walker, start = walk_committee_report(runtime, channel, language,
                                                      _address(scheme[channel], person),
                                                      committee_id)
                results.append(_cost(walker, language, "committee_report", hint, start))
        return results


def _address(scheme: str, person: int) -> str:
    if scheme == "telegram:":
        return f"telegram:{700_000_000 + person}"
    return f"{scheme}+22791{person:06d}"  # a Niger number: never dialled, the store is thrown away


__all__ = ["JOURNEYS", "JourneyCost", "gsm7_reference", "journey_costs"]


def journey_rows(costs: list[JourneyCost], section: str = "U3") -> list[Any]:
    """One table row per channel and journey: every language's cost against its GSM-7 bound."""
    from bench.report import Row, verdict

    rows = []
    for channel in dict.fromkeys(c.channel for c in costs):
        for journey in JOURNEYS:
            mine = [c for c in costs if c.channel == channel and c.journey == journey]
            if not mine:
                continue
            sms = any(c.segments_out for c in mine)
            if not sms:
                value = " · ".join(f"{c.language} {c.messages_in}→{c.messages_out}" for c in mine)
                rows.append(Row(section, f"{_TITLES[journey]} on {channel}: messages sent → "
                                         "received", value, "", "", "report", "",
                                "no segments: a chat channel bills (or not) by message"))
                continue
            value = " · ".join(f"{c.language} {c.segments_out} ({c.messages_out} msg)"
                               for c in mine)
            reference = " · ".join(f"{c.language} {c.reference_out}" for c in mine)
            ratios = {c.language: c.ratio for c in mine}
            cheap = [ratios[code] for code in ("fr", "en") if code in ratios]
            dearer = [f"{c.language} {c.ratio:.2f}× ({_culprits(c)})" for c in mine
                      if c.ratio > 1.2]
            sent_in = " · ".join(f"{c.language} {c.segments_in}" for c in mine)
            rows.append(Row(section, f"{_TITLES[journey]} on {channel}: segments Hanya sends",
                            value, reference + " GSM-7, no paging",
                            " · ".join(f"{k} {v:.2f}" for k, v in ratios.items()),
                            "fr, en ≤ 1.2×", verdict(bool(cheap) and max(cheap) <= 1.2),
                            "dearer: " + ("; ".join(dearer) or "none above 1.2×")
                            + f". The person's own segments: {sent_in}"))
    return rows


_TITLES = {"emergency": "first contact → emergency numbers",
           "help_assamaka": "first contact → help near you at Assamaka (all MORE pages)",
           "committee_report": "committee report → its confirmation"}


def _culprits(cost: JourneyCost) -> str:
    """The characters that forced UCS-2, most frequent first (Arabic script summarised)."""
    arabic = any("\u0600" <= ch <= "\u06ff" for ch in cost.culprits)
    others = [ch for ch, _ in cost.culprits.most_common() if not "\u0600" <= ch <= "\u06ff"]
    parts = (["Arabic script"] if arabic else []) + ([" ".join(others[:6])] if others else [])
    return ", ".join(parts) + "; UCS-2" if parts else "MORE pages and their hints"

"""End to end (issue #23, rows U1 and U2): the real server processes with the sender on, against
fake providers (their own process) that enforce the providers' limits; from each webhook's
arrival to the provider accepting its reply.

Traffic (built and signed before the clock starts): Telegram, Twilio SMS, WhatsApp (signed as
Twilio signs it) and Android gateway (signed as the app signs it, stamped with the time it
will be sent) people in all the content's languages walking the information point, SOS now
and then, ideas, committee members (enrolled by a JOIN in the stream with codes issued before
the start) sending one-SMS reports;
a daily digest queued mid-run by `hanya digest run daily --send`.

Attribution: a person's requests leave at known times (the open loop's schedule), spaced by a
whole block of other people; see :func:`account`. Lost: accepted webhooks never handled, replies
the sender gave up, requests with no reply. Doubled: sends the providers accepted beyond the
outbox rows marked sent.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.procs import PUBLIC_URL, ROOT, SERVICE_NUMBER, WEBHOOK_SECRET, FakesProc, Server
from bench.traffic import POINTS, TOPICS, Request

TELEGRAM_RATE, PER_CHAT, SMS_RATE = 300.0, 1.0, 100.0  # the bench's providers (paid tiers)
WHATSAPP_NUMBER = "whatsapp:+14155238886"  # paced as a Twilio number, at SMS_RATE
GATEWAY_PREFIX_1 = "+22796"  # phone-1's operator (bench/fakes_proc.py: GATEWAY_PREFIXES)
# Two gateway phones at one SMS a second each: far above Android's default for an app, as a
# phone set up for the gateway is (docs/CHANNELS.md); the people writing to them are few.
GATEWAY_PHONES, GATEWAY_RATE = 2, 1.0
# Shares of the requests: WhatsApp as Twilio SMS, the gateway what its two phones can answer
# (~1.5 replies a request at 2/s in all).
SHARES = {"telegram": 0.70, "sms": 0.19, "whatsapp": 0.10, "android-sms": 0.01}
BLOCK = 500  # a person's steps ~6 s apart at 100/s: they read, and replies never overlap
DUTY_CHAT = 990_000_001  # the SP/CCM duty chat: digests and SOS alerts (not a person here)
NEW_SOS = "+22798999999"  # U2's SOS from a number never seen before, in the burst's middle


@dataclass
class Sent:
    """One request of the stream: who sent it (as the provider addresses them back)."""

    channel: str  # "telegram", "sms", "whatsapp" or "android-sms"
    address: str  # as the provider addresses them back: chat id, +E.164, whatsapp:+E.164
    kind: str  # "walk", "sos", "idea", "join", "report"


@dataclass
class Accepted:
    channel: str
    address: str
    at: float
    text: str


@dataclass
class Accounting:
    latencies: dict[str, list[float]] = field(default_factory=dict)  # per channel, seconds
    lost: list[int] = field(default_factory=list)  # requests with no reply before the next
    unattributed: int = 0  # replies to nobody of the stream (digests, alerts)
    sos: list[float] = field(default_factory=list)
    by_index: dict[int, float] = field(default_factory=dict)  # request -> its latency
    parts: dict[int, int] = field(default_factory=dict)  # request -> messages in its reply

    def pct(self, channel: str, q: float) -> float:
        return percentile(sorted(self.latencies.get(channel, [])), q)


def percentile(values: list[float], q: float) -> float:
    """The ``q`` percentile of sorted ``values`` (nearest rank; nan: none)."""
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))]


def account(sent: list[Sent], times: list[float], accepted: list[Accepted]) -> Accounting:
    """Each request's first reply: per person, in order, the first accepted send at or after
    the request that no earlier request of theirs took as its own first reply (a person's
    replies leave in the order of their messages). A request with none left is lost. Where a
    multi-part reply outlasted the person's next message (overload only: their steps are ~6 s
    apart), its later part is taken for the next reply: that request reads faster than it was.
    Doubled sends are the store's to count (:func:`store_counts`)."""
    result = Accounting()
    by_person: dict[tuple[str, str], list[int]] = {}
    for index, request in enumerate(sent):
        by_person.setdefault((request.channel, request.address), []).append(index)
    replies: dict[tuple[str, str], list[float]] = {}
    for reply in accepted:
        if (reply.channel, reply.address) in by_person:
            replies.setdefault((reply.channel, reply.address), []).append(reply.at)
        else:
            result.unattributed += 1  # digests and alerts to the duty chat
    for person, indexes in by_person.items():
        ats = sorted(replies.get(person, []))
        cursor = 0
        firsts: list[tuple[int, int]] = []  # (request, its first reply's place in ``ats``)
        for index in indexes:
            while cursor < len(ats) and ats[cursor] < times[index]:
                cursor += 1
            if cursor == len(ats):
                result.lost.append(index)
                continue
            firsts.append((index, cursor))
            latency = ats[cursor] - times[index]
            cursor += 1
            result.latencies.setdefault(sent[index].channel, []).append(latency)
            result.by_index[index] = latency
            if sent[index].kind == "sos":
                result.sos.append(latency)
        # A reply's messages: the person's sends from its first up to the next reply's first.
        for (index, place), (_, following) in zip(firsts, [*firsts[1:], (-1, len(ats))],
                                                  strict=True):
            result.parts[index] = following - place
    result.lost.sort()
    return result


def paced_floor(sent: list[Sent], times: list[float], parts: dict[int, int], channel: str,
                rate: float, sender_of: Callable[[str], str]) -> dict[int, float]:
    """Per answered request on ``channel``: the least time its reply's first message could
    have taken at the senders' pace alone (s). The requests are served in the order they
    came, each reply's messages one after another on its own sender (``sender_of`` its
    address: the gateway phone of the person's operator), each sending ``rate`` a second:
    what the phones' pace makes unavoidable, the issue's reference ("a reply cannot leave
    before its slot")."""
    free: dict[str, float] = {}
    floor: dict[int, float] = {}
    for index in sorted((i for i in parts if sent[i].channel == channel), key=times.__getitem__):
        phone = sender_of(sent[index].address)
        first = max(times[index], free.get(phone, float("-inf")))
        free[phone] = first + max(1, parts[index]) / rate
        floor[index] = first - times[index]
    return floor


def gateway_phone(address: str) -> str:
    """The phone that answers ``address`` in this bench: its operator's (the app's
    ``preferred_phone`` with the prefixes bench/fakes_proc.py gives the phones)."""
    return "phone-1" if address.startswith(GATEWAY_PREFIX_1) else "phone-2"


def store_counts(url: str) -> dict[str, int]:
    """What the store says once drained: handled messages, and outbox rows by status."""
    from sqlalchemy import create_engine, func, select

    from bot.core.models import InboundMessage, OutboxMessage

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            counts = {"handled": int(conn.scalar(
                select(func.count()).select_from(InboundMessage)) or 0)}
            for status, n in conn.execute(select(OutboxMessage.status, func.count())
                                          .group_by(OutboxMessage.status)):
                counts[f"outbox_{status}"] = int(n)
        return counts
    finally:
        engine.dispose()


STAGES = ("webhook answered", "reply queued", "reply marked sent", "provider accepted")


@dataclass
class Stages:
    """Where a request's time went: seconds from its scheduled send to each stage, per request
    (the webhook's answer from the open loop; the reply's row queued, i.e. the message handled,
    and marked sent from the outbox's ``created_at`` and ``sent_at``; the provider's acceptance
    from the fakes). The claim is not stored (its lease is cleared once sent)."""

    by_stage: dict[str, list[float]] = field(default_factory=dict)  # ordinary requests
    sos: dict[str, dict[str, float]] = field(default_factory=dict)  # each SOS, stage -> s
    skipped: int = 0  # people whose turns did not line up with their requests

    def pct(self, stage: str, q: float) -> float:
        values = sorted(self.by_stage.get(stage, []))
        if not values:
            return float("nan")
        return values[min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))]

    def line(self) -> str:
        parts = [f"{stage} {self.pct(stage, 50):.2f}/{self.pct(stage, 99):.2f}"
                 for stage in STAGES]
        worst = sorted(self.sos.items(), key=lambda kv: -kv[1].get("provider accepted", 1e9))
        shown = dict(worst[:3])
        shown.update((name, one) for name, one in self.sos.items() if NEW_SOS[-4:] in name)
        sos = "; ".join(f"{name}: " + ", ".join(f"{v:.2f}" for v in one.values())
                        for name, one in shown.items())
        return (f"p50/p99 (s) {'; '.join(parts)}; {len(self.sos)} SOS, the slowest (stages "
                f"in that order): {sos or 'none'}; {self.skipped} people left out")


def stages(url: str, sent: list[Sent], times: list[float], answered_in: list[float | None],
           accepted: list[Accepted]) -> Stages:
    """Each request's stages (:class:`Stages`), matched by order, not by time (under overload
    a late reply would be taken for the next request's): a person's k-th request made their
    k-th turn (the outbox rows queued together); a person's sends were accepted in the order
    their rows were marked sent. People whose turns or sends do not line up are left out."""
    from datetime import UTC

    from sqlalchemy import create_engine, select

    from bench.procs import SECRET_KEY
    from bot.core.crypto import Vault
    from bot.core.models import OutboxMessage

    def stamp(moment: Any) -> float:
        return float(moment.replace(tzinfo=UTC).timestamp())

    vault, engine = Vault(SECRET_KEY.encode()), create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(OutboxMessage.id, OutboxMessage.address_enc,
                                       OutboxMessage.created_at, OutboxMessage.sent_at)
                                .where(OutboxMessage.contact_id.is_not(None))
                                .order_by(OutboxMessage.id)).all()
    finally:
        engine.dispose()
    mine: dict[str, list[Any]] = {}
    for row in rows:
        mine.setdefault(_plain(vault.decrypt(row.address_enc)), []).append(row)
    sends: dict[str, list[float]] = {}
    for reply in accepted:
        sends.setdefault(_plain(reply.address), []).append(reply.at)
    requests: dict[str, list[int]] = {}
    for index, request in enumerate(sent):
        requests.setdefault(_plain(request.address), []).append(index)
    result = Stages()
    for person, indexes in requests.items():
        own = mine.get(person, [])
        by_send = sorted((r for r in own if r.sent_at is not None),
                         key=lambda r: (r.sent_at, r.id))
        ats = sorted(sends.get(person, []))
        accepted_at = ({r.id: at for r, at in zip(by_send, ats, strict=True)}
                       if len(by_send) == len(ats) else {})
        turns: list[Any] = []
        for row in own:  # a turn's rows share their created_at
            if not turns or turns[-1].created_at != row.created_at:
                turns.append(row)
        if len(turns) != len(indexes):
            result.skipped += 1
            continue
        for index, first in zip(indexes, turns, strict=True):
            seen: dict[str, float] = {}
            if index < len(answered_in) and answered_in[index] is not None:
                seen["webhook answered"] = float(answered_in[index] or 0.0)
            seen["reply queued"] = stamp(first.created_at) - times[index]
            if first.sent_at is not None:
                seen["reply marked sent"] = stamp(first.sent_at) - times[index]
            if first.id in accepted_at:
                seen["provider accepted"] = accepted_at[first.id] - times[index]
            if sent[index].kind == "sos":
                result.sos[f"{sent[index].channel} …{person[-4:]} #{index}"] = seen
            for stage, value in seen.items():
                result.by_stage.setdefault(stage, []).append(value)
    return result


def _plain(address: str) -> str:
    """An address as the fakes and the stream spell it (no channel scheme but WhatsApp's)."""
    for scheme in ("telegram:", "tel:", "sms:", "android-sms:"):
        if address.startswith(scheme):
            return address[len(scheme):]
    return address


# --- the stream ------------------------------------------------------------------------------

def build_mixed_stream(telegram_users: int, sms_users: int, *, languages: list[str],
                       keywords: dict[str, dict[str, str]], codes: list[str],
                       report_text: dict[str, str], first_chat: int, seed: int = 23,
                       sos_every: int = 50, idea_every: int = 20, whatsapp_users: int = 0,
                       android_users: int = 0) -> tuple[list[Request], list[Sent]]:
    """Block by block, as bench/traffic.py: each person's steps a block apart. Gateway
    requests are left unsigned (credential ""): :func:`sign_gateway` stamps them."""
    import json as json_

    from bench.fakes_proc import GATEWAY_PREFIXES
    from tests.fakes.android_sms_gateway import received_payload
    from tests.fakes.telegram_updates import callback_update, text_update
    from tests.fakes.twilio_api import TEST_AUTH_TOKEN
    from tests.fakes.twilio_signing import form_body, signed_sms_form

    rng = random.Random(seed)
    update_id = [first_chat * 10]
    sid = [0]
    members = list(codes)

    def tg(chat: int, update: dict[str, Any], kind: str) -> tuple[Request, Sent]:
        return (Request("T", WEBHOOK_SECRET, json.dumps(update, separators=(",", ":"))),
                Sent("telegram", str(chat), kind))

    def sms(number: str, text: str, kind: str) -> tuple[Request, Sent]:
        sid[0] += 1
        form, headers = signed_sms_form(PUBLIC_URL + "/webhooks/twilio/sms", TEST_AUTH_TOKEN,
                                        from_=number, to=SERVICE_NUMBER, body=text,
                                        message_sid=f"SM{first_chat:012x}{sid[0]:020x}")
        return Request("S", headers["X-Twilio-Signature"], form_body(form)), Sent("sms", number,
                                                                                  kind)

    def whatsapp(address: str, text: str, kind: str) -> tuple[Request, Sent]:
        sid[0] += 1
        form, headers = signed_sms_form(PUBLIC_URL + "/webhooks/twilio/whatsapp",
                                        TEST_AUTH_TOKEN, from_=address, to=WHATSAPP_NUMBER,
                                        body=text,
                                        message_sid=f"SM{first_chat:012x}{sid[0]:020x}")
        return (Request("W", headers["X-Twilio-Signature"], form_body(form)),
                Sent("whatsapp", address, kind))

    def gateway(number: str, text: str, kind: str) -> tuple[Request, Sent]:
        sid[0] += 1
        body = {"deviceId": "bench", "event": "sms:received", "id": f"ev{sid[0]}",
                "payload": received_payload(number, text, message_id=f"m{sid[0]:x}"),
                "webhookId": "hanya"}
        return (Request("A", "", json_.dumps(body, ensure_ascii=False, separators=(",", ":"))),
                Sent("android-sms", number, kind))

    def next_id() -> int:
        update_id[0] += 1
        return update_id[0]

    def telegram_walk(chat: int) -> list[tuple[Request, Sent]]:
        lang = rng.choice(languages)
        topics = rng.sample(TOPICS, 2)
        steps = [tg(chat, text_update(next_id(), chat, "hi", language_code=lang), "walk"),
                 tg(chat, callback_update(next_id(), chat, f"lang:{lang}"), "walk"),
                 tg(chat, callback_update(next_id(), chat, f"point:{rng.choice(POINTS)}"),
                    "walk"),
                 tg(chat, callback_update(next_id(), chat, f"topic:{topics[0]}"), "walk")]
        if chat % sos_every == 0:
            steps.append(tg(chat, text_update(next_id(), chat, "SOS"), "sos"))
        elif chat % idea_every == 0:
            steps.append(tg(chat, text_update(
                next_id(), chat, f"{keywords['idea'][lang]} eau au point {chat}"), "idea"))
        else:
            steps.append(tg(chat, callback_update(next_id(), chat, f"topic:{topics[1]}"),
                            "walk"))
        return steps

    def sms_walk(number: str, person: int) -> list[tuple[Request, Sent]]:
        lang = rng.choice(languages)
        number_of = str(languages_order.index(lang) + 1)
        if members and person % 4 == 0:  # a committee member: join, then report
            code = members.pop()
            return [sms(number, "hello", "walk"), sms(number, number_of, "walk"),
                    sms(number, f"{keywords['join'][lang]} {code}", "join"),
                    sms(number, report_text[lang], "report")]
        last = ("SOS", "sos") if person % sos_every == 1 else (str(rng.randint(1, 7)), "walk")
        return [sms(number, "hello", "walk"), sms(number, number_of, "walk"),
                sms(number, rng.choice(POINTS[:8]).title(), "walk"), sms(number, *last)]

    def numbered_walk(say: Any, address: str, person: int) -> list[tuple[Request, Sent]]:
        """WhatsApp and gateway people: numbered menus as on SMS, an SOS now and then."""
        lang = rng.choice(languages)
        number_of = str(languages_order.index(lang) + 1)
        last = ("SOS", "sos") if person % sos_every == 1 else (str(rng.randint(1, 7)), "walk")
        return [say(address, "hello", "walk"), say(address, number_of, "walk"),
                say(address, rng.choice(POINTS[:8]).title(), "walk"), say(address, *last)]

    languages_order = list(keywords["_order"])
    n_blocks = max(1, -(-telegram_users // BLOCK))
    sms_per_block = -(-sms_users // n_blocks)
    whatsapp_per_block = -(-whatsapp_users // n_blocks)
    android_per_block = -(-android_users // n_blocks)
    out: list[tuple[Request, Sent]] = []
    tg_done = sms_done = wa_done = an_done = 0
    for _ in range(n_blocks):
        walks = []
        for _ in range(min(BLOCK, telegram_users - tg_done)):
            walks.append(telegram_walk(first_chat + tg_done))
            tg_done += 1
        for _ in range(min(sms_per_block, sms_users - sms_done)):
            walks.append(sms_walk(f"+2279{(first_chat // 10_000_000) % 10}{sms_done:06d}",
                                  sms_done))
            sms_done += 1
        for _ in range(min(whatsapp_per_block, whatsapp_users - wa_done)):
            walks.append(numbered_walk(whatsapp, f"whatsapp:+22791{wa_done:06d}", wa_done))
            wa_done += 1
        for _ in range(min(android_per_block, android_users - an_done)):
            # Each operator's people write to its phone; 9xxxxx: apart from the SMS people's.
            number = f"{GATEWAY_PREFIXES[an_done % 2]}9{an_done:05d}"
            walks.append(numbered_walk(gateway, number, an_done))
            an_done += 1
        rng.shuffle(walks)
        for step in range(5):
            out.extend(walk[step] for walk in walks if step < len(walk))
    return [r for r, _ in out], [s for _, s in out]


def content_words() -> tuple[list[str], dict[str, dict[str, str]], dict[str, str]]:
    """The languages, the keywords each uses and the engine's own example report."""
    from bot.core.content import load_content
    from bot.core.settings import Settings
    from bot.features.committees.vocabulary import example

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    content = load_content(settings.content_dir, settings.locales_dir)
    languages = list(content.languages)
    words = {key: {code: content.keywords.first_word(key, code, key.upper())
                   for code in languages} for key in ("idea", "join", "report")}
    words["_order"] = {code: code for code in languages}
    reports = {code: example(content.vocabulary, content.chain(code), words["report"][code],
                             "Assamaka", "expulsion", "") for code in languages}
    return languages, words, reports


def prepare_store(url: str, members: int) -> list[str]:
    """A committee at Assamaka with ``members`` one-time codes, and the duty chat as the
    recipient of alerts and digests."""
    import webhooks.channels  # noqa: F401 - installs the channels a recipient is reached by
    from bench.procs import SECRET_KEY
    from bot.core.crypto import Vault
    from bot.core.recipients import add_recipient
    from bot.core.store import Store
    from bot.features.committees.models import Committee, issue_code

    store, vault = Store(url), Vault(SECRET_KEY.encode())
    try:
        with store.session() as session:
            committee = Committee(slug="bench", name="Bench", point_id="assamaka",
                                  region="NE001")
            session.add(committee)
            session.flush()
            codes = [issue_code(session, vault, committee, timedelta(days=1))[0]
                     for _ in range(members)]
            add_recipient(session, vault, name="SP/CCM duty", address=f"telegram:{DUTY_CHAT}",
                          language="fr", subscriptions=["alerts", "daily", "weekly"])
        return codes
    finally:
        store.dispose()


# --- the run ---------------------------------------------------------------------------------

@dataclass
class E2EResult:
    seconds: float  # the open loop's length
    rate: float
    requests: int
    answered: int  # webhooks answered 2xx
    accounting: Accounting
    drained_after: float  # s from the last request until intake and outbox were empty
    backlog_left: int  # intake + outbox rows still waiting when we stopped waiting
    memory: dict[str, list[float]]  # "web"/"handling" -> MB at start, middle, end
    cpu_ms_per_message: float
    replies: int
    last_reply_after: float  # s from the first request to the last reply to a person
    bound: float  # the providers' limits: the earliest the last reply could leave (s)
    digest_ok: bool
    accepted_total: int  # every send the providers accepted (people, duty chat)
    store: dict[str, int]  # handled, outbox_<status>
    by_kind: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)  # requests per channel
    gateway_too_fast: int = 0  # gateway sends closer than a phone's pace (the fake counts)
    stages: Stages | None = None  # where each request's time went
    sos_index: int | None = None  # the SOS from a new number (U2), its place in the stream
    gateway_floor: dict[int, float] = field(default_factory=dict)  # request -> phones' pace

    @property
    def new_sos(self) -> float:
        """When the SOS from a new number (U2) was answered, s after it was sent (nan: none)."""
        if self.sos_index is None:
            return float("nan")
        return self.accounting.by_index.get(self.sos_index, float("nan"))

    @property
    def doubled(self) -> int:
        """Sends the providers accepted beyond the outbox rows marked sent."""
        return self.accepted_total - self.store.get("outbox_sent", 0)

    @property
    def lost(self) -> int:
        """Accepted webhooks never handled, replies given up, and requests left unanswered."""
        return (max(0, self.answered - self.store.get("handled", 0))
                + self.store.get("outbox_failed", 0) + len(self.accounting.lost))


def sign_gateway(requests: list[Request], rate: float, start: float) -> list[Request]:
    """Sign the gateway's requests as the app does, each stamped with the time the open loop
    will send it (``start`` + its place / ``rate``): the server refuses a stamp more than 5
    minutes off, and the issue's full run lasts 10."""
    from bench.fakes_proc import gateway_key
    from tests.fakes.android_sms_gateway import sign

    signed = []
    for index, request in enumerate(requests):
        if request.kind == "A":
            number = json.loads(request.body)["payload"]["phoneNumber"]
            key = gateway_key(0 if number.startswith(GATEWAY_PREFIX_1) else 1)
            stamp = str(int(start + index / rate))
            request = Request("A", f"{stamp}:{sign(request.body.encode(), stamp, key)}",
                              request.body)
        signed.append(request)
    return signed


def run(url: str, *, rate: float, seconds: float, shares: dict[str, float] | None = None,
        members: int = 20, digest: bool = True, sos_at: float | None = None,
        drain_limit: float = 120.0, taskset: str | None = None) -> E2EResult:
    """Offer ``rate`` requests a second for ``seconds`` to a fresh server on ``url``."""
    from bench.load import open_loop

    count = int(rate * seconds)
    share = {**SHARES, **(shares or {})}
    # Enough walks for ``count`` requests: 5 steps a Telegram person, 4 the others.
    walkers = {channel: (1 if part else 0)
               + int(count * part / (5 if channel == "telegram" else 4))
               for channel, part in share.items()}
    languages, words, reports = content_words()
    codes = prepare_store(url, members)
    requests, sent = build_mixed_stream(walkers["telegram"], walkers["sms"],
                                        languages=languages, keywords=words, codes=codes,
                                        report_text=reports, first_chat=400_000_000,
                                        whatsapp_users=walkers["whatsapp"],
                                        android_users=walkers["android-sms"])
    sos_index = None
    if sos_at is not None:  # one SOS from a new number, at that share of the run
        from tests.fakes.twilio_api import TEST_AUTH_TOKEN
        from tests.fakes.twilio_signing import form_body, signed_sms_form

        at = min(len(requests), int(count * sos_at))
        form, headers = signed_sms_form(PUBLIC_URL + "/webhooks/twilio/sms", TEST_AUTH_TOKEN,
                                        from_=NEW_SOS, to=SERVICE_NUMBER, body="SOS",
                                        message_sid="SM" + "f" * 32)
        requests.insert(at, Request("S", headers["X-Twilio-Signature"], form_body(form)))
        sent.insert(at, Sent("sms", NEW_SOS, "sos"))
        sos_index = at
    requests, sent = requests[:count], sent[:count]
    with FakesProc(global_rate=TELEGRAM_RATE, per_chat_rate=PER_CHAT, sms_rate=SMS_RATE,
                   gateway_phones=GATEWAY_PHONES, gateway_rate=GATEWAY_RATE) as fakes:
        env = {**_env(url, fakes), "HANYA_RUN_SENDER": "true"}
        # The WhatsApp people wrote: Twilio opens their 24-hour windows.
        fakes.command("window " + json.dumps(sorted({s.address for s in sent
                                                     if s.channel == "whatsapp"})))
        with Server("webhooks.app:create_app", env, factory=True, taskset=taskset) as server:
            memory: dict[str, list[float]] = {"web": [server.rss_mb()],
                                              "handling": [server.handling_rss_mb()]}
            cpu0 = server.cpu_seconds() + server.handling_cpu_seconds()
            flags: dict[str, bool] = {}
            middle = threading.Timer(seconds / 2, lambda: _middle(server, memory, env, digest,
                                                                  flags))
            middle.start()
            wall0 = time.time()
            requests = sign_gateway(requests, rate, wall0)
            loop = open_loop("127.0.0.1", server.port, requests, rate=rate, seconds=seconds)
            middle.join()
            drained, left = _drain(url, drain_limit)
            memory["web"].append(server.rss_mb())
            memory["handling"].append(server.handling_rss_mb())
            cpu = server.cpu_seconds() + server.handling_cpu_seconds() - cpu0
            accepted = _accepted(fakes)
            too_fast = int(fakes.stats()["android-sms"]["too_fast"])
            counts = store_counts(url)
            times = [loop.started_at + i / rate for i in range(len(sent))]
            accounting = account(sent, times, accepted)
            spent = stages(url, sent, times, loop.answered_in, accepted)
    people = {(s.channel, s.address) for s in sent}
    to_people = [a for a in accepted if (a.channel, a.address) in people]
    last = max((a.at for a in to_people), default=wall0) - loop.started_at
    return E2EResult(seconds, rate, len(sent), loop.answered - loop.non_2xx, accounting,
                     drained, left, memory, 1000 * cpu / max(1, len(sent)), len(to_people),
                     last, _bound(to_people, loop.started_at), flags.get("digest", not digest),
                     len(accepted), counts, {k: sum(1 for s in sent if s.kind == k) for k in
                                             ("walk", "sos", "idea", "join", "report")},
                     {c: sum(1 for s in sent if s.channel == c) for c in share}, too_fast,
                     spent, sos_index, paced_floor(sent, times, accounting.parts,
                                                   "android-sms", GATEWAY_RATE, gateway_phone))


def _env(url: str, fakes: FakesProc) -> dict[str, str]:
    from bench.procs import hanya_env

    return {**hanya_env(url, fakes, sender=True), **fakes.new_channels_env(WHATSAPP_NUMBER),
            "HANYA_TELEGRAM_RATE_OVERALL": str(TELEGRAM_RATE),
            "HANYA_TELEGRAM_RATE_PER_CHAT": str(PER_CHAT),
            "HANYA_TWILIO_RATE_PER_NUMBER": str(SMS_RATE),
            "HANYA_ANDROID_SMS_PER_MINUTE": str(GATEWAY_RATE * 60)}


def _middle(server: Server, memory: dict[str, list[float]], env: dict[str, str], digest: bool,
            flags: dict[str, bool]) -> None:
    memory["web"].append(server.rss_mb())
    memory["handling"].append(server.handling_rss_mb())
    if digest:  # the officers' daily digest, queued mid-run as the scheduler would
        hanya = str(Path(sys.executable).parent / "hanya")
        done = subprocess.run([hanya, "digest", "run", "daily", "--send"], env={
            **_os_env(), **env, "PYTHONPATH": str(ROOT)}, cwd=server.workdir.name,
            capture_output=True, timeout=120, check=False)
        flags["digest"] = done.returncode == 0


def _os_env() -> dict[str, str]:
    import os

    return dict(os.environ)


def _drain(url: str, limit: float) -> tuple[float, int]:
    """Seconds until the intake and the outbox are both empty (``limit`` if never), and what
    was left then."""
    from sqlalchemy import create_engine, func, select

    from bot.core.models import IntakeMessage, OutboxMessage

    engine = create_engine(url)
    started = time.monotonic()
    try:
        while True:
            with engine.connect() as conn:
                waiting = int(conn.scalar(select(func.count()).select_from(IntakeMessage)) or 0)
                waiting += int(conn.scalar(select(func.count()).select_from(OutboxMessage).where(
                    OutboxMessage.status.in_(["pending", "sending"]))) or 0)
            if not waiting or time.monotonic() - started > limit:
                return time.monotonic() - started, waiting
            time.sleep(0.2)
    finally:
        engine.dispose()


def _accepted(fakes: FakesProc) -> list[Accepted]:
    sends = fakes.command("sends")
    return [Accepted(*row) for row in sends]


def _bound(replies: list[Accepted], start: float) -> float:
    """When the last reply could have left at the earliest under the providers' limits: each
    channel's replies back to back at its overall rate from the first, and no person's
    Telegram replies closer than 1/s (seconds after ``start``)."""
    if not replies:
        return 0.0
    bound = 0.0
    for channel, rate in (("telegram", TELEGRAM_RATE), ("sms", SMS_RATE),
                          ("whatsapp", SMS_RATE), ("android-sms", GATEWAY_RATE * GATEWAY_PHONES)):
        mine = sorted(a.at for a in replies if a.channel == channel)
        if mine:
            bound = max(bound, mine[0] - start + len(mine) / rate)
    per_person: dict[str, int] = {}
    for a in replies:
        if a.channel == "telegram":
            per_person[a.address] = per_person.get(a.address, 0) + 1
    return max(bound, max(per_person.values(), default=1) / PER_CHAT)


def summary(values: list[float]) -> str:
    return "/".join(f"{v:.0f}" for v in values)


__all__ = ["Accepted", "Accounting", "E2EResult", "Sent", "account", "run", "statistics"]

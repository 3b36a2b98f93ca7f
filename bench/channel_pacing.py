"""The new channels' pacing (issue 19), as row 3 of the outbound section measures Telegram's
and Twilio SMS's: a queued outbox drained by ``bot.core.outbox.Sender`` through the channel's
real sender against its local fake, the rate achieved set against the configured pace,
nothing lost, nothing sent twice.

* ``whatsapp``: Twilio's Messages API from the WhatsApp number (``webhooks/twilio_whatsapp.py``),
  paced at ``HANYA_TWILIO_RATE_PER_NUMBER``; each recipient wrote first (the fake Twilio keeps
  WhatsApp's 24-hour window), as a reply is sent.
* ``android-sms``: the gateway phones (``webhooks/android_sms.py``), each paced at
  ``HANYA_ANDROID_SMS_PER_MINUTE``; the configured pace is that times the phones, the
  recipients split between the phones' operators.

``make bench`` runs it in section 3 (``bench/__main__.py``: ``channel_pacing_section``,
``--skip pacing`` leaves it out).

``rows()`` gives ``bench.report.Row``'s fields as a dict (section "3"), two rows per channel
like row 3's: the achieved rate against the pace, and lost / sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr
from sqlalchemy import func, insert, select

from bench.outbound import run_until_drained
from bot.core.crypto import Vault
from bot.core.messages import Outgoing
from bot.core.models import OutboxMessage
from bot.core.outbox import Sender
from bot.core.settings import Settings
from bot.core.store import Store

__all__ = ["PacingResult", "measure", "rows", "tally"]

SECRET_KEY = "bench-secret-key-not-for-production"
CHANNELS = ("whatsapp", "android-sms")
# Made-up operator prefixes, one per gateway phone (tests/android_sms_helpers.py's first two).
PREFIXES = ("+22796", "+22790", "+22789", "+22788")
RATIO_TARGET = 0.9  # achieved / configured


@dataclass(frozen=True)
class PacingResult:
    channel: str
    queued: int
    delivered: int  # distinct messages the provider took
    duplicates: int  # taken more than once
    lost: int  # given up by the sender (failed) and never taken
    waiting: int  # still queued at the deadline (not lost)
    seconds: float  # from the first acceptance to the last
    pace: float  # configured, messages per second (all phones together)
    senders: int = 1  # sending side by side (the gateway phones), each from its first send

    @property
    def rate(self) -> float:
        """Messages per second between the first acceptance and the last: n-1 gaps for one
        sender, n-k for k senders starting together (each one's first send opens its pace;
        counted as n-1, two phones read 1.02 of their pace)."""
        gaps = self.delivered - max(1, self.senders)
        return gaps / self.seconds if self.seconds > 0 and gaps > 0 else 0.0

    @property
    def ratio(self) -> float:
        return self.rate / self.pace if self.pace else 0.0


def tally(channel: str, queued: int, texts: Sequence[str], times: Sequence[float],
          failed: int, waiting: int, pace: float, senders: int = 1) -> PacingResult:
    """The accounting: what the fake took (``texts``, ``times``) against what was queued."""
    counts = Counter(texts)
    distinct = len(counts)
    duplicates = sum(n - 1 for n in counts.values())
    # A row failed and yet taken (the provider answered late) was not lost.
    lost = max(0, min(failed, queued - distinct))
    seconds = max(times) - min(times) if len(times) > 1 else 0.0
    return PacingResult(channel, queued, distinct, duplicates, lost, waiting, seconds, pace,
                        senders)


def measure(url: str, channel: str, *, messages: int, recipients: int, pace: float,
            phones: int = 2, timeout: float = 120.0) -> PacingResult:
    """Queue ``messages`` to ``recipients`` on ``channel`` in the (migrated) database at ``url``,
    drain them through the real sender and its fake provider, and account for them."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}")
    with _fakes(channel, phones) as (settings_update, fake_sent, addresses_to_open):
        settings = _settings(url, channel, pace, phones, settings_update)
        store, vault = Store(url), Vault(settings.secret_key_or_dev())
        try:
            addresses = _enqueue(store, vault, channel, messages, recipients, phones)
            for address in addresses:
                addresses_to_open(address)
            asyncio.run(_drain(store, vault, channel, settings, timeout))
            failed, waiting = _count(store, ["failed"]), _count(store, ["pending", "sending"])
        finally:
            store.dispose()
        texts, times = fake_sent()
    senders = phones if channel == "android-sms" else 1
    return tally(channel, messages, texts, times, failed, waiting, pace * senders, senders)


def rows(results: Sequence[PacingResult]) -> list[dict[str, str]]:
    """``bench.report.Row`` fields, two rows per channel (as row 3's)."""
    out: list[dict[str, str]] = []
    for channel in CHANNELS:
        found = [r for r in results if r.channel == channel]
        if not found:
            continue
        ratios = sorted(r.ratio for r in found)
        middle = ratios[len(ratios) // 2]
        first = found[0]
        what = (f"{first.queued} WhatsApp messages to Twilio" if channel == "whatsapp" else
                f"{first.queued} SMS through the gateway phones")
        out.append({"section": "3", "figure": f"{what}: achieved rate (msg/s)",
                    "value": " / ".join(f"{r.rate:.2f}" for r in found),
                    "reference": f"{first.pace:g}/s configured",
                    "ratio": " / ".join(f"{r.ratio:.2f}" for r in found),
                    "target": f"≥ {RATIO_TARGET:g} and ≤ 1.05",
                    "verdict": "met" if RATIO_TARGET <= middle <= 1.05 else "MISSED",
                    "limit": f"{first.seconds:.1f} s from the first acceptance to the last; "
                             f"{sum(r.waiting for r in found)} still queued at the deadline"})
        lost, twice = sum(r.lost for r in found), sum(r.duplicates for r in found)
        out.append({"section": "3", "figure": f"{channel}: lost / sent twice",
                    "value": f"{lost} / {twice}", "target": "0 / 0",
                    "verdict": "met" if not lost and not twice else "MISSED"})
    return out


# --- the fakes, the settings, the queue ------------------------------------------------------

@contextlib.contextmanager
def _fakes(channel: str, phones: int) -> Iterator[tuple[dict[str, Any], Any, Any]]:
    from tests.fakes.android_sms_gateway import FakeGatewayPhone
    from tests.fakes.twilio_api import FakeTwilio

    if channel == "whatsapp":
        with FakeTwilio() as api:
            def whatsapp_sent() -> tuple[list[str], list[float]]:
                sent = api.sent()
                return [m.body for m in sent], [m.at for m in sent]

            yield ({"twilio_account_sid": api.account_sid,
                    "twilio_auth_token": SecretStr(api.auth_token),
                    "twilio_api_url": api.url,
                    "twilio_whatsapp_number": "whatsapp:+14155238886"},
                   whatsapp_sent, api.whatsapp_inbound)
        return
    with contextlib.ExitStack() as stack:
        fakes = [stack.enter_context(FakeGatewayPhone(f"phone-{i + 1}",
                                                      signing_key=f"key-{i + 1}"))
                 for i in range(phones)]

        def gateway_sent() -> tuple[list[str], list[float]]:
            sent = [m for fake in fakes for m in fake.sent()]
            return [m.text for m in sent], [m.at for m in sent]

        first, others = fakes[0], fakes[1:]
        extra = [{"name": p.name, "url": p.url, "username": p.username, "password": p.password,
                  "signing_key": p.signing_key, "prefixes": [PREFIXES[i + 1]]}
                 for i, p in enumerate(others)]
        yield ({"android_sms_url": first.url, "android_sms_username": first.username,
                "android_sms_password": SecretStr(first.password),
                "android_sms_signing_key": SecretStr(first.signing_key),
                "android_sms_name": first.name, "android_sms_prefixes": [PREFIXES[0]],
                "android_sms_phones": SecretStr(json.dumps(extra)) if extra else None,
                "android_sms_silent_minutes": 0},
               gateway_sent, lambda address: None)


def _settings(url: str, channel: str, pace: float, phones: int,
              update: dict[str, Any]) -> Settings:
    paced: dict[str, Any] = ({"twilio_rate_per_number": pace} if channel == "whatsapp"
             else {"android_sms_per_minute": pace * 60})
    return Settings(_env_file=None, database_url=url, secret_key=SECRET_KEY,  # type: ignore[call-arg]
                    **paced, **update)


def _enqueue(store: Store, vault: Vault, channel: str, messages: int, recipients: int,
             phones: int) -> list[str]:
    """Each recipient's messages one after another (as a multi-part reply is queued); every
    text unique, so that a duplicate can be told."""
    per, rows_, addresses = max(1, messages // recipients), [], []
    for r in range(recipients):
        number = f"{PREFIXES[r % phones] if channel == 'android-sms' else '+22791'}{100_000 + r}"
        address = f"whatsapp:{number}" if channel == "whatsapp" else f"tel:{number}"
        addresses.append(address)
        address_enc, route = vault.encrypt(address), vault.pseudonym(address)[:16]
        for k in range(per):
            rows_.append({"channel": channel, "address_enc": address_enc, "contact_id": None,
                          "route": route, "priority": 0, "payload_enc": Outgoing(
                              text=f"bench {r * per + k} part {k + 1}/{per}").seal(vault)})
    with store.engine.begin() as conn:
        conn.execute(insert(OutboxMessage), rows_[:messages])
    return addresses


async def _drain(store: Store, vault: Vault, channel: str, settings: Settings,
                 timeout: float) -> None:
    from webhooks.channels import senders

    adapter = senders(settings)[channel]
    if hasattr(adapter, "start"):
        await adapter.start()
    sender = Sender.from_settings(store, vault, {channel: adapter}, settings)
    await run_until_drained(sender, adapter, lambda: _count(store, ["pending", "sending"]),
                            timeout, poll=0.1)


def _count(store: Store, statuses: list[str]) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status.in_(statuses))) or 0)

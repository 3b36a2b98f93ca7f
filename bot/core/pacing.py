"""The outbox's vocabulary of pace: a channel's sender, a rule (a burst, then one send every
gap), and the providers' limits. Each channel's module says which rules apply to an address
(bot/core/channel_registry.py); the sender (bot/core/outbox.py) keeps to them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.core.messages import Outgoing

__all__ = ["ChannelSender", "Limits", "Rule"]


class ChannelSender(Protocol):
    """What a channel adapter offers the sender."""

    async def send(self, address: str, message: Outgoing) -> str | None:
        """Deliver one message; return the provider's id. Raise a SendError subclass."""
        ...


@dataclass(frozen=True)
class Rule:
    """At most ``burst`` sends at once under ``key``, then one every ``gap`` seconds."""

    key: str
    gap: float
    burst: int = 1


@dataclass(frozen=True)
class Limits:
    """Provider rate limits, in messages per second."""

    telegram_overall: float = 30.0
    telegram_per_chat: float = 1.0
    telegram_per_group: float = 20 / 60
    sms_per_number: float = 10.0
    # Messages a chat may get at once before the per-chat pace applies.
    chat_burst: int = 3
    # Per-chat spacing is stretched by this factor: at 1 message a second, network jitter must
    # not land two sends in one provider window.
    margin: float = 1.1
    # Overall and per-number rates are far apart per message and departures are kept within
    # a rolling window (``Pacer.admit``): 2 % absorbs the network's jitter (0.97-0.98 of the
    # limit reached in the bench with no 429), where 10 % capped any rate at 0.91.
    overall_margin: float = 1.02

    # The Android gateway's pace per phone (bot/core/settings.py: android_sms_per_minute) and its
    # phones as (name, number prefixes); the shape of each channel's rules is in its module.
    android_sms_per_phone: float = 1 / 60
    android_sms_phones: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def gap(self, rate: float, margin: float | None = None) -> float:
        """Seconds between sends at ``rate`` per second (``overall_margin`` unless given)."""
        return self._gap(rate, self.overall_margin if margin is None else margin)

    @staticmethod
    def _gap(rate: float, margin: float) -> float:
        return margin / rate if rate > 0 else 0.0

"""The channels Hanya can speak, as plug-ins: the core asks here, it never compares names.

A channel is declared in two parts. Its :class:`Channel` (``webhooks/channels.py``, the one
list of installed channels) says what the core must know without its provider's SDK: name,
address scheme, chat-like or SMS-like, traits (buttons, location, segments), terminal address
for ``hanya chat``, and the dotted path of its module. That module (``webhooks/telegram.py``
...) is imported the first time anything needs its :class:`Adapter`: the shape of its rate
rules, its sender, background job, readiness and fallback. It also owns its webhook routes,
verification, parsing and delivery-status callback. So a command that only renders (a digest's
dry run, ``hanya chat``) never loads python-telegram-bot, twilio or the gateway's client
(issue #23: a command's start).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.core.pacing import ChannelSender, Limits, Rule
from bot.core.settings import Settings

__all__ = ["Adapter", "Channel", "ChannelTraits", "alert_traits", "channel_for_address", "find",
           "get", "installed", "overall_rate", "readiness", "register", "rules"]


@dataclass(frozen=True)
class ChannelTraits:
    """What a channel can show; the engine shapes replies with this, never with channel names."""

    name: str
    buttons: bool  # inline buttons (Telegram)
    location: bool  # can share a location
    max_segments: int | None = None  # SMS budget per reply; None when not SMS
    max_text: int = 4096
    voice: bool = False  # plays a recording sent as a voice note (Telegram; WhatsApp by URL)
    # The longest text a voice note carries as its caption (UTF-16 units; Telegram's sendVoice
    # 1024); 0: none (WhatsApp plays audio without a caption), the text goes just after.
    voice_caption: int = 1024


@dataclass(frozen=True)
class Adapter:
    """What a channel's module adds once imported (with its SDK): pace, sender and the rest."""

    rules: Callable[[Limits, str], list[Rule]]  # (limits, address) -> rules, overall first
    overall_rate: Callable[[Limits], float]  # messages per second (0: unpaced)
    sender: Callable[[Settings], ChannelSender | None]  # settings -> sender, None when not set up
    # (runtime, settings, wake the sender, stopping) -> a coroutine the app runs beside the
    # webhooks (e.g. the gateway phones' silence watch), or None
    background: Callable[..., Any] | None = None
    # settings -> what /readyz shows about it (e.g. each gateway phone's last sign of life)
    readiness: Callable[[Settings], dict[str, Any]] | None = None
    # (address, message, code) -> where a message this channel refused (``OutOfReach``, or a
    # status callback's code among ``refused_codes``) goes next: (address, message) in order,
    # the first that an installed, set-up channel reaches (bot/core/reroute.py).
    fallback: Callable[[str, Any, str], list[tuple[str, Any]]] | None = None
    refused_codes: frozenset[str] = frozenset()


_ADAPTERS: dict[str, Adapter] = {}


@dataclass(frozen=True)
class Channel:
    """What the core needs to know about one channel, without importing its module."""

    name: str  # stored in rows (outbox, contacts, recipients): at most 16 characters
    scheme: str  # address prefix: "telegram:" or "tel:"
    sms_like: bool  # segments, GSM-7, numbered menus, foreign-prefix budget
    traits: Callable[[Settings], ChannelTraits]  # settings -> what a reply may use
    terminal_address: str  # the address `hanya chat` and /preview pretend to write from
    module: str  # dotted path of the module whose ``ADAPTER`` is the rest
    media: bool = False  # can receive photos and voice notes
    photos: bool = False  # its sender sends a picture file (a digest's chart)
    # Among channels reaching one kind of address, the lowest serves a recipient by default.
    rank: int = 0
    # The longest text one message may carry (Twilio's WhatsApp: 1600), for what the core
    # writes without a reply's traits: alerts and digests.
    max_text: int = 4096

    @property
    def adapter(self) -> Adapter:
        """The channel module's ``ADAPTER``, the module imported on first use."""
        found = _ADAPTERS.get(self.module)
        if found is None:
            found = vars(importlib.import_module(self.module)).get("ADAPTER")
            if not isinstance(found, Adapter):
                raise TypeError(f"{self.module} has no ADAPTER for channel {self.name!r}")
            _ADAPTERS[self.module] = found
        return found

    def sender(self, settings: Settings) -> ChannelSender | None:
        return self.adapter.sender(settings)

    def rules(self, limits: Limits, address: str) -> list[Rule]:
        return self.adapter.rules(limits, address)

    def overall_rate(self, limits: Limits) -> float:
        return self.adapter.overall_rate(limits)

    @property
    def background(self) -> Callable[..., Any] | None:
        return self.adapter.background

    @property
    def readiness(self) -> Callable[[Settings], dict[str, Any]] | None:
        return self.adapter.readiness

    @property
    def fallback(self) -> Callable[[str, Any, str], list[tuple[str, Any]]] | None:
        return self.adapter.fallback

    @property
    def refused_codes(self) -> frozenset[str]:
        return self.adapter.refused_codes

    def alert_traits(self) -> ChannelTraits:
        """How an alert is shaped: plain text; an SMS alert keeps to two segments."""
        return ChannelTraits(self.name, buttons=False, location=False,
                             max_segments=2 if self.sms_like else None, max_text=self.max_text)


_CHANNELS: dict[str, Channel] = {}


def register(channel: Channel) -> Channel:
    """Install ``channel`` (again: the same name replaces it, for reloads in tests)."""
    if len(channel.name) > 16:
        raise ValueError(f"channel name {channel.name!r} is longer than its columns")
    _CHANNELS[channel.name] = channel
    return channel


def get(name: str) -> Channel:
    """The channel called ``name``; KeyError when no module registered it."""
    return _CHANNELS[name]


def find(name: str) -> Channel | None:
    """The channel called ``name``, or None."""
    return _CHANNELS.get(name)


def installed() -> list[Channel]:
    """Every registered channel, by rank (whatever the order modules were imported in)."""
    return sorted(_CHANNELS.values(), key=lambda channel: channel.rank)


def readiness(settings: Settings) -> dict[str, Any]:
    """What every installed channel adds to /readyz (the web process has every module)."""
    found: dict[str, Any] = {}
    for channel in _CHANNELS.values():
        if channel.readiness is not None:
            found.update(channel.readiness(settings))
    return found


def alert_traits(name: str) -> ChannelTraits:
    return get(name).alert_traits()


def channel_for_address(address: str, preferred: str | None = None) -> str:
    """The channel that reaches ``address``: ``preferred`` when it speaks that scheme, else
    the first by rank that does (Twilio SMS before the Android gateway, as before)."""
    fitting = [c.name for c in installed() if address.startswith(c.scheme)]
    if preferred is not None:
        if preferred not in fitting:
            raise ValueError(f"channel {preferred!r} cannot reach this address")
        return preferred
    if not fitting:
        raise ValueError("no installed channel reaches this address")
    return fitting[0]


def rules(limits: Limits, channel: str, address: str) -> list[Rule]:
    """The limits a send to ``address`` must respect, the narrowest last (none: unknown)."""
    found = find(channel)
    return found.rules(limits, address) if found is not None else []


def overall_rate(limits: Limits, channel: str) -> float:
    """The channel's overall pace in messages per second (0: unknown, unpaced)."""
    found = find(channel)
    return found.overall_rate(limits) if found is not None else 0.0

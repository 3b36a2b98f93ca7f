"""The channels this deployment can run, the one place they are named: what the core must know
of each (bot/core/channel_registry.py's ``Channel``), and the dotted path of the module that
does the rest, imported the first time its sender, pace or routes are needed. Importing this
list costs no provider SDK: a digest's dry run or ``hanya chat`` renders for every channel
without python-telegram-bot, twilio or the gateway's client (issue #23)."""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from bot.core import channel_registry
from bot.core.channel_registry import Channel, ChannelTraits
from bot.core.pacing import ChannelSender
from bot.core.provider_templates import MAX_VARIABLE
from bot.core.settings import Settings

TELEGRAM, SMS, ANDROID_SMS, WHATSAPP = "telegram", "sms", "android-sms", "whatsapp"


TELEGRAM_TRAITS = ChannelTraits(TELEGRAM, buttons=True, location=True, max_segments=None,
                                max_text=4096, voice=True)
# Twilio cuts a WhatsApp body at 1600 characters.
WHATSAPP_TRAITS = ChannelTraits(WHATSAPP, buttons=False, location=False, max_segments=None,
                                max_text=1600)


def whatsapp_traits(settings: Settings) -> ChannelTraits:
    """Voice notes only when Twilio can fetch a recording from HANYA_PUBLIC_URL
    (webhooks/recording_links.py); never with a caption (WhatsApp shows none under audio: the
    text goes just after)."""
    if public_base(settings) is None:
        return WHATSAPP_TRAITS
    return replace(WHATSAPP_TRAITS, voice=True, voice_caption=0)


def public_base(settings: Any) -> str | None:
    """HANYA_PUBLIC_URL when a provider can reach it; None when it names this machine."""
    url = str(settings.public_url or "")
    host = urlsplit(url).hostname or ""
    if not host or host == "localhost" or host.endswith(".localhost"):
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return url.rstrip("/")
    return None if address.is_loopback or address.is_unspecified else url.rstrip("/")


def sms_traits(name: str, settings: Settings) -> ChannelTraits:
    """An SMS channel: numbered menus, and the deployment's segment budget for a reply."""
    return ChannelTraits(name, buttons=False, location=False,
                         max_segments=settings.sms_max_segments)


channel_registry.register(Channel(
    TELEGRAM, scheme="telegram:", sms_like=False, traits=lambda settings: TELEGRAM_TRAITS,
    terminal_address="telegram:0", module="webhooks.telegram", media=True, photos=True,
    max_text=TELEGRAM_TRAITS.max_text))
channel_registry.register(Channel(
    SMS, scheme="tel:", sms_like=True, traits=lambda settings: sms_traits(SMS, settings),
    terminal_address="tel:+22799999999", module="webhooks.twilio_sms", rank=1))
channel_registry.register(Channel(
    ANDROID_SMS, scheme="tel:", sms_like=True,
    traits=lambda settings: sms_traits(ANDROID_SMS, settings),
    terminal_address="tel:+22799999999", module="webhooks.android_sms", rank=2))
channel_registry.register(Channel(
    WHATSAPP, scheme="whatsapp:", sms_like=False, traits=whatsapp_traits,
    terminal_address="whatsapp:+22799999999", module="webhooks.twilio_whatsapp", media=True,
    # What the core writes unprompted (alerts, digests) may leave outside the person's
    # 24-hour window as a template, whose variable holds 1024 characters (Meta's limit): cut
    # to Twilio's 1600, a busy day's digest lost its tail there to an ellipsis.
    rank=3, max_text=MAX_VARIABLE))


def channel_traits(settings: Settings) -> dict[str, ChannelTraits]:
    return {channel.name: channel.traits(settings) for channel in channel_registry.installed()}


def senders(settings: Settings) -> dict[str, ChannelSender]:
    """The senders of the channels set up in ``settings`` (a channel without one is off); each
    channel's module (and its SDK) is imported here."""
    found: dict[str, ChannelSender] = {}
    for channel in channel_registry.installed():
        if (sender := channel.sender(settings)) is not None:
            found[channel.name] = sender
    return found


def telegram_sender(settings: Settings) -> ChannelSender | None:
    """Telegram's sender (bench/), its module imported now."""
    return channel_registry.get(TELEGRAM).sender(settings)


def twilio_sender(settings: Settings) -> ChannelSender | None:
    """Twilio SMS's sender (bench/), its module imported now."""
    return channel_registry.get(SMS).sender(settings)

"""The channels this deployment can run: importing a channel's module installs it (each
registers itself in bot/core/channel_registry.py); this list is the one place they are named."""

from __future__ import annotations

from bot.core import channel_registry
from bot.core.engine import ChannelTraits
from bot.core.outbox import ChannelSender
from bot.core.settings import Settings
from webhooks import android_sms, telegram, twilio_sms, twilio_whatsapp  # noqa: F401 - each registers itself


def channel_traits(settings: Settings) -> dict[str, ChannelTraits]:
    return {channel.name: channel.traits(settings) for channel in channel_registry.installed()}


def senders(settings: Settings) -> dict[str, ChannelSender]:
    """The senders of the channels set up in ``settings`` (a channel without one is off)."""
    found: dict[str, ChannelSender] = {}
    for channel in channel_registry.installed():
        if (sender := channel.sender(settings)) is not None:
            found[channel.name] = sender
    return found


# Each channel's sender factory under its old name (`hanya telegram set-webhook`, bench/).
telegram_sender = telegram.sender_from
twilio_sender = twilio_sms.sender_from

"""The channels this deployment runs: what each can show, and who sends for it."""

from __future__ import annotations

from bot.engine import ChannelTraits
from bot.outbox import ChannelSender
from bot.settings import Settings
from webhooks import telegram, twilio_sms


def channel_traits(settings: Settings) -> dict[str, ChannelTraits]:
    return {telegram.CHANNEL: telegram.TRAITS,
            twilio_sms.CHANNEL: twilio_sms.traits(settings.sms_max_segments)}


def telegram_sender(settings: Settings) -> telegram.TelegramSender | None:
    if settings.telegram_token is None:
        return None
    return telegram.TelegramSender(settings.telegram_token.get_secret_value(),
                                   settings.telegram_api_url)


def twilio_sender(settings: Settings) -> twilio_sms.TwilioSender | None:
    if not (settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_number):
        return None
    return twilio_sms.TwilioSender(
        settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value(),
        settings.twilio_number, settings.twilio_api_url,
        status_callback=f"{settings.public_url}/webhooks/twilio/status")


def senders(settings: Settings) -> dict[str, ChannelSender]:
    found: dict[str, ChannelSender] = {}
    if (tg := telegram_sender(settings)) is not None:
        found[telegram.CHANNEL] = tg
    if (sms := twilio_sender(settings)) is not None:
        found[twilio_sms.CHANNEL] = sms
    return found

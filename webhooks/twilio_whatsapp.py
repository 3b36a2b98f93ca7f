"""WhatsApp through Twilio: Twilio SMS's module with a ``whatsapp:`` address (one parameterised
parser, webhooks/twilio_sms.py, as courier serves both with one handler), signed the same way,
answered from ``HANYA_TWILIO_WHATSAPP_NUMBER`` through Twilio's Messages API. Menus are
numbered text (render: a chat without buttons).

A sample inbound form (Twilio's WhatsApp webhook):
    MessageSid=SM...&From=whatsapp%3A%2B22790000000&To=whatsapp%3A%2B14155238886&Body=INFO
    &NumMedia=0&ProfileName=...&WaId=22790000000

WhatsApp accepts a free-form message only within 24 hours of the person's last one: every
reply to a message is within it; an alert or a digest outside it fails at Twilio (63016) and is
recorded failed by the status callback (templates and the other-channel fallback: not yet).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from bot.core import channel_registry
from bot.core.engine import ChannelTraits
from bot.core.errors import InboundError, StoreUnavailable
from bot.core.outbox import Limits, Rule
from webhooks import twilio_sms
from webhooks.inbound import _dead_letter, _form, _inbound_error, _twiml, _verify_twilio

CHANNEL = twilio_sms.WHATSAPP
PATH = "/webhooks/twilio/whatsapp"
# Twilio cuts a WhatsApp body at 1600 characters.
TRAITS = ChannelTraits(CHANNEL, buttons=False, location=False, max_segments=None, max_text=1600)


def install(app: Any, settings: Any) -> None:
    """Declare ``POST /webhooks/twilio/whatsapp`` and put it on the app's direct path."""

    async def twilio_whatsapp_webhook(request: Request) -> Response:
        runtime = request.app.state.runtime
        form = await _form(request)
        try:
            _verify_twilio(settings, request, form)
            msg = twilio_sms.parse_sms(form)
        except InboundError as exc:
            return _inbound_error(exc)
        if msg.channel != CHANNEL:  # an SMS posted here: the SMS webhook is the place
            return JSONResponse({"detail": "not a WhatsApp message"}, status_code=400)
        try:
            await request.app.state.intake.accept(msg)
        except StoreUnavailable:  # as an SMS: kept signed in the spool, ingested later
            await run_in_threadpool(runtime.spool.put, CHANNEL, form)
        except Exception as exc:  # noqa: BLE001 - kept aside rather than answered with a 500
            await _dead_letter(runtime, msg, exc)
        return _twiml()

    app.post(PATH, openapi_extra=_FORM)(twilio_whatsapp_webhook)
    app.direct.endpoints[PATH] = twilio_whatsapp_webhook


_FORM: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
        name: {"type": "string"} for name in ("MessageSid", "From", "Body", "MediaUrl0",
                                              "MediaContentType0")}}}}}}


def rate_rules(limits: Limits, address: str) -> list[Rule]:
    """Twilio paces each sender; the WhatsApp number is one, at the SMS number's pace."""
    return [Rule(CHANNEL, limits.gap(limits.sms_per_number))]


def sender_from(settings: Any) -> twilio_sms.TwilioSender | None:
    if not (settings.twilio_account_sid and settings.twilio_auth_token
            and settings.twilio_whatsapp_number):
        return None
    return twilio_sms.TwilioSender(
        settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value(),
        settings.twilio_whatsapp_number, settings.twilio_api_url,
        status_callback=f"{settings.public_url}/webhooks/twilio/status")


channel_registry.register(channel_registry.Channel(
    CHANNEL, scheme=twilio_sms.WHATSAPP_PREFIX, sms_like=False, traits=lambda settings: TRAITS,
    rules=rate_rules, overall_rate=lambda limits: limits.sms_per_number, sender=sender_from,
    terminal_address="whatsapp:+22799999999", media=True, rank=3))

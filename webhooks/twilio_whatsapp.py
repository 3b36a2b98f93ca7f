"""WhatsApp through Twilio: Twilio SMS's module with a ``whatsapp:`` address (one parameterised
parser, webhooks/twilio_sms.py, as courier serves both with one handler), signed the same way,
answered from ``HANYA_TWILIO_WHATSAPP_NUMBER`` through Twilio's Messages API. Menus are
numbered text (render: a chat without buttons), and the main menu the editors' list picker
where ``content/whatsapp_templates.yaml`` names one for the person's language (``menu``: its
title and options fill the template's variables; a tap comes back as the option's number).

Recordings (issue 24) go as voice notes when Twilio can reach HANYA_PUBLIC_URL: ``MediaUrl``
is a signed address of the file that expires in an hour (webhooks/recording_links.py), the
text just after (WhatsApp plays audio without a caption). Otherwise WhatsApp stays text only.

A sample inbound form (Twilio's WhatsApp webhook):
    MessageSid=SM...&From=whatsapp%3A%2B22790000000&To=whatsapp%3A%2B14155238886&Body=INFO
    &NumMedia=0&ProfileName=...&WaId=22790000000

WhatsApp accepts a free-form message only within 24 hours of the person's last one (their
contact's ``last_seen_at``, written by every message they send). A reply to a message is within
it. An unprompted message (its ``Outgoing.kind``: alert, digest, idea) goes free-form while the
window is open (with a margin), else as the template ``content/whatsapp_templates.yaml`` names
for its kind and language (``ContentSid`` + ``ContentVariables``), else, no template fitting,
as ``OutOfReach``: the outbox hands it to SMS on the same number (``fallback``,
bot/core/reroute.py). Twilio's 63016 (outside the window) in the answer or in the status
callback leads to the same: the template, else SMS; each is counted
(``hanya_rerouted_total``, the operations page).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import select

from bot.core import channel_registry, provider_templates
from bot.core.crypto import Vault, vault_from_settings
from bot.core.errors import InboundError, OutOfReach, PermanentSendError, StoreUnavailable
from bot.core.messages import Outgoing
from bot.core.models import Contact
from bot.core.outbox import Limits, Rule
from webhooks import recording_links, twilio_sms
from webhooks.inbound import _dead_letter, _form, _inbound_error, _twiml, _verify_twilio

CHANNEL = twilio_sms.WHATSAPP
PATH = "/webhooks/twilio/whatsapp"


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


log = logging.getLogger(__name__)
WINDOW = timedelta(hours=24)
REFUSED_CODES = frozenset(str(code) for code in twilio_sms.OUTSIDE_WINDOW)
# An unprompted message goes free-form only with this much of the window left: it may wait
# in the outbox, and Twilio counts from the person's message, which came before we handled it.
MARGIN = timedelta(minutes=15)

LastSeen = Callable[[str], datetime | None]  # address -> the person's last message, if known


class WhatsAppSender(twilio_sms.TwilioSender):
    """Twilio's Messages API from the WhatsApp number, keeping WhatsApp's 24-hour rule."""

    def __init__(self, *args: Any, content_dir: Path, fallback_languages: tuple[str, ...] = ("fr",),
                 last_seen: LastSeen | None = None, media_base: str | None = None,
                 vault: Vault | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.content_dir, self.fallback_languages = content_dir, fallback_languages
        self.last_seen = last_seen  # set by attach(); without it the window is unknown
        self._templates: tuple[float, provider_templates.Templates] | None = None
        self.media_base, self.vault = media_base, vault  # recordings' signed addresses
        self.content: Any = None  # the content served (attach()): no stale recording sent

    def attach(self, runtime: Any) -> None:
        """Read each person's last message from the store (``Contact.last_seen_at``), and
        which recordings the content serves now."""
        self.last_seen = store_last_seen(runtime.store, runtime.vault)
        self.vault, self.content = runtime.vault, runtime.content

    def templates(self) -> provider_templates.Templates:
        """The editors' file, read again when it changed (content is reloaded live)."""
        path = self.content_dir / provider_templates.FILE
        stamp = path.stat().st_mtime if path.exists() else 0.0
        if self._templates is None or self._templates[0] != stamp:
            self._templates = (stamp, provider_templates.load(self.content_dir))
        return self._templates[1]

    def window_open(self, address: str, now: datetime | None = None) -> bool | None:
        """Whether a free-form message may go (None: not known here)."""
        if self.last_seen is None:
            return None
        seen = self.last_seen(address)
        if seen is None:
            return False
        seen = seen if seen.tzinfo else seen.replace(tzinfo=UTC)
        return (now or datetime.now(UTC)) < seen + WINDOW - MARGIN

    async def send(self, address: str, message: Outgoing) -> str | None:
        unprompted = message.kind is not None
        if message.template_only or (unprompted and await asyncio.to_thread(
                self.window_open, address) is False):
            return await asyncio.to_thread(self._template, address, message)
        try:
            if message.voice_path:
                return await asyncio.to_thread(self._voice, address, message)
            menu = self._menu(message)
            if menu is not None:
                return await asyncio.to_thread(self._send, address, "", content_sid=menu.sid,
                                               content_variables=menu.menu_variables(
                                                   message.menu_title or "",
                                                   message.menu_options or []))
            return await asyncio.to_thread(self._send, address, message.text)
        except OutOfReach:  # Twilio says the window is closed: the template, else the fallback
            return await asyncio.to_thread(self._template, address, message)

    def _menu(self, message: Outgoing) -> provider_templates.Template | None:
        """The editors' list picker for this menu in the person's own language (never a
        fallback's: its fixed words would be another language), if the menu fills its items."""
        if not message.menu_options or message.kind is not None:
            return None
        template = self.templates().pick("menu", message.language, ())
        return template if template is not None and template.fits_menu(
            message.menu_options) else None

    def _voice(self, address: str, message: Outgoing) -> str | None:
        """The recording at its signed address, which Twilio fetches; never one the content no
        longer serves (stale or withdrawn since the reply was queued)."""
        digest = message.voice_digest or ""
        content = self.content.current if self.content is not None else None
        if (self.media_base is None or self.vault is None or not digest
                or (content is not None and recording_links.served(content, digest) is None)):
            if message.text:
                return self._send(address, message.text)
            raise PermanentSendError("recording no longer served (stale or withdrawn): not sent")
        url = recording_links.recording_url(self.media_base, self.vault, digest)
        body = {"body": message.text} if message.text else {}
        return self._send(address, "", media_url=[url], **body)

    def _template(self, address: str, message: Outgoing) -> str | None:
        template = self.templates().pick(message.kind, message.language,
                                         self.fallback_languages)
        if template is None:
            raise OutOfReach("outside WhatsApp's 24-hour window and no template fits",
                             code="no-template")
        return self._send(address, "", content_sid=template.sid,
                          content_variables=template.content_variables(message.text))


def store_last_seen(store: Any, vault: Any) -> LastSeen:
    """``address -> when the person last wrote``, read from their contact."""
    def last_seen(address: str) -> datetime | None:
        with store.session() as session:
            return session.scalar(select(Contact.last_seen_at).where(
                Contact.pseudonym.in_(vault.pseudonyms(address))))
    return last_seen


def sender_from(settings: Any) -> WhatsAppSender | None:
    if not (settings.twilio_account_sid and settings.twilio_auth_token
            and settings.twilio_whatsapp_number):
        return None
    return WhatsAppSender(
        settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value(),
        settings.twilio_whatsapp_number, settings.twilio_api_url,
        status_callback=f"{settings.public_url}/webhooks/twilio/status",
        content_dir=settings.content_dir, media_base=recording_links.public_base(settings),
        vault=vault_from_settings(settings))


def fallback(address: str, message: Outgoing, code: str) -> list[tuple[str, Outgoing]]:
    """Where a message WhatsApp refused goes next: its template on WhatsApp when Twilio refused
    it free-form after taking it (63016 in the status callback; the sender tries the template
    itself otherwise), then SMS to the same number."""
    found: list[tuple[str, Outgoing]] = []
    if (code in REFUSED_CODES and message.kind is not None
            and not message.template_only):
        found.append((address, replace(message, template_only=True)))
    if message.text:  # a voice note alone: its text is a message of its own
        found.append(("tel:" + address.removeprefix(twilio_sms.WHATSAPP_PREFIX),
                      replace(message, template_only=False, voice_path=None, voice_digest=None,
                              menu_title=None, menu_options=None)))
    return found


# Imported by the registry when the core first needs it (webhooks/channels.py names it).
ADAPTER = channel_registry.Adapter(
    rules=rate_rules, overall_rate=lambda limits: limits.sms_per_number, sender=sender_from,
    fallback=fallback, refused_codes=REFUSED_CODES)

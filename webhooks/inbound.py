"""What every channel's webhook shares: reading the form or JSON body, Twilio's signature,
the answers for ignored and rejected requests, and keeping a message aside as a dead letter.

One module below the app and the channel modules, so that a channel's webhook (WhatsApp, the
Android gateway) uses them without importing the app that installs it.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from bot.app.runtime import Runtime
from bot.core.errors import Ignored, InboundError, Rejected, StoreUnavailable
from bot.core.intake import dead_letter
from bot.core.messages import MsgIn
from bot.core.settings import Settings
from webhooks import twilio_sms

log = logging.getLogger("webhooks.app")

_OK = b'{"ok":true}'  # what JSONResponse({"ok": True}) renders, without rendering it each time


def _verify_twilio(settings: Settings, request: Request, form: dict[str, str]) -> None:
    # Twilio signs the public URL it called, not the address we are bound to behind a proxy.
    url = settings.public_url + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    twilio_sms.verify_request(settings, url, form, request.headers)


async def _form(request: Request) -> dict[str, str]:
    """Twilio's url-encoded form (the last value of a repeated field, as Starlette's form()
    gives it), read with the standard library's parse_qsl: a third of the CPU of Starlette's
    form() through python-multipart (25 against 73 µs for an inbound SMS). A malformed body
    gives {} and fails the signature check."""
    try:
        text = (await request.body()).decode()
        return dict(parse_qsl(text, keep_blank_values=True, max_num_fields=1000))
    except ValueError:  # not UTF-8 (UnicodeDecodeError), or too many fields
        return {}


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # RecursionError: nesting deeper than the parser's stack ("[" * 30000), a 500 before.
        raise Rejected("body is not JSON", status_code=400) from exc


def _inbound_error(exc: InboundError) -> JSONResponse:
    if isinstance(exc, Ignored):
        return JSONResponse({"ok": True, "ignored": exc.reason})
    return JSONResponse({"detail": exc.reason}, status_code=exc.status_code)


def _twiml() -> Response:
    return Response(twilio_sms.EMPTY_TWIML, media_type="application/xml")


async def _dead_letter(runtime: Runtime, msg: MsgIn, exc: Exception) -> Response:
    log.exception("inbound %s %s failed for good; dead-lettered", msg.channel, msg.external_id,
                  exc_info=exc)

    def keep() -> None:  # as the intake keeps one: `hanya dead-letters replay` reads both
        with runtime.store.session() as session:
            session.add(dead_letter(runtime.vault, msg, exc))

    try:
        await run_in_threadpool(keep)
    except StoreUnavailable:
        return JSONResponse({"detail": "store unavailable"}, status_code=503,
                            headers={"Retry-After": "5"})
    return JSONResponse({"ok": True, "dead_letter": True})

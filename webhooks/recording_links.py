"""Recordings at a signed public address, for a provider that sends media by fetching a URL
(WhatsApp through Twilio: ``MediaUrl``), as Telegram takes an upload (issue 24).

``GET /media/recordings/<digest>.ogg?expires=<unix seconds>&signature=<hex>``: the signature
is an HMAC-SHA256 of ``<digest>.ogg:<expires>`` under a key derived from HANYA_SECRET_KEY
(``Vault.sign``; a rotated key still verifies). An hour is plenty for Twilio to fetch it.
The route serves only a recording the content serves now (found by the digest of its bytes,
never by a path from the URL: no traversal, no listing), not stale since; a bad or expired
signature is a 403, a withdrawn recording a 404, and nothing is cached on the way.

Twilio cannot reach a service whose HANYA_PUBLIC_URL names this machine (the development
default): then :func:`public_base` is None and WhatsApp stays text only
(``hanya channels check`` says so).
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.responses import FileResponse

from bot.core.audio import Recording
from bot.core.content import Content
from bot.core.crypto import Vault
from webhooks.channels import public_base

__all__ = ["EXPIRES_SECONDS", "PATH", "install", "public_base", "recording_url", "served"]

PATH = "/media/recordings"
EXPIRES_SECONDS = 3600
_NAME = re.compile(r"([0-9a-f]{32})\.ogg")
_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def recording_url(base: str, vault: Vault, digest: str, now: float | None = None) -> str:
    """The signed address of the recording whose bytes have ``digest``, valid an hour."""
    name = f"{digest}.ogg"
    expires = int(now if now is not None else time.time()) + EXPIRES_SECONDS
    query = urlencode({"expires": expires, "signature": vault.sign(f"{name}:{expires}")})
    return f"{base}{PATH}/{name}?{query}"


def served(content: Content, digest: str) -> Recording | None:
    """The recording with these bytes that the content serves now (not stale), if any."""
    for by_key in content.recordings.values():
        for recording in by_key.values():
            if recording.digest == digest and not recording.stale:
                return recording
    return None


def install(app: Any, settings: Any) -> None:
    """Declare ``GET /media/recordings/{name}`` (and HEAD)."""

    async def recording(request: Request, name: str) -> Response:
        runtime = request.app.state.runtime
        found = _NAME.fullmatch(name)
        expires = request.query_params.get("expires", "")
        signature = request.query_params.get("signature", "")
        if (found is None or not expires.isdigit() or int(expires) < time.time()
                or int(expires) > time.time() + 2 * EXPIRES_SECONDS
                or not runtime.vault.signed(f"{name}:{expires}", signature)):
            return Response("forbidden", status_code=403, media_type="text/plain",
                            headers=_NO_STORE)
        served_now = served(runtime.content.current, found[1])
        if served_now is None or not served_now.path.is_file():  # withdrawn or stale since
            return Response("no such recording", status_code=404, media_type="text/plain",
                            headers=_NO_STORE)
        return FileResponse(served_now.path, media_type="audio/ogg", headers=_NO_STORE)

    app.add_api_route(f"{PATH}/{{name}}", recording, methods=["GET", "HEAD"],
                      include_in_schema=False)

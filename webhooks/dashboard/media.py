"""A report's photo or voice note, shown to an officer who asks (issue 21).

A report filed on Telegram keeps its photo or voice note only as Telegram's file id: nothing is
downloaded when it arrives. When someone allowed to read the report asks for it, the bot asks
the Bot API where the file is (``getFile``) and the file is streamed from Telegram to the
browser chunk by chunk: it is never written to disk, never cached (``no-store``), and each
access is written to the audit log before anything is fetched. The bot's token stays on the
server (it is in the file's URL at Telegram, never in a page).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select

from bot.core.texts import N_
from bot.features.committees.models import Report
from bot.features.dashboard import auth
from webhooks.dashboard.web import (
    CanReadReports,
    Viewer,
    no_store,
    render,
    runtime,
    translator,
)

log = logging.getLogger(__name__)
router = APIRouter()

# What Telegram stores: photos as JPEG, voice notes as OGG/Opus.
MEDIA_TYPES = {"photo": "image/jpeg", "voice": "audio/ogg"}
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
CHUNK = 64 * 1024
# TRANSLATORS: a report's photo or voice note could not be fetched from Telegram.
UNAVAILABLE = N_("Telegram did not give this file (it may be too old, or Telegram cannot be "
                 "reached). Try again later.")
# TRANSLATORS: the Telegram bot is not configured on this server.
NO_BOT = N_("No Telegram bot is configured on this server: its files cannot be fetched.")


class MediaUnavailable(Exception):
    """Telegram did not give the file (the reason is logged, never shown)."""


def _audited_media(request: Request, viewer: Viewer, reference: str) -> tuple[str, str] | None:
    """The report's (kind, file id), the access audited; None if it has none."""
    rt = runtime(request)
    with rt.store.session() as session:
        report = session.scalar(select(Report).where(Report.reference == reference.upper()))
        if report is None or not report.media_file_id or report.media_kind not in MEDIA_TYPES:
            return None
        auth.audit(session, viewer, "report.view_media", object_type="report",
                   object_id=report.reference, detail=report.media_kind)
        return report.media_kind, report.media_file_id


async def _open(api_url: str, token: str, file_id: str) -> tuple[httpx.AsyncClient,
                                                                 httpx.Response]:
    """getFile, then the file's download opened as a stream (the caller closes both)."""
    client = httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False)
    try:
        answer = await client.post(f"{api_url}/bot{token}/getFile", data={"file_id": file_id})
        body = answer.json()
        if not body.get("ok") or not body.get("result", {}).get("file_path"):
            raise MediaUnavailable(f"getFile answered {answer.status_code}: "
                                   f"{str(body.get('description'))[:80]}")
        path = body["result"]["file_path"]
        download = await client.send(client.build_request(
            "GET", f"{api_url}/file/bot{token}/{path}"), stream=True)
        if download.status_code != 200:
            await download.aclose()
            raise MediaUnavailable(f"file download answered {download.status_code}")
        return client, download
    except (httpx.HTTPError, ValueError) as exc:
        await client.aclose()
        raise MediaUnavailable(type(exc).__name__) from exc
    except MediaUnavailable:
        await client.aclose()
        raise


@router.get("/dashboard/reports/{reference}/media")
async def report_media(request: Request, reference: str, viewer: CanReadReports) -> Response:
    """The report's photo or voice note, streamed from Telegram (the access is audited)."""
    found = await run_in_threadpool(_audited_media, request, viewer, reference)
    if found is None:
        return render(request, "not_found.html", viewer, status_code=404)
    kind, file_id = found
    settings = runtime(request).settings
    if settings.telegram_token is None:
        return render(request, "not_found.html", viewer, status_code=503,
                      message=translator(request).gettext(NO_BOT))
    try:
        client, download = await _open(settings.telegram_api_url,
                                        settings.telegram_token.get_secret_value(), file_id)
    except MediaUnavailable as exc:
        log.warning("report %s: %s not fetched from Telegram: %s", reference.upper(), kind, exc)
        return render(request, "not_found.html", viewer, status_code=502,
                      message=translator(request).gettext(UNAVAILABLE))

    async def chunks() -> AsyncIterator[bytes]:
        try:
            async for chunk in download.aiter_bytes(CHUNK):
                yield chunk
        finally:
            await download.aclose()
            await client.aclose()

    headers = {"Content-Disposition": "inline"}
    if "content-length" in download.headers:
        headers["Content-Length"] = download.headers["content-length"]
    return no_store(StreamingResponse(chunks(), media_type=MEDIA_TYPES[kind], headers=headers))

"""The FastAPI app: webhooks for each channel, health checks, and the sender in the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import logging
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import update

from bot.app.content_reload import ContentWatcher
from bot.app.intake_process import IntakeProcess
from bot.app.runtime import Runtime, build_runtime
from bot.core import channel_registry, dead_letters, metrics
from bot.core.errors import InboundError, Rejected, StoreUnavailable
from bot.core.intake import Intake, handling_limiter
from bot.core.logs import quiet_third_party_loggers
from bot.core.messages import MsgIn
from bot.core.models import OutboxMessage
from bot.core.outbox import Sender
from bot.core.reroute import reroute_by_provider_id
from bot.core.settings import Settings, get_settings
from bot.core.spool import Ingest
from bot.features.digests.scheduler import start_scheduler
from webhooks import (
    android_sms,
    dashboard,
    preview,
    recording_links,
    telegram,
    twilio_sms,
    twilio_whatsapp,
)
from webhooks import metrics as metrics_page
from webhooks.channels import channel_traits, senders
from webhooks.inbound import (
    _OK,
    _dead_letter,
    _form,
    _inbound_error,
    _json_body,
    _twiml,
    _verify_twilio,
)

log = logging.getLogger(__name__)


async def _accept(request: Request, msg: MsgIn) -> None:
    """Keep ``msg`` (committed with the others arriving meanwhile) before the provider gets its
    200; the intake task beside the app handles it right after (bot/core/intake.py)."""
    intake: Intake = request.app.state.intake
    await intake.accept(msg)
    metrics.accepted.labels(msg.channel).inc()


def _may_scrape(settings: Settings, request: Request) -> bool:
    """A bearer of HANYA_METRICS_TOKEN, or (none set) a request from this machine."""
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return hmac.compare_digest(given.encode(), token.encode())
    return request.client is not None and request.client.host in ("127.0.0.1", "::1")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The web application; ``settings`` default to the environment."""
    settings = settings or get_settings()
    quiet_third_party_loggers()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = build_runtime(settings, channel_traits(settings))
        if _telegram_webhook(settings) != "open":
            log.warning(telegram.UNCONFIGURED)
        channel_senders = senders(settings)
        for name, sender in channel_senders.items():
            if hasattr(sender, "start"):
                try:
                    await sender.start()
                except Exception as exc:  # a provider down at boot must not stop the service
                    log.warning("%s unreachable at start (%s): will retry when sending", name,
                                type(exc).__name__)
        for sender in channel_senders.values():  # e.g. WhatsApp reads each person's window
            if hasattr(sender, "attach"):
                sender.attach(runtime)
        outbox = Sender.from_settings(runtime.store, runtime.vault, channel_senders, settings)
        app.state.runtime, app.state.sender = runtime, outbox
        app.state.metrics = metrics_page.store_registry(runtime.store, settings)
        inbox_limiter = handling_limiter(settings, runtime.store)
        # Handling in a second process, or in a task here (bot/app/intake_process.py says why).
        handling = (IntakeProcess(settings, on_queued=outbox.wake)
                    if settings.run_intake and settings.intake_process else None)
        intake = Intake.from_settings(
            runtime, on_handled=outbox.wake,
            on_accepted=handling.notify_accepted if handling is not None else None)
        app.state.intake, app.state.inbox_limiter = intake, inbox_limiter
        app.state.handling_process = handling
        if settings.gc_freeze_at_start:
            # What is loaded at start (libraries, content, catalogs) lives as long as the
            # process: kept out of the cyclic GC's full passes, each of which otherwise
            # stopped the server ~110 ms under load (the p99 at 200 req/s on PostgreSQL).
            gc.collect()
            gc.freeze()
        stopping = asyncio.Event()
        tasks = []
        if handling is not None:
            tasks.append(asyncio.create_task(handling.run(), name="handling-process"))
        elif settings.run_intake:
            tasks.append(asyncio.create_task(intake.run(inbox_limiter), name="intake"))
        if settings.run_sender and channel_senders:
            tasks.append(asyncio.create_task(outbox.run(idle=settings.idle_poll_seconds),
                                             name="sender"))
        tasks.append(asyncio.create_task(_flush_spool_forever(runtime, intake, stopping),
                                         name="spool"))
        for channel in channel_registry.installed():  # e.g. the gateway phones' silence watch
            job = channel.background and channel.background(runtime, settings, outbox.wake,
                                                            stopping)
            if job is not None:
                tasks.append(asyncio.create_task(job, name=f"{channel.name}-background"))
        if settings.content_reload:  # editors' changes served without a restart
            watcher = ContentWatcher(runtime.content, settings.content_reload_seconds)
            tasks.append(asyncio.create_task(watcher.run(stopping), name="content-reload"))
        # Digests at their hour, and any missed while down (off in tests unless asked for).
        digests = start_scheduler(runtime, outbox.wake) if settings.run_scheduler else None
        try:
            yield
        finally:
            if digests is not None:
                await asyncio.to_thread(digests.stop)
            # Let work in hand finish: a send cut in half could be sent twice after restart
            # (a message accepted and not handled stays in the intake for the next start).
            intake.stop()
            if handling is not None:
                handling.stop()
            outbox.stop()
            stopping.set()
            done, pending = await asyncio.wait(tasks, timeout=15)
            for task in pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for sender in channel_senders.values():
                if hasattr(sender, "stop"):
                    await sender.stop()
            preview.sessions(app.state).close_all()
            runtime.store.dispose()

    docs = settings.api_docs  # off unless asked for (bot/core/settings.py says why)
    app = HanyaApp(title="Hanya", version="0.1.0", lifespan=lifespan,
                   max_body_bytes=settings.max_body_bytes, docs_url="/docs" if docs else None,
                   redoc_url="/redoc" if docs else None,
                   openapi_url="/openapi.json" if docs else None)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        # A person who opens the bare address lands on the dashboard (its sign-in page).
        return RedirectResponse("/dashboard", status_code=307)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz(request: Request) -> JSONResponse:
        runtime: Runtime = request.app.state.runtime
        database = runtime.store.ping()
        body = {"database": "ok" if database else "unreachable",
                "content": "ok" if runtime.content.last_error is None else "refused",
                "content_error": runtime.content.last_error,
                "spooled_sms": len(runtime.spool.pending()),
                "spool_set_aside": len(runtime.spool.set_aside()),
                # Accepted and not yet handled, in every process: grows when handling lags.
                "intake_waiting": _waiting(request.app.state.intake) if database else None,
                # Failed for good, kept aside: `hanya dead-letters list` says which.
                "dead_letters": _dead_letters(runtime) if database else None,
                "handling": _handling(request.app.state.handling_process, settings),
                "telegram_webhook": _telegram_webhook(settings),
                **channel_registry.readiness(settings)}
        return JSONResponse(body, status_code=200 if database else 503)

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics(request: Request) -> Response:
        if not _may_scrape(settings, request):
            return Response(status_code=404)  # as if absent: says nothing to a prober
        registry = request.app.state.metrics
        return Response(metrics_page.exposition(registry), media_type=CONTENT_TYPE_LATEST)

    @app.post("/webhooks/telegram", openapi_extra=TELEGRAM_BODY)
    async def telegram_webhook(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        secret = settings.telegram_webhook_secret
        try:
            telegram.verify_secret(secret.get_secret_value() if secret else None,
                                   request.headers.get(telegram.SECRET_HEADER))
            data = _json_body(await request.body())
            msg, callback_id = telegram.parse_update(data)
        except InboundError as exc:
            return _inbound_error(exc)
        try:
            await _accept(request, msg)
        except StoreUnavailable:
            # Telegram retries a 5xx; the update will be processed once when the store is back.
            return JSONResponse({"detail": "store unavailable"}, status_code=503,
                                headers={"Retry-After": "5"})
        except Exception as exc:  # noqa: BLE001 - kept aside rather than answered with a 500
            return await _dead_letter(runtime, msg, exc)
        if callback_id:
            return JSONResponse(telegram.callback_answer(callback_id))
        return Response(_OK, media_type="application/json")

    @app.post("/webhooks/twilio/sms", openapi_extra=twilio_form("MessageSid", "From", "Body"))
    async def twilio_sms_webhook(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        form = await _form(request)
        try:
            _verify_twilio(settings, request, form)
            msg = twilio_sms.parse_sms(form)
        except InboundError as exc:
            return _inbound_error(exc)
        if runtime.spool.holding:  # earlier SMS wait in the spool: this one goes behind them
            await run_in_threadpool(runtime.spool.put, twilio_sms.CHANNEL, form,
                                    msg.received_at)
            return _twiml()
        try:
            await _accept(request, msg)
        except StoreUnavailable:
            # Twilio will not retry for long: keep the signed message and ingest it later.
            await run_in_threadpool(runtime.spool.put, twilio_sms.CHANNEL, form,
                                    msg.received_at)
            log.warning("store unavailable: inbound SMS %s spooled", msg.external_id)
            return _twiml()
        except Exception as exc:  # noqa: BLE001 - kept aside rather than answered with a 500
            await _dead_letter(runtime, msg, exc)
            return _twiml()
        return _twiml()

    @app.post("/webhooks/twilio/status",
              openapi_extra=twilio_form("MessageSid", "MessageStatus", "ErrorCode"))
    async def twilio_status_webhook(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        form = await _form(request)
        try:
            _verify_twilio(settings, request, form)
        except InboundError as exc:
            return _inbound_error(exc)
        sid, status = form.get("MessageSid"), form.get("MessageStatus")
        if not sid or not status:
            return _inbound_error(Rejected("missing MessageSid or MessageStatus", 400))
        try:
            await run_in_threadpool(_record_status, runtime, sid, status, form.get("ErrorCode"),
                                    request.app.state.sender.channels)
        except StoreUnavailable:
            return JSONResponse({"detail": "store unavailable"}, status_code=503)
        return Response(status_code=204)

    app.direct.endpoints.update({"/webhooks/telegram": telegram_webhook,
                                 "/webhooks/twilio/sms": twilio_sms_webhook})
    android_sms.install(app, settings)  # POST /webhooks/android-sms, on the direct path too
    twilio_whatsapp.install(app, settings)  # POST /webhooks/twilio/whatsapp, likewise
    recording_links.install(app, settings)  # GET /media/recordings/...: signed, for Twilio
    # After the webhooks: routes are matched in order, and matching the dashboard's many
    # routes first was a quarter of a webhook's CPU under load.
    dashboard.install(app)  # /dashboard pages, /api/v1, /static
    app.include_router(preview.router)  # /preview for content editors
    return app


# Request bodies are read raw (the signature covers the exact form; PTB parses updates), so the
# schema is declared here for documentation and for schemathesis.
TELEGRAM_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {
        "type": "object", "required": ["update_id"],
        "properties": {
            "update_id": {"type": "integer"},
            "message": {"type": "object", "properties": {
                "message_id": {"type": "integer"}, "date": {"type": "integer"},
                "text": {"type": "string"},
                "chat": {"type": "object", "properties": {"id": {"type": "integer"},
                                                          "type": {"type": "string"}}}}},
            "callback_query": {"type": "object"},
            "my_chat_member": {"type": "object"}}}}}}}


def twilio_form(*fields: str) -> dict[str, Any]:
    properties = {name: {"type": "string"} for name in fields}
    return {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
        "schema": {"type": "object", "properties": properties}}}}}


def _handling(process: IntakeProcess | None, settings: Settings) -> str:
    """Where received messages are handled: "process running" ("process starting" until it
    is ready, "process restarting" after it died), "in process", or "elsewhere" (`hanya
    intake run`)."""
    if process is not None:
        return f"process {process.state()}"
    return "in process" if settings.run_intake else "elsewhere"


def _telegram_webhook(settings: Settings) -> str:
    """"open" when updates can be verified; otherwise why every update is refused."""
    secret = settings.telegram_webhook_secret
    return "open" if secret and secret.get_secret_value() else "refusing: " + telegram.UNCONFIGURED


def _waiting(intake: Intake) -> int | None:
    try:
        return intake.waiting()
    except Exception:  # noqa: BLE001 - readiness reports, it does not fail
        return None


def _dead_letters(runtime: Runtime) -> int | None:
    try:
        return dead_letters.count(runtime.store)
    except Exception:  # noqa: BLE001 - readiness reports, it does not fail
        return None


def _record_status(runtime: Runtime, sid: str, status: str, error: str | None,
                   available: Collection[str] = ()) -> None:
    with runtime.store.session() as session:
        # A refusal its channel hands on (WhatsApp's 63016: the template, else SMS).
        handed = bool(error) and reroute_by_provider_id(session, runtime.vault, sid,
                                                        str(error), available)
        values: dict[str, str | None] = {"delivery_status": status[:16]}
        if not handed:
            values["last_error"] = f"twilio {error}" if error else None
        session.execute(update(OutboxMessage).where(OutboxMessage.provider_id == sid)
                        .values(**values))


def spool_ingest(intake: Intake) -> Ingest:
    """What the spool's flush does with a spooled SMS: into the intake, as if it had just been
    accepted (with the time it came), to be handled in its person's order, once."""
    def ingest(channel: str, form: dict[str, str], received_at: datetime | None) -> None:
        msg = twilio_sms.parse_sms(form)
        intake.keep(replace(msg, received_at=received_at) if received_at else msg)

    return ingest


async def _flush_spool_forever(runtime: Runtime, intake: Intake, stopping: asyncio.Event,
                               every: float = 5.0) -> None:
    ingest = spool_ingest(intake)
    while not stopping.is_set():
        if runtime.spool.holding:
            try:
                if await run_in_threadpool(runtime.spool.flush, ingest):
                    intake.accepted()
            except Exception:
                log.exception("spool flush failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=every)


class HanyaApp(FastAPI):
    """FastAPI, except that POSTs to the inbound webhooks go straight to their endpoint, past
    the whole stack: FastAPI's telemetry and body-limit layers, Starlette's error middleware,
    the router and its request machinery, which together cost more than the endpoint's own
    work (the routes stay declared, for the schema and for the other methods).

    The endpoints take a Request and return a Response, and need nothing else FastAPI does;
    the direct path keeps the body limit and answers a bare 500 on an unexpected error.
    """

    def __init__(self, *args: Any, max_body_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.direct = DirectWebhooks({})
        self._direct_app = BodyLimit(self.direct, max_bytes=max_body_bytes)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (scope["type"] != "http" or scope["method"] != "POST"
                or scope["path"] not in self.direct.endpoints):
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self  # what Starlette sets: request.app for the endpoint
        await self._direct_app(scope, receive, send)


class DirectWebhooks:
    """ASGI app that calls the endpoint registered for the request's path."""

    def __init__(self, endpoints: dict[str, Any]) -> None:
        self.endpoints = endpoints

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            response = await self.endpoints[scope["path"]](Request(scope, receive))
        except _TooLarge:
            raise  # BodyLimit answers it
        except Exception:
            # As Starlette's error middleware would: the trace in the log, a bare 500 out.
            log.exception("webhook %s failed", scope["path"])
            response = Response("Internal Server Error", status_code=500,
                                media_type="text/plain")
        await response(scope, receive, send)  # a failure while sending goes to uvicorn


class BodyLimit:
    """Refuse (413) a request whose declared or streamed body exceeds ``max_bytes``.

    Plain ASGI rather than Starlette's BaseHTTPMiddleware, which costs a task per request.
    """

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await JSONResponse({"detail": "body too large"}, status_code=413)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:  # chunked bodies have no content-length to check first
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await JSONResponse({"detail": "body too large"}, status_code=413)(scope, receive, send)


class _TooLarge(Exception):
    pass

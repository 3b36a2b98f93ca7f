"""``hanya digest ...``: who receives alerts and digests, a digest printed or queued now, and
the scheduler in the foreground. The running pieces, the terminal and the audit log's writer
come from the app (``bot/core/command_line.py``).

Examples::

    hanya digest recipients add "Permanence SP/CCM" telegram:-1001234567890 --language fr
    hanya digest recipients add "OIM Agadez" tel:+22790000000 --partner --subscriptions weekly
    hanya digest run daily --dry-run --channel sms
"""

from __future__ import annotations

import signal
import time
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from sqlalchemy import select

from bot.core import channel_registry
from bot.core.audit import terminal_actor
from bot.core.command_line import CommandLine, Running
from bot.core.crypto import Vault
from bot.core.recipients import SUBSCRIPTIONS, Recipient, add_recipient, parse_address
from bot.features.digests import kinds
from bot.features.digests.digest import build_digest, period_for, period_key, send_digest
from bot.features.digests.render import DigestRenderer

app = typer.Typer(help="Digests to the SP/CCM: recipients, run now, schedule.",
                  no_args_is_help=True)
recipients_app = typer.Typer(help="Who receives alerts and digests.", no_args_is_help=True)
app.add_typer(recipients_app, name="recipients")


# --- recipients ---------------------------------------------------------------------------------

def _check_address(address: str) -> str:
    try:
        return parse_address(address)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


@recipients_app.command("add")
def recipients_add(
    ctx: typer.Context,
    name: str, address: str,
    language: Annotated[str, typer.Option(help="fr, en, ha, dje, ar, ff, kr or tmh")] = "fr",
    subscriptions: Annotated[str, typer.Option(help="comma-separated: "
                                               + ",".join(SUBSCRIPTIONS))] = "alerts,daily,weekly",
    partner: Annotated[bool, typer.Option(help="outside the SP/CCM core: small counts "
                                          "hidden, aggregates only")] = False,
    channel: Annotated[str | None, typer.Option(help="the channel that reaches it, e.g. "
                                                "android-sms for a phone number (default: "
                                                "telegram or sms by the address)")] = None,
) -> None:
    """Add (or update) a recipient: a Telegram chat or group, or a phone number."""
    address = _check_address(address)
    line = CommandLine.of(ctx.obj)
    with line.running() as runtime:
        if language not in runtime.content.current.languages:
            raise typer.BadParameter(f"unknown language {language}")
        try:
            with runtime.store.session() as session:
                recipient = add_recipient(session, runtime.vault, name=name, address=address,
                                          language=language, core=not partner,
                                          subscriptions=_words(subscriptions), channel=channel)
                number = recipient.id
                line.audit(session, terminal_actor(), "recipient.add",
                           object_type="recipient", object_id=number)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        line.console.print(f"recipient {number} saved")


def _words(listed: str) -> list[str]:
    return [word.strip() for word in listed.split(",") if word.strip()]


@recipients_app.command("list")
def recipients_list(ctx: typer.Context) -> None:
    """List recipients (addresses masked)."""
    line = CommandLine.of(ctx.obj)
    with line.running() as runtime:
        table = Table("id", "name", "address", "language", "receives", "audience", "active")
        with runtime.store.session() as session:
            for r in session.scalars(select(Recipient).order_by(Recipient.id)):
                table.add_row(str(r.id), r.name, _masked(runtime.vault, r.address_enc), r.language,
                              r.subscriptions, "core" if r.core else "partner", str(r.active))
        line.console.print(table)


def _masked(vault: Vault, address_enc: str) -> str:
    address = vault.decrypt(address_enc)
    scheme, _, value = address.partition(":")
    return f"{scheme}:…{value[-3:]}"


@recipients_app.command("remove")
def recipients_remove(ctx: typer.Context, recipient_id: int) -> None:
    """Delete a recipient (its address goes with it)."""
    line = CommandLine.of(ctx.obj)
    with line.running() as runtime:
        with runtime.store.session() as session:
            recipient = session.get(Recipient, recipient_id)
            if recipient is None:
                raise typer.BadParameter(f"no recipient {recipient_id}")
            session.delete(recipient)
            line.audit(session, terminal_actor(), "recipient.remove",
                       object_type="recipient", object_id=recipient_id)
        line.console.print(f"recipient {recipient_id} removed")


# --- digests --------------------------------------------------------------------------------------

@app.command("run")
def digest_run(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="a digest kind: daily, weekly...")],
    send: Annotated[bool, typer.Option("--send/--dry-run", help="queue it for the recipients "
                                       "now, or print it")] = False,
    day: Annotated[str | None, typer.Option(help="the day it is sent on (default today)")] = None,
    language: str = "fr",
    channel: Annotated[str, typer.Option(help="the reader's channel (dry run): telegram, sms, "
                                         "whatsapp, android-sms")] = "telegram",
    partner: Annotated[bool, typer.Option(help="show what a partner sees (dry run)")] = False,
) -> None:
    """Print a digest (``--dry-run``) or queue it now for every recipient not yet served."""
    if kind not in kinds.names():
        raise typer.BadParameter(" or ".join(kinds.names()))
    line = CommandLine.of(ctx.obj)
    with line.running() as runtime:
        settings, content = runtime.settings, runtime.content.current
        tz = ZoneInfo(settings.timezone)
        sent_on = date.fromisoformat(day) if day else datetime.now(tz).date()
        renderer = DigestRenderer(content, settings.digest_small_cell, settings.chart_dir,
                                  settings.sms_max_segments)
        key = period_key(period_for(kind, sent_on))
        if send:
            queued = send_digest(runtime.store, runtime.vault, content, kind, sent_on, tz, renderer,
                                 silent_days=settings.digest_silent_days,
                                 content_error=runtime.content.last_error)
            line.console.print(f"{kind} digest {key}: queued for {queued} recipient(s) "
                               "(the others had it already)")
            return
        if channel_registry.find(channel) is None:
            raise typer.BadParameter(f"unknown channel {channel}")
        reader = Recipient(name="dry run", channel=channel,
                           language=language, core=not partner, address_enc="")
        _print_digest(line, runtime, renderer, reader, kind, sent_on)


def _print_digest(line: CommandLine, runtime: Running, renderer: DigestRenderer,
                  reader: Recipient, kind: str, sent_on: date) -> None:
    settings = runtime.settings
    with runtime.store.session() as session:
        digest = build_digest(session, runtime.content.current, kind, period_for(kind, sent_on),
                              ZoneInfo(settings.timezone), vault=runtime.vault,
                              silent_days=settings.digest_silent_days,
                              content_error=runtime.content.last_error)
    for message in renderer(digest, reader):
        if message.photo_path:
            line.console.print(f"[dim](photo {message.photo_path})[/dim]")
        line.console.print(message.text, markup=False, highlight=False)


@app.command("schedule")
def digest_schedule(
    ctx: typer.Context,
    seconds: Annotated[float | None, typer.Option(help="stop after this long")] = None,
    catch_up: Annotated[bool, typer.Option(help="send a period missed while down")] = True,
) -> None:
    """Run the digest scheduler in the foreground (when the web process does not)."""
    from bot.features.digests.scheduler import DigestJobs, DigestScheduler

    with CommandLine.of(ctx.obj).running() as runtime:
        scheduler = DigestScheduler(DigestJobs(runtime), catch_up=catch_up)
        scheduler.start()
        _wait(seconds)
        scheduler.stop()


def _wait(seconds: float | None) -> None:
    stop = {"now": False}

    def ask_stop(*_: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, ask_stop)
    deadline = time.monotonic() + seconds if seconds is not None else None
    try:
        while not stop["now"] and (deadline is None or time.monotonic() < deadline):
            time.sleep(0.1)
    except KeyboardInterrupt:
        pass

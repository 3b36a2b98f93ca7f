"""``hanya digest ...``, ``hanya idea ...`` and ``hanya outbox run``: the SP/CCM's side of the
idea box and the digests, and a standalone sender process.

Examples::

    hanya digest recipients add "Permanence SP/CCM" telegram:-1001234567890 --language fr
    hanya digest recipients add "OIM Agadez" tel:+22790000000 --partner --subscriptions weekly
    hanya digest run daily --dry-run --channel sms
    hanya idea status I-2026-00042 discussed --answer "Réunion GTM prévue le 12 à Arlit"
    hanya idea list --status received --since 2026-11-01
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from bot.core import channel_registry
from bot.core.crypto import Vault
from bot.core.recipients import SUBSCRIPTIONS, Recipient, add_recipient, parse_address
from bot.core.settings import get_settings
from bot.features.dashboard import auth
from bot.features.digests import kinds
from bot.features.digests.digest import build_digest, period_for, period_key, send_digest
from bot.features.digests.render import DigestRenderer, category_labels
from bot.features.ideas.models import STATUSES, Idea, SensitiveFeedback, find_submission
from webhooks.channels import channel_traits, senders

digest_app = typer.Typer(help="Digests to the SP/CCM: recipients, run now, schedule.",
                         no_args_is_help=True)
recipients_app = typer.Typer(help="Who receives alerts and digests.", no_args_is_help=True)
digest_app.add_typer(recipients_app, name="recipients")
idea_app = typer.Typer(help="The idea box: answer and read submissions.", no_args_is_help=True)
outbox_app = typer.Typer(help="The outbound queue.", no_args_is_help=True)
intake_app = typer.Typer(help="Received messages waiting to be handled.", no_args_is_help=True)
console = Console()


@contextmanager
def _runtime() -> Iterator[Any]:
    """The service's pieces for one command; its database connections closed after."""
    from bot.app.runtime import build_runtime

    settings = get_settings()
    runtime = build_runtime(settings, channel_traits(settings))
    try:
        yield runtime
    finally:
        runtime.store.dispose()


# --- recipients ---------------------------------------------------------------------------------

def _check_address(address: str) -> str:
    try:
        return parse_address(address)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


@recipients_app.command("add")
def recipients_add(
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
    with _runtime() as runtime:
        if language not in runtime.content.current.languages:
            raise typer.BadParameter(f"unknown language {language}")
        try:
            with runtime.store.session() as session:
                recipient = add_recipient(session, runtime.vault, name=name, address=address,
                                          language=language, core=not partner,
                                          subscriptions=_words(subscriptions), channel=channel)
                number = recipient.id
                auth.audit(session, auth.terminal_actor(), "recipient.add",
                           object_type="recipient", object_id=number)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        console.print(f"recipient {number} saved")


def _words(listed: str) -> list[str]:
    return [word.strip() for word in listed.split(",") if word.strip()]


@recipients_app.command("list")
def recipients_list() -> None:
    """List recipients (addresses masked)."""
    with _runtime() as runtime:
        table = Table("id", "name", "address", "language", "receives", "audience", "active")
        with runtime.store.session() as session:
            for r in session.scalars(select(Recipient).order_by(Recipient.id)):
                table.add_row(str(r.id), r.name, _masked(runtime.vault, r.address_enc), r.language,
                              r.subscriptions, "core" if r.core else "partner", str(r.active))
        console.print(table)


def _masked(vault: Vault, address_enc: str) -> str:
    address = vault.decrypt(address_enc)
    scheme, _, value = address.partition(":")
    return f"{scheme}:…{value[-3:]}"


@recipients_app.command("remove")
def recipients_remove(recipient_id: int) -> None:
    """Delete a recipient (its address goes with it)."""
    with _runtime() as runtime:
        with runtime.store.session() as session:
            recipient = session.get(Recipient, recipient_id)
            if recipient is None:
                raise typer.BadParameter(f"no recipient {recipient_id}")
            session.delete(recipient)
            auth.audit(session, auth.terminal_actor(), "recipient.remove",
                       object_type="recipient", object_id=recipient_id)
        console.print(f"recipient {recipient_id} removed")


# --- digests --------------------------------------------------------------------------------------

@digest_app.command("run")
def digest_run(
    kind: Annotated[str, typer.Argument(help="a digest kind: daily, weekly...")],
    send: Annotated[bool, typer.Option("--send/--dry-run", help="queue it for the recipients "
                                       "now, or print it")] = False,
    day: Annotated[str | None, typer.Option(help="the day it is sent on (default today)")] = None,
    language: str = "fr",
    channel: Annotated[str, typer.Option(help="telegram or sms (dry run)")] = "telegram",
    partner: Annotated[bool, typer.Option(help="show what a partner sees (dry run)")] = False,
) -> None:
    """Print a digest (``--dry-run``) or queue it now for every recipient not yet served."""
    if kind not in kinds.names():
        raise typer.BadParameter(" or ".join(kinds.names()))
    with _runtime() as runtime:
        settings, content = runtime.settings, runtime.content.current
        tz = ZoneInfo(settings.timezone)
        sent_on = date.fromisoformat(day) if day else datetime.now(tz).date()
        renderer = DigestRenderer(content, settings.digest_small_cell, settings.chart_dir,
                                  settings.sms_max_segments,
                                  category_labels(settings.content_dir))
        key = period_key(period_for(kind, sent_on))
        if send:
            queued = send_digest(runtime.store, runtime.vault, content, kind, sent_on, tz, renderer,
                                 silent_days=settings.digest_silent_days,
                                 content_error=runtime.content.last_error)
            console.print(f"{kind} digest {key}: queued for {queued} recipient(s) "
                          "(the others had it already)")
            return
        if channel_registry.find(channel) is None:
            raise typer.BadParameter(f"unknown channel {channel}")
        reader = Recipient(name="dry run", channel=channel,
                           language=language, core=not partner, address_enc="")
        _print_digest(runtime, renderer, reader, kind, sent_on)


def _print_digest(runtime: Any, renderer: DigestRenderer, reader: Recipient, kind: str,
                  sent_on: date) -> None:
    settings = runtime.settings
    with runtime.store.session() as session:
        digest = build_digest(session, runtime.content.current, kind, period_for(kind, sent_on),
                              ZoneInfo(settings.timezone), vault=runtime.vault,
                              silent_days=settings.digest_silent_days,
                              content_error=runtime.content.last_error)
    for message in renderer(digest, reader):
        if message.photo_path:
            console.print(f"[dim](photo {message.photo_path})[/dim]")
        console.print(message.text, markup=False, highlight=False)


@digest_app.command("schedule")
def digest_schedule(
    seconds: Annotated[float | None, typer.Option(help="stop after this long")] = None,
    catch_up: Annotated[bool, typer.Option(help="send a period missed while down")] = True,
) -> None:
    """Run the digest scheduler in the foreground (when the web process does not)."""
    from bot.features.digests.scheduler import DigestJobs, DigestScheduler

    with _runtime() as runtime:
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


# --- ideas --------------------------------------------------------------------------------------

@idea_app.command("status")
def idea_status(
    reference: str,
    status: Annotated[str, typer.Argument(help=", ".join(STATUSES))],
    answer: Annotated[str | None, typer.Option(help="a short answer for the submitter")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="record an answer nobody will receive "
                                      "(an anonymous idea) without asking")] = False,
) -> None:
    """Set an idea's status; a signed submitter is told in their language on their channel."""
    from bot.features.ideas.actions import reachable_submitter, set_status

    with _runtime() as runtime:
        if answer:
            with runtime.store.session() as session:
                found = find_submission(session, reference)
                unheard = (None if found is None or reachable_submitter(session, found)
                           else _why_unheard(found))
            if unheard and not _confirm_unheard(reference, unheard, yes):
                raise typer.Exit(1)
        try:
            with runtime.store.session() as session:
                found = set_status(session, runtime.vault, runtime.content.current,
                                   channel_traits(runtime.settings), reference, status, answer)
                told = reachable_submitter(session, found) is not None
                auth.audit(session, auth.terminal_actor(), "idea.status", object_type="idea",
                           object_id=found.reference, detail=status)
        except (ValueError, LookupError) as exc:
            raise typer.BadParameter(str(exc)) from exc
        console.print(f"{reference.upper()}: {status}" + (" (submitter told)" if told else ""))


def _why_unheard(found: Idea | SensitiveFeedback) -> str:
    if not found.signed:
        return "is anonymous"
    return "has no submitter to tell (they erased their data or said STOP)"


def _confirm_unheard(reference: str, why: str, yes: bool) -> bool:
    """An answer nobody will receive: said plainly, then recorded only when confirmed."""
    console.print(f"{reference.upper()} {why}: nobody will receive this answer. It would only "
                  "be kept with the idea (dashboard, `hanya idea show`).", highlight=False)
    if yes:
        return True
    try:
        if typer.confirm("Record the answer anyway?", default=False):
            return True
    except typer.Abort:  # no terminal to ask (a script): as a "no"
        pass
    console.print("not recorded: leave out --answer to set the status only, or add --yes to "
                  "record the answer anyway", highlight=False)
    return False


@idea_app.command("list")
def idea_list(
    status: Annotated[str | None, typer.Option(help=", ".join(STATUSES))] = None,
    since: Annotated[str | None, typer.Option(help="from this day (YYYY-MM-DD, Niamey)")] = None,
    until: Annotated[str | None, typer.Option(help="to this day, included")] = None,
    officer: Annotated[str | None, typer.Option(help="your name, to list confidential "
                                                "feedback too")] = None,
    limit: int = 100,
) -> None:
    """List submissions, newest first: reference, date, status, theme; no text and no person
    (`hanya idea show REF` reads one). Confidential feedback only for a named officer."""
    from bot.features.ideas.actions import count_confidential, list_submissions

    with _runtime() as runtime:
        settings = runtime.settings
        confidential = officer is not None and officer in settings.idea_sensitive_officers
        if officer is not None and not confidential:
            raise typer.BadParameter("confidential: only officers named in "
                                     "HANYA_IDEA_SENSITIVE_OFFICERS may list it")
        zone = ZoneInfo(settings.timezone)
        try:
            with runtime.store.session() as session:
                listed = list_submissions(session, zone, status=status, since=_day(since),
                                          until=_day(until), confidential=confidential,
                                          limit=limit)
                hidden = 0 if confidential else count_confidential(session)
                if confidential:
                    auth.audit(session, auth.terminal_actor(), "sensitive.list",
                               object_type="sensitive", detail=officer)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
    table = Table("reference", f"received ({settings.timezone})", "status", "theme", "signed",
                  "answered", "channel", "language", title=f"{len(listed)} submission(s)")
    for item in listed:
        theme = "confidential" if item.confidential else (item.theme or "-")
        table.add_row(item.reference, f"{item.received:%Y-%m-%d %H:%M}", item.status, theme,
                      "yes" if item.signed else "anonymous", "yes" if item.answered else "no",
                      item.channel, item.language)
    console.print(table)
    if hidden:
        console.print(f"{hidden} confidential submission(s) not listed: --officer NAME, for "
                      "officers named in HANYA_IDEA_SENSITIVE_OFFICERS", highlight=False)


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a day: write it YYYY-MM-DD") from None


@idea_app.command("show")
def idea_show(reference: str,
              officer: Annotated[str | None, typer.Option(help="your name, for confidential "
                                                           "feedback")] = None) -> None:
    """Show one submission; confidential feedback only to a named officer."""
    with _runtime() as runtime, runtime.store.session() as session:
        found = find_submission(session, reference)
        if found is None:
            raise typer.BadParameter(f"no idea {reference}")
        if isinstance(found, SensitiveFeedback):
            if officer not in runtime.settings.idea_sensitive_officers:
                raise typer.BadParameter("confidential: only officers named in "
                                         "HANYA_IDEA_SENSITIVE_OFFICERS may read it")
            text = runtime.vault.decrypt(found.text_enc)
            # Every reading of confidential text is audited, as on the dashboard.
            auth.audit(session, auth.terminal_actor(), "sensitive.view_text",
                       object_type="sensitive", object_id=found.reference, detail=officer)
        else:
            assert isinstance(found, Idea)
            text = runtime.vault.decrypt(found.text_enc)
        console.print(f"{found.reference} [{found.status}] signed={found.signed} "
                      f"{found.created_at:%Y-%m-%d}", markup=False)
        console.print(text, markup=False, highlight=False)


# --- a standalone sender ----------------------------------------------------------------------

@outbox_app.command("run")
def outbox_run(seconds: Annotated[float | None, typer.Option(help="stop after this long")]
               = None) -> None:
    """Deliver the outbox from this process (beside or instead of the web process's sender)."""
    from bot.core.outbox import Sender

    with _runtime() as runtime:
        channels = senders(runtime.settings)

        async def main() -> None:
            for channel in channels.values():
                if hasattr(channel, "start"):
                    await channel.start()
            sender = Sender.from_settings(runtime.store, runtime.vault, channels, runtime.settings)
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGTERM, sender.stop)
            if seconds is not None:
                loop.call_later(seconds, sender.stop)
            try:
                await sender.run(idle=0.2)
            finally:
                for channel in channels.values():
                    if hasattr(channel, "stop"):
                        await channel.stop()

        asyncio.run(main())


@intake_app.command("run")
def intake_run(seconds: Annotated[float | None, typer.Option(help="stop after this long")]
               = None) -> None:
    """Handle received messages from this process (web processes started with
    HANYA_RUN_INTAKE=false only accept them), watching the content as they do."""
    from bot.app.intake_process import handle_until_stopped

    with _runtime() as runtime:
        asyncio.run(handle_until_stopped(runtime, seconds=seconds))

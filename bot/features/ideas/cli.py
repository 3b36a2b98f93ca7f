"""``hanya idea ...``: the SP/CCM's side of the idea box at the terminal, audited as on the
dashboard. The running pieces, the terminal and the audit log's writer come from the app
(``bot/core/command_line.py``).

Examples::

    hanya idea status I-2026-00042 discussed --answer "Réunion GTM prévue le 12 à Arlit"
    hanya idea list --status received --since 2026-11-01
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from bot.core.audit import terminal_actor
from bot.core.command_line import CommandLine
from bot.features.ideas.actions import (
    count_confidential,
    list_submissions,
    reachable_submitter,
    set_status,
)
from bot.features.ideas.models import STATUSES, Idea, SensitiveFeedback, find_submission

app = typer.Typer(help="The idea box: answer and read submissions.", no_args_is_help=True)


@app.command("status")
def idea_status(
    ctx: typer.Context,
    reference: str,
    status: Annotated[str, typer.Argument(help=", ".join(STATUSES))],
    answer: Annotated[str | None, typer.Option(help="a short answer for the submitter")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="record an answer nobody will receive "
                                      "(an anonymous idea) without asking")] = False,
) -> None:
    """Set an idea's status; a signed submitter is told in their language on their channel."""
    line = CommandLine.of(ctx.obj)
    with line.running() as runtime:
        if answer:
            with runtime.store.session() as session:
                found = find_submission(session, reference)
                unheard = (None if found is None or reachable_submitter(session, found)
                           else _why_unheard(found))
            if unheard and not _confirm_unheard(line.console, reference, unheard, yes):
                raise typer.Exit(1)
        try:
            with runtime.store.session() as session:
                found = set_status(session, runtime.vault, runtime.content.current,
                                   runtime.inbox.traits, reference, status, answer)
                told = reachable_submitter(session, found) is not None
                line.audit(session, terminal_actor(), "idea.status", object_type="idea",
                           object_id=found.reference, detail=status)
        except (ValueError, LookupError) as exc:
            raise typer.BadParameter(str(exc)) from exc
        line.console.print(f"{reference.upper()}: {status}"
                           + (" (submitter told)" if told else ""))


def _why_unheard(found: Idea | SensitiveFeedback) -> str:
    if not found.signed:
        return "is anonymous"
    return "has no submitter to tell (they erased their data or said STOP)"


def _confirm_unheard(console: Console, reference: str, why: str, yes: bool) -> bool:
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


@app.command("list")
def idea_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help=", ".join(STATUSES))] = None,
    since: Annotated[str | None, typer.Option(help="from this day (YYYY-MM-DD, Niamey)")] = None,
    until: Annotated[str | None, typer.Option(help="to this day, included")] = None,
    officer: Annotated[str | None, typer.Option(help="your name, to list confidential "
                                                "feedback too")] = None,
    limit: int = 100,
) -> None:
    """List submissions, newest first: reference, date, status, theme; no text and no person
    (`hanya idea show REF` reads one). Confidential feedback only for a named officer."""
    line = CommandLine.of(ctx.obj)
    with line.running() as runtime:
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
                    line.audit(session, terminal_actor(), "sensitive.list",
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
    line.console.print(table)
    if hidden:
        line.console.print(f"{hidden} confidential submission(s) not listed: --officer NAME, "
                           "for officers named in HANYA_IDEA_SENSITIVE_OFFICERS", highlight=False)


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a day: write it YYYY-MM-DD") from None


@app.command("show")
def idea_show(ctx: typer.Context, reference: str,
              officer: Annotated[str | None, typer.Option(help="your name, for confidential "
                                                           "feedback")] = None) -> None:
    """Show one submission; confidential feedback only to a named officer."""
    line = CommandLine.of(ctx.obj)
    with line.running() as runtime, runtime.store.session() as session:
        found = find_submission(session, reference)
        if found is None:
            raise typer.BadParameter(f"no idea {reference}")
        if isinstance(found, SensitiveFeedback):
            if officer not in runtime.settings.idea_sensitive_officers:
                raise typer.BadParameter("confidential: only officers named in "
                                         "HANYA_IDEA_SENSITIVE_OFFICERS may read it")
            text = runtime.vault.decrypt(found.text_enc)
            # Every reading of confidential text is audited, as on the dashboard.
            line.audit(session, terminal_actor(), "sensitive.view_text",
                       object_type="sensitive", object_id=found.reference, detail=officer)
        else:
            assert isinstance(found, Idea)
            text = runtime.vault.decrypt(found.text_enc)
        line.console.print(f"{found.reference} [{found.status}] signed={found.signed} "
                           f"{found.created_at:%Y-%m-%d}", markup=False)
        line.console.print(text, markup=False, highlight=False)

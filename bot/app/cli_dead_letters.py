"""``hanya dead-letters list|show|replay|drop``: inbound messages that failed for good.

Examples::

    hanya dead-letters list
    hanya dead-letters show 12
    hanya dead-letters replay 12 13     # once the bug that failed them is fixed
    hanya dead-letters drop 14

Only metadata is printed (channel, times, error type, kind, size): never an address or a text,
which stay encrypted in the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.core import dead_letters
from bot.core.crypto import Vault, vault_from_settings
from bot.core.settings import get_settings
from bot.core.store import Store

app = typer.Typer(help="Inbound messages that failed for good: list, replay, drop.",
                  no_args_is_help=True)
console = Console()
Ids = Annotated[list[int] | None, typer.Argument(help="dead-letter numbers (see list)")]
All = Annotated[bool, typer.Option("--all", help="every dead letter")]


@contextmanager
def _store() -> Iterator[tuple[Store, Vault]]:
    settings = get_settings()
    store = Store(settings.database_url)
    try:
        yield store, vault_from_settings(settings)
    finally:
        store.dispose()


def _parsers() -> dead_letters.Parsers:
    from webhooks import telegram, twilio_sms

    return {telegram.CHANNEL: lambda data: telegram.parse_update(data)[0],
            twilio_sms.CHANNEL: twilio_sms.parse_sms}


def _chosen(store: Store, ids: list[int] | None, every: bool) -> list[int]:
    if every == bool(ids):
        raise typer.BadParameter("give dead-letter numbers, or --all")
    if ids:
        return ids
    with store.session() as session:
        return dead_letters.ids(session)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "unreadable"


@app.command("list")
def list_letters() -> None:
    """Every dead letter, oldest first, by its metadata."""
    with _store() as (store, vault), store.session() as session:
        found = dead_letters.letters(session, vault, _parsers())
    if not found:
        console.print("No dead letters.")
        return
    table = Table("#", "channel", "received", "dead-lettered", "error", "kind", "characters")
    for letter in found:
        table.add_row(str(letter.id), letter.channel, _when(letter.received_at),
                      _when(letter.dead_at), letter.error, letter.kind or "?",
                      "?" if letter.characters is None else str(letter.characters))
    console.print(table)
    console.print(f"{len(found)} dead letter(s): `hanya dead-letters replay N` puts one back "
                  "into the intake, `drop N` deletes it.")


@app.command("show")
def show(letter_id: Annotated[int, typer.Argument(help="its number (see list)")]) -> None:
    """One dead letter's metadata (its address and text stay encrypted)."""
    with _store() as (store, vault), store.session() as session:
        found = dead_letters.letters(session, vault, _parsers(), [letter_id])
    if not found:
        raise typer.BadParameter(f"no dead letter {letter_id}")
    letter = found[0]
    for name, value in (("number", letter.id), ("channel", letter.channel),
                        ("provider id", letter.external_id),
                        ("received", _when(letter.received_at)),
                        ("dead-lettered", _when(letter.dead_at)), ("error", letter.error),
                        ("kind", letter.kind or "unreadable with the configured keys"),
                        ("characters", "?" if letter.characters is None
                         else letter.characters)):
        console.print(f"{name}: {value}")


@app.command("replay")
def replay(ids: Ids = None, every: All = False) -> None:
    """Put dead letters back into the intake, to be handled once (fix what failed them first)."""
    with _store() as (store, vault):
        results = dead_letters.replay(store, vault, _parsers(), _chosen(store, ids, every))
    for result in results:
        if not result.ok:
            console.print(f"[red]{result.id}: not replayed ({result.reason})[/red]")
    replayed = sum(result.ok for result in results)
    console.print(f"{replayed} dead letter(s) put back into the intake; the running service "
                  "handles them in a moment.")
    if replayed < len(results):
        raise typer.Exit(1)


@app.command("drop")
def drop(ids: Ids = None, every: All = False,
         yes: Annotated[bool, typer.Option("--yes", help="do not ask")] = False) -> None:
    """Delete dead letters for good."""
    with _store() as (store, _vault):
        chosen = _chosen(store, ids, every)
        if not yes and not typer.confirm(f"Delete {len(chosen)} dead letter(s) for good?"):
            raise typer.Exit(1)
        with store.session() as session:
            done = dead_letters.drop(session, chosen)
    console.print(f"{done} dead letter(s) deleted.")

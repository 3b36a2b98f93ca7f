"""Operator commands: key rotation, the retention purge, backups."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bot.app import backup as backups
from bot.app import doctor as checks
from bot.app.keys import rotate_all
from bot.app.retention import purge
from bot.core.crypto import vault_from_settings
from bot.core.models import utcnow
from bot.core.settings import get_settings
from bot.core.store import Store

keys_app = typer.Typer(help="Secret keys.", no_args_is_help=True)
retention_app = typer.Typer(help="Data retention.", no_args_is_help=True)
console = Console()


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-key every address under HANYA_SECRET_KEY; HANYA_OLD_SECRET_KEYS must hold the old key.

    Then remove the old key from HANYA_OLD_SECRET_KEYS.
    """
    settings = get_settings()
    if not settings.old_secret_keys:
        raise typer.BadParameter("set HANYA_OLD_SECRET_KEYS to the key being replaced")
    store = Store(settings.database_url)
    with store.session() as session:
        done = rotate_all(session, vault_from_settings(settings))
    store.dispose()
    columns = ", ".join(f"{name} {count}" for name, count in done.columns.items())
    console.print(f"re-keyed {done.contacts} contacts, {done.recipients} recipients; "
                  f"re-encrypted {columns}; you can now remove the old key")


@retention_app.command("purge")
def retention_purge(days: int | None = None) -> None:
    """Forget what is older than the retention period (HANYA_RETENTION_DAYS, default 90)."""
    settings = get_settings()
    store = Store(settings.database_url)
    with store.session() as session:
        done = purge(session, utcnow(), days or settings.retention_days)
    store.dispose()
    console.print(f"erased {done.contacts} inactive contacts, unlinked "
                  f"{done.inbound_unlinked} message rows, deleted {done.outbox_deleted} sent "
                  f"messages and {done.dead_letters} dead letters")


def backup(
    to: Annotated[Path | None, typer.Option(help="folder (default HANYA_BACKUP_DIR)")] = None,
    keep: Annotated[int | None, typer.Option(help="backups kept (default HANYA_BACKUP_KEEP)")]
    = None,
) -> None:
    """Back up the whole store (SQLite online backup, PostgreSQL pg_dump) and prune old ones.

    A backup is useless without HANYA_SECRET_KEY: keep the key too, somewhere else.
    """
    settings = get_settings()
    folder = to or settings.backup_dir
    try:
        done = backups.take(settings.database_url, folder)
    except backups.BackupError as error:
        console.print(f"[red]backup failed: {error}[/red]")
        raise typer.Exit(1) from None
    pruned = backups.prune(folder, keep or settings.backup_keep)
    console.print(f"wrote {done.path} ({done.size:,} bytes); removed {len(pruned)} older")


def restore(
    path: Annotated[Path, typer.Argument(help="a file written by `hanya backup`")],
    yes: Annotated[bool, typer.Option("--yes", help="do not ask")] = False,
) -> None:
    """Replace the whole store by a backup. Stop the service first."""
    settings = get_settings()
    if not yes:
        typer.confirm(f"Replace everything in the store by {path.name}?", abort=True)
    try:
        backups.restore(settings.database_url, path)
    except backups.BackupError as error:
        console.print(f"[red]restore failed: {error}[/red]")
        raise typer.Exit(1) from None
    console.print(f"restored {path.name}; start the service with the same HANYA_SECRET_KEY")


def doctor(
    offline: Annotated[bool, typer.Option("--offline", help="do not ask the providers")] = False,
) -> None:
    """Is this a safe production set-up? A line each, with its fix; exit 1 on any error."""
    findings = checks.diagnose(get_settings(), network=not offline)
    colour = {"ok": "green", "warning": "yellow", "error": "red"}
    for finding in findings:
        console.print(f"[{colour[finding.level]}]{finding.level:<7}[/] {finding.check}: "
                      f"{finding.message()}", highlight=False, soft_wrap=True)
    errors = sum(f.level == "error" for f in findings)
    console.print(f"{errors} error(s), {sum(f.level == 'warning' for f in findings)} warning(s)")
    if errors:
        raise typer.Exit(1)

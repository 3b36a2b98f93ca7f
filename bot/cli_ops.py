"""Operator commands: key rotation and the retention purge."""

from __future__ import annotations

import typer
from rich.console import Console

from bot.crypto import vault_from_settings
from bot.keys import rotate_all
from bot.models import utcnow
from bot.retention import purge
from bot.settings import get_settings
from bot.store import Store

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
    console.print(f"re-keyed {done.contacts} contacts, {done.recipients} recipients, "
                  f"{done.outbox} queued messages, {done.intake} received messages not yet "
                  f"handled, {done.dead_letters} dead letters; "
                  "you can now remove the old key")


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

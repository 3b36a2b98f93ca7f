"""The ``hanya`` command: serve, migrate, talk to the bot in a terminal, set the webhook."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError
from rich.console import Console

from bot.app.cli_committee import app as committee_app
from bot.app.cli_content import content_app
from bot.app.cli_dead_letters import app as dead_letters_app
from bot.app.cli_digest import digest_app, idea_app, intake_app, outbox_app
from bot.app.cli_ops import backup, doctor, keys_app, restore, retention_app
from bot.app.doctor import preflight
from bot.core import channel_registry
from bot.core.chat_session import ChatSession
from bot.core.logs import configure as configure_logging
from bot.core.migrate import upgrade
from bot.core.settings import Settings, get_settings, settings_problems
from bot.core.store import Store
from bot.features.dashboard.cli import app as users_app

app = typer.Typer(help="Hanya: safe-migration information and watch-committee reports.",
                  no_args_is_help=True)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
telegram_app = typer.Typer(help="Telegram set-up.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(telegram_app, name="telegram")
app.add_typer(content_app, name="content")
app.add_typer(committee_app, name="committee")
app.add_typer(users_app, name="user")
app.add_typer(digest_app, name="digest")
app.add_typer(idea_app, name="idea")
app.add_typer(outbox_app, name="outbox")
app.add_typer(intake_app, name="intake")
app.add_typer(dead_letters_app, name="dead-letters")
app.add_typer(keys_app, name="keys")
app.add_typer(retention_app, name="retention")
app.command()(backup)
app.command()(restore)
app.command()(doctor)
console = Console()


@app.callback()
def _settings_first() -> None:
    """Read the settings before any command: a wrong one is a line naming it, not a traceback."""
    try:
        get_settings()
    except (ValidationError, SettingsError) as exc:
        for line in settings_problems(exc):
            console.print(f"[red]{line}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database named by HANYA_DATABASE_URL."""
    settings = get_settings()
    store = Store(settings.database_url)
    upgrade(store)
    store.dispose()
    console.print("[green]database is up to date[/green]")


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, migrate: bool = True) -> None:
    """Migrate, then serve the webhooks and health checks (after `hanya doctor`'s checks when
    HANYA_PRODUCTION is true: an unsafe set-up does not start)."""
    import uvicorn

    from webhooks.app import create_app

    settings = get_settings()
    configure_logging(json_lines=settings.log_format == "json")
    if migrate:
        store = Store(settings.database_url)
        upgrade(store)
        store.dispose()
    if settings.production:
        blocking = preflight(settings, console.print)
        if blocking:
            console.print(f"[red]not starting: {len(blocking)} finding(s) above make this set-up "
                          "unsafe (HANYA_PRODUCTION=true); fix them, then start again[/red]")
            raise typer.Exit(1)
    if settings.telegram_token is None and settings.twilio_auth_token is None:
        console.print("[yellow]No provider credentials: webhooks answer, nothing is sent. "
                      "Try `hanya chat` to talk to the bot.[/yellow]")
    # In JSON, uvicorn's own loggers (access log included) go through ours, not its config.
    log_config = None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info",
                log_config=log_config)


@app.command()
def chat(
    channel: Annotated[str, typer.Option(help="sms, telegram or android-sms")] = "sms",
    lang: Annotated[str | None, typer.Option(help="start in this language (code)")] = None,
    store: Annotated[bool, typer.Option(
        "--store", help="talk to the configured store (HANYA_DATABASE_URL): JOIN with a code "
        "from `hanya committee invite`, see alerts, idea answers and digests")] = False,
) -> None:
    """Talk to the bot in a terminal, rendered as CHANNEL would show it.

    Type a number to pick an option; type `@lat,lon` to share a location (telegram).
    The conversation is kept in a throw-away database, or with --store in the configured one.
    Nothing leaves the machine: every send waiting in the outbox (replies, alerts, idea answers,
    digests) is shown here and marked as sent to the terminal, never delivered. An empty line
    shows what other commands queued meanwhile.
    """
    from bot.app.runtime import build_runtime
    from webhooks.channels import channel_traits, senders

    names = [installed.name for installed in channel_registry.installed()]
    if channel not in names:
        raise typer.BadParameter(f"channel must be one of: {', '.join(names)}")
    settings = get_settings().model_copy(update={"run_sender": False})
    if store and settings.production:
        # Every pending send would be shown here instead of reaching the people waiting for it.
        console.print("[red]`hanya chat --store` takes every send waiting in the outbox: not on "
                      "a production store (HANYA_PRODUCTION=true). Use a copy: "
                      "HANYA_PRODUCTION=false HANYA_DATABASE_URL=sqlite:///var/try.db[/red]",
                      highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    with tempfile.TemporaryDirectory() as tmp:
        if not store:
            settings = settings.model_copy(update={
                "database_url": f"sqlite:///{Path(tmp) / 'chat.db'}"})
        elif configured := sorted(senders(settings)):
            console.print(f"[yellow]Provider credentials are set ({', '.join(configured)}): this "
                          "terminal sends nothing, but a `hanya serve` or `hanya outbox run` on "
                          "the same store may deliver a send before it is shown here.[/yellow]",
                          highlight=False, soft_wrap=True)
        runtime = build_runtime(settings, channel_traits(settings))
        upgrade(runtime.store)
        session = ChatSession(runtime, channel, show_all=True)
        session.show_others()  # what was waiting already
        if lang:
            session.send("hello")
            session.send(_language_number(runtime, lang))
        console.print("[dim]Ctrl-D to quit" + (
            "; an empty line shows what other commands queued." if store else ".") + "[/dim]")
        while True:
            try:
                text = console.input("[bold cyan]you>[/bold cyan] ")
            except (EOFError, KeyboardInterrupt):
                break
            if store and not text.strip():
                session.show_others()
                continue
            session.send(text)
        runtime.store.dispose()


def _language_number(runtime: object, code: str) -> str:
    codes = list(runtime.content.current.languages)  # type: ignore[attr-defined]
    if code not in codes:
        raise typer.BadParameter(f"unknown language {code}; known: {', '.join(codes)}")
    return str(codes.index(code) + 1)


@telegram_app.command("set-webhook")
def set_webhook() -> None:
    """Register HANYA_PUBLIC_URL/webhooks/telegram with Telegram, with the secret token."""
    from webhooks.channels import telegram_sender

    settings: Settings = get_settings()
    sender = telegram_sender(settings)
    if sender is None:
        raise typer.BadParameter("set HANYA_TELEGRAM_TOKEN first")
    if settings.telegram_webhook_secret is None:
        # The webhook refuses every update without it (webhooks/telegram.py): fail closed.
        raise typer.BadParameter("set HANYA_TELEGRAM_WEBHOOK_SECRET first")
    secret = settings.telegram_webhook_secret.get_secret_value()
    url = f"{settings.public_url}/webhooks/telegram"

    async def register() -> bool:
        await sender.start()
        try:
            return await sender.set_webhook(url, secret)
        finally:
            await sender.stop()

    ok = asyncio.run(register())
    console.print(f"webhook {'set' if ok else 'NOT set'}: {url}")

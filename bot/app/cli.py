"""The ``hanya`` command: serve, migrate, talk to the bot in a terminal, set the webhook."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any, NamedTuple

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError
from rich.console import Console
from typer.core import TyperCommand, TyperGroup

from bot.core.errors import StoreUnavailable
from bot.core.logs import configure as configure_logging
from bot.core.settings import Settings, get_settings, settings_problems

# Each command group lives in its own module, imported only when one of its commands runs:
# `hanya --help` lists them from this table without loading SQLAlchemy's ORM, Alembic,
# argon2 or the content (issue #23: a command's start). The help texts here are the groups'
# own (tests/test_cli_start.py compares them).


def _cli_content() -> ModuleType:
    from bot.app import cli_content
    return cli_content


def _cli_committee() -> ModuleType:
    from bot.app import cli_committee
    return cli_committee


def _cli_users() -> ModuleType:
    from bot.features.dashboard import cli
    return cli


def _cli_digests() -> ModuleType:
    from bot.features.digests import cli
    return cli


def _cli_ideas() -> ModuleType:
    from bot.features.ideas import cli
    return cli


def _cli_digest() -> ModuleType:
    from bot.app import cli_digest
    return cli_digest


def _command_line() -> object:
    """What a feature's commands run on (``bot.core.command_line.CommandLine``: a runtime, the
    terminal, the audit log's writer), handed to them untouched."""
    from bot.app import cli_digest
    return cli_digest.COMMAND_LINE


def _cli_dead_letters() -> ModuleType:
    from bot.app import cli_dead_letters
    return cli_dead_letters


def _cli_ops() -> ModuleType:
    from bot.app import cli_ops
    return cli_ops


class Group(NamedTuple):
    """A command group (or command) of ``hanya``, imported when one of its commands runs."""

    load: Callable[[], ModuleType]
    attribute: str
    help: str
    # A feature's group: its commands get the app's ``CommandLine`` as click's ``ctx.obj``.
    wired: bool = False


LAZY: dict[str, Group] = {
    "content": Group(_cli_content, "content_app",
                     "Content editors' tools: check, coverage, review dates."),
    "committee": Group(_cli_committee, "app",
                       "Watch committees: create, invite, members, revoke."),
    "user": Group(_cli_users, "app",
                  "Dashboard accounts (identifier + access code) and API tokens."),
    "digest": Group(_cli_digests, "app", "Digests to the SP/CCM: recipients, run now, schedule.",
                    wired=True),
    "idea": Group(_cli_ideas, "app", "The idea box: answer and read submissions.", wired=True),
    "outbox": Group(_cli_digest, "outbox_app", "The outbound queue."),
    "intake": Group(_cli_digest, "intake_app", "Received messages waiting to be handled."),
    "dead-letters": Group(_cli_dead_letters, "app",
                          "Inbound messages that failed for good: list, replay, drop."),
    "keys": Group(_cli_ops, "keys_app", "Secret keys."),
    "retention": Group(_cli_ops, "retention_app", "Data retention."),
    "backup": Group(_cli_ops, "backup",
                    "Back up the whole store (SQLite online backup, PostgreSQL pg_dump) and prune "
                    "old ones."),
    "restore": Group(_cli_ops, "restore",
                     "Replace the whole store by a backup. Stop the service first."),
    "doctor": Group(_cli_ops, "doctor",
                    "Is this a safe production set-up? A line each, with its fix; exit 1 on any "
                    "error."),
}


def lazy_command(name: str) -> Any:
    """The click command of a group or command in LAZY, importing its module; built as
    `app.add_typer` / `app.command` would have built it under the root."""
    entry = LAZY[name]
    found: Any = getattr(entry.load(), entry.attribute)
    wrapper = typer.Typer()
    wrapper.callback()(lambda: None)  # a group, so its members are built as members
    if isinstance(found, typer.Typer):
        obj = {"obj": _command_line()} if entry.wired else None
        wrapper.add_typer(found, name=name, context_settings=obj)
    else:
        wrapper.command(name)(found)
    group: Any = typer.main.get_command(wrapper)
    return group.commands[name]


class _LazyGroup(TyperGroup):
    """The root group: LAZY's entries are listed by name and help, and loaded when run."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        names = [*super().list_commands(ctx), *(n for n in LAZY if n not in self.commands)]
        return sorted(names, key=lambda n: _ORDER.index(n) if n in _ORDER else len(_ORDER))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in LAZY:
            return super().get_command(ctx, cmd_name)
        if self._listing:  # the help's list: a name and a line, nothing imported
            return TyperCommand(cmd_name, help=LAZY[cmd_name].help)
        return lazy_command(cmd_name)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except StoreUnavailable:  # a line that says the fix, not a traceback
            console.print("[red]the database named by HANYA_DATABASE_URL cannot be reached or "
                          "is not set up: check that it runs, then `hanya db upgrade`[/red]",
                          highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


_ORDER = ["serve", "chat", "db", "telegram", "channels", "content", "committee", "user", "digest",
          "idea", "outbox", "intake", "dead-letters", "keys", "retention", "backup", "restore",
          "doctor"]

app = typer.Typer(help="Hanya: safe-migration information and watch-committee reports.",
                  no_args_is_help=True, cls=_LazyGroup)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
telegram_app = typer.Typer(help="Telegram set-up.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(telegram_app, name="telegram")
channels_app = typer.Typer(help="The channels set up (Telegram, SMS, WhatsApp, gateway phones).",
                           no_args_is_help=True)
app.add_typer(channels_app, name="channels")
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
    from bot.core.migrate import upgrade
    from bot.core.store import Store

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

    from bot.app.doctor import preflight
    from bot.core.migrate import upgrade
    from bot.core.store import Store
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
    channel: Annotated[str, typer.Option(help="sms, telegram, whatsapp or android-sms")] = "sms",
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
    from bot.core import channel_registry
    from bot.core.chat_session import ChatSession
    from bot.core.migrate import upgrade
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
    import asyncio

    from webhooks.telegram import sender_from as telegram_sender

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


@channels_app.command("check")
def channels_check(
    timeout: Annotated[float, typer.Option(help="seconds to wait for each provider")] = 5.0,
) -> None:
    """Each channel: set up, reachable and set up as Hanya expects? A line each; exit 1 on a
    problem (docs/CHANNELS.md)."""
    from bot.app.channels_check import check  # deferred: the CLI's start-up time

    findings = check(get_settings(), timeout=timeout)
    colour = {"ok": "green", "warning": "yellow", "error": "red"}
    for finding in findings:
        console.print(f"[{colour[finding.level]}]{finding.level:<7}[/] {finding.check}: "
                      f"{finding.message()}", highlight=False, soft_wrap=True)
    if any(finding.level == "error" for finding in findings):
        raise typer.Exit(1)

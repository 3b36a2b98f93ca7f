"""The running Hanya that the features' commands run on, and the wiring's own two commands.

``hanya digest`` and ``hanya idea`` live in their features (``bot/features/digests/cli.py``,
``bot/features/ideas/cli.py``); they get the ``COMMAND_LINE`` below as click's context object
(``bot/app/cli.py``): a runtime built from the settings with the installed channels' traits,
the terminal, and the dashboard's audit log writer, none of which a feature may import.
``hanya outbox run`` and ``hanya intake run`` drive the core with the channels' senders and the
handling process, so they stay here. (The module keeps the name it had when it also held the
digest and idea commands.)
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console

from bot.app.runtime import Runtime, build_runtime
from bot.core.command_line import CommandLine
from bot.core.outbox import Sender
from bot.core.settings import get_settings
from bot.features.dashboard import auth
from webhooks.channels import channel_traits, senders

outbox_app = typer.Typer(help="The outbound queue.", no_args_is_help=True)
intake_app = typer.Typer(help="Received messages waiting to be handled.", no_args_is_help=True)
console = Console()


@contextmanager
def running() -> Iterator[Runtime]:
    """The service's pieces for one command; its database connections closed after."""
    settings = get_settings()
    runtime = build_runtime(settings, channel_traits(settings))
    try:
        yield runtime
    finally:
        runtime.store.dispose()


COMMAND_LINE = CommandLine(running, console, auth.audit)


# --- a standalone sender ----------------------------------------------------------------------

@outbox_app.command("run")
def outbox_run(seconds: Annotated[float | None, typer.Option(help="stop after this long")]
               = None) -> None:
    """Deliver the outbox from this process (beside or instead of the web process's sender)."""
    with running() as runtime:
        channels = senders(runtime.settings)

        async def main() -> None:
            for channel in channels.values():
                if hasattr(channel, "start"):
                    await channel.start()
                if hasattr(channel, "attach"):  # WhatsApp: each person's window, recordings
                    channel.attach(runtime)
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
    from bot.app.intake_process import handle_until_stopped  # FastAPI: this command only

    with running() as runtime:
        asyncio.run(handle_until_stopped(runtime, seconds=seconds))

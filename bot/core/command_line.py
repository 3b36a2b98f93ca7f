"""What a feature's ``hanya`` commands run on.

A feature package holds its own commands (``bot/features/<name>/cli.py``), but building a
running Hanya takes the conversations and the channels, which only the app knows
(``bot/app/``). So the app hands each such command group a ``CommandLine`` as click's context
object (``bot/app/cli.py``, ``lazy_command``), and a command reads it with
``CommandLine.of(ctx.obj)``: the running pieces, the terminal and the audit log's writer.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from rich.console import Console

from bot.core.audit import Audit
from bot.core.content import Content
from bot.core.crypto import Vault
from bot.core.inbox import Inbox
from bot.core.settings import Settings
from bot.core.store import Store


class ContentSource(Protocol):
    """The content being served and why the last change was refused (``bot.app.runtime``)."""

    @property
    def current(self) -> Content: ...
    @property
    def last_error(self) -> str | None: ...


class Running(Protocol):
    """The pieces of a running Hanya that a feature's command or the digest scheduler uses
    (``bot.app.runtime.Runtime`` has them)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def store(self) -> Store: ...
    @property
    def vault(self) -> Vault: ...
    @property
    def content(self) -> ContentSource: ...
    @property
    def inbox(self) -> Inbox: ...  # its ``traits``: what each installed channel can show


@dataclass(frozen=True)
class CommandLine:
    """Handed by the app to a feature's command group (click's ``ctx.obj``)."""

    running: Callable[[], AbstractContextManager[Running]]  # built per command, closed after
    console: Console
    audit: Audit

    @classmethod
    def of(cls, obj: object) -> CommandLine:
        """The command line a command was run with; only ``hanya`` (bot/app/cli.py) gives one."""
        if not isinstance(obj, cls):
            raise RuntimeError("a feature's command runs through `hanya` (bot/app/cli.py)")
        return obj

"""Audited actions: who did what to which object, in the caller's transaction.

The dashboard feature owns the audit log (``dashboard_audit``, read on its admin pages) and
writes it (``bot.features.dashboard.auth.audit``). A feature the dashboard itself reads, such as
the idea box (the dashboard counts ideas), cannot import that writer back without an import
circle: it is handed an ``Audit`` instead, by the app (``bot/core/command_line.py`` for the
``hanya`` commands).
"""

from __future__ import annotations

import getpass
from typing import Protocol

from sqlalchemy.orm import Session


class Audit(Protocol):
    """Record ``action`` by ``actor`` (a name: ``cli:<login>`` at the terminal)."""

    def __call__(self, session: Session, actor: str, action: str, /, *,
                 object_type: str | None = None, object_id: str | int | None = None,
                 detail: str | None = None) -> None: ...


def terminal_actor() -> str:
    """Who acts at the terminal (``hanya`` commands), as the audit log names them."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name (a container's anonymous uid)
        return "cli"

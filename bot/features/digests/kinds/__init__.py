"""The digest kinds: each is one module of this package that registers itself.

A kind says its name (also the recipients' subscription that receives it), its schedule (a
cron line, usually from settings), how many days its period covers, its title, and what it
adds to the common sections when built (``extend``). The scheduler, ``hanya digest``, the
recipients' subscriptions and the renderer ask this registry; nothing else names a kind.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.core import recipients
from bot.core.content import Content
from bot.core.i18n import Translator
from bot.core.settings import Settings
from bot.features.digests.data import Digest


@dataclass(frozen=True)
class DigestKind:
    name: str  # stored in digest_runs and in recipients' subscriptions: short, lower case
    days: int  # the period: the ``days`` days before the day it is sent
    cron: Callable[[Settings], str]  # when it goes out (Africa/Niamey)
    title: Callable[[Translator, date, date], str]  # its first line, from the period's days
    # What it adds to the common sections (urgent, reports, silent committees, ideas).
    extend: Callable[[Digest, Session, Content, ZoneInfo], None] | None = None


_KINDS: dict[str, DigestKind] = {}
_loaded = False


def register(kind: DigestKind) -> DigestKind:
    """Install ``kind`` (again: the same name replaces it) and its subscription."""
    _KINDS[kind.name] = kind
    recipients.add_subscription(kind.name)
    return kind


def load() -> None:
    """Import every module of this package once (each registers its kind)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for found in sorted(pkgutil.iter_modules(__path__), key=lambda module: module.name):
        importlib.import_module(f"{__name__}.{found.name}")


def reload() -> None:
    """Look at the package again (a module added to it; tests)."""
    global _loaded
    _loaded = False
    load()


def kinds() -> list[DigestKind]:
    load()
    return list(_KINDS.values())


def names() -> tuple[str, ...]:
    return tuple(kind.name for kind in kinds())


def get(name: str) -> DigestKind:
    """The kind called ``name``; KeyError when no module registered it."""
    load()
    return _KINDS[name]

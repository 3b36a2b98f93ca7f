"""The conversations Hanya runs, wired into one engine.

Every module of the ``handlers`` package is read: its ``CONVERSATION`` (a table of steps) and
its ``COMMANDS`` (each with its keyword and chat command) are installed with no list to edit,
so a new conversation is one module here (plus its texts).
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import handlers
from bot.core.engine import Command, Conversation, Engine
from handlers import info_point


def handler_modules() -> list[ModuleType]:
    """Every module of the package (imported), in name order."""
    names = sorted(found.name for found in pkgutil.iter_modules(handlers.__path__)
                   if found.name != "registry")
    return [importlib.import_module(f"handlers.{name}") for name in names]


def conversations() -> dict[str, Conversation]:
    found: dict[str, Conversation] = {}
    for module in handler_modules():
        conversation = getattr(module, "CONVERSATION", None)
        if isinstance(conversation, Conversation):
            if conversation.name in found:
                raise ValueError(f"two conversations are called {conversation.name!r}")
            found[conversation.name] = conversation
    return found


def commands() -> dict[str, Command]:
    """Each declared command by its keyword (its content/keywords.yaml key)."""
    found: dict[str, Command] = {}
    for module in handler_modules():
        for command in getattr(module, "COMMANDS", ()):
            if not command.keyword or command.keyword in found:
                raise ValueError(f"{module.__name__}: a command needs its own keyword, "
                                 f"{command.keyword!r} is empty or taken")
            found[command.keyword] = command
    return found


def build_engine() -> Engine:
    return Engine(
        conversations(),
        home=info_point.place(info_point.Step.MENU),
        language=info_point.place(info_point.Step.CHOOSE_LANGUAGE),
        point=info_point.place(info_point.Step.CHOOSE_POINT),
        onboarding=info_point.place(info_point.Step.CHOOSE_LANGUAGE),
        commands=commands(),
    )

"""Figures from features built beside the dashboard (committees, ideas, digests).

Each is read only when its module is installed, so the dashboard runs before and after them.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from sqlalchemy.orm import Session


def installed(name: str) -> ModuleType | None:
    """The module ``name`` if it exists in this installation, else None."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        return None


def operations(session: Session) -> dict[str, Any]:
    """What the operations page adds when the digest and committee features exist."""
    return {}

"""Which translated topics are older than their French source.

Each translated topic in ``content/<lang>/topics.yaml`` carries ``source_hash``: a short hash
of the French fields it was translated from (only those it translates: a title-only
translation goes stale when the French title changes, not when the text does). When French
changes, the hash no longer matches and the translation is listed as stale until a translator
touches it and runs ``hanya content mark-translated <lang> <topic>``. Stale texts are served.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.core.errors import ContentError

__all__ = ["SOURCE", "TRANSLATED_FIELDS", "mark_translated", "source_hash", "staleness"]

SOURCE = "fr"
TRANSLATED_FIELDS = ("title", "text", "sms")


def translated_fields(entry: Mapping[str, Any]) -> list[str]:
    return [name for name in TRANSLATED_FIELDS if entry.get(name)]


def source_hash(source: Mapping[str, Any], fields: list[str]) -> str:
    """A short hash of the source's ``fields`` (whitespace at the ends ignored)."""
    digest = hashlib.sha256()
    for name in fields:
        digest.update(f"{name}\0{str(source.get(name) or '').strip()}\0".encode())
    return digest.hexdigest()[:12]


def staleness(source: Mapping[str, Any] | None, entry: Mapping[str, Any]) -> str | None:
    """``"unmarked"`` or ``"stale"`` for a translation that may not match its source, else None."""
    fields = translated_fields(entry)
    if source is None or not fields:
        return None
    recorded = entry.get("source_hash")
    if not recorded:
        return "unmarked"
    return None if str(recorded) == source_hash(source, fields) else "stale"


def mark_translated(content_dir: Path, language: str, key: str) -> str:
    """Record that ``language``'s ``key`` matches today's French; return the hash written.

    The file is edited as text (one line replaced or inserted) so that its comments, order and
    quoting stay as the editor wrote them.
    """
    if language == SOURCE:
        raise ContentError("French is the source: it has nothing to be marked against",
                           language=language)
    source = (yaml.safe_load((content_dir / SOURCE / "topics.yaml").read_text("utf-8"))
              or {}).get(key)
    path = content_dir / language / "topics.yaml"
    text = path.read_text("utf-8")
    entry = (yaml.safe_load(text) or {}).get(key)
    if not isinstance(source, Mapping):
        raise ContentError(f"topic {key!r} is not in the French source", file=str(path))
    if not isinstance(entry, Mapping) or not translated_fields(entry):
        raise ContentError(f"topic {key!r} has no translated title, text or sms",
                           file=str(path), language=language)
    value = source_hash(source, translated_fields(entry))
    path.write_text(_set_hash_line(text, key, value, path, language), encoding="utf-8")
    return value


def _set_hash_line(text: str, key: str, value: str, path: Path, language: str) -> str:
    root = yaml.compose(text)
    node = next((v for k, v in root.value if k.value == key), None) if root else None
    if not isinstance(node, yaml.MappingNode) or node.flow_style:
        raise ContentError(f"write topic {key!r} as an indented block to mark it",
                           file=str(path), language=language)
    keys = {k.value: k for k, _v in node.value}
    lines = text.splitlines(keepends=True)
    if "source_hash" in keys:  # replace the existing line
        line = keys["source_hash"].start_mark.line
        indent = keys["source_hash"].start_mark.column
        lines[line] = f'{" " * indent}source_hash: "{value}"\n'
    else:  # insert before status (or the first key): before a key is always a safe place
        anchor = keys.get("status") or node.value[0][0]
        lines.insert(anchor.start_mark.line,
                     f'{" " * anchor.start_mark.column}source_hash: "{value}"\n')
    return "".join(lines)

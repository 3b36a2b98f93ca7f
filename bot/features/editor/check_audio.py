"""The recordings' part of ``hanya content check`` (issue 24): ``content/<lang>/audio/``.

Errors (the check fails, a running service refuses the change): a file that is not OGG/Opus or
is broken, an MP3 or other sound file left unconverted, an entry without its file, who or when,
a recording of no topic. Warnings: longer than 90 seconds, stale (its text changed since: not
played until it is recorded again), a sound file no entry names. Info: how many per language.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from bot.core.audio import AUDIO_DIR, INDEX, LONG_SECONDS, MENU, probe, source_text, text_hash
from bot.core.errors import ContentError
from bot.features.editor.check_tree import Tree

__all__ = ["check_audio"]

SOUND_SUFFIXES = {".mp3", ".wav", ".m4a", ".aac", ".amr", ".opus", ".oga", ".ogg", ".flac",
                  ".wma", ".3gp", ".webm"}


def check_audio(tree: Tree) -> None:
    for code in tree.languages:
        folder = tree.content_dir / code / AUDIO_DIR
        if folder.is_dir():
            _check_folder(tree, code, folder)


def _check_folder(tree: Tree, code: str, folder: Path) -> None:
    index = folder / INDEX
    named: set[str] = set()
    entries: Any = (tree.section(index, "recordings", Mapping) if index.exists() else None) or {}
    chain = [code, *(tree.languages[code].fallback if code in tree.languages else ()), "fr"]
    for key, entry in entries.items():
        line = entries.line_of(key) if hasattr(entries, "line_of") else None
        if not isinstance(entry, Mapping) or not entry.get("file"):
            tree.add("error", index, line, f"recording {key!r} names no file", code)
            continue
        named.add(str(entry["file"]))
        _check_entry(tree, code, index, line, str(key), entry, chain)
    for path in sorted(folder.iterdir()):
        if path.name == INDEX or path.name.startswith(".") or path.name in named:
            continue
        if path.suffix.lower() in SOUND_SUFFIXES and path.suffix.lower() not in (".ogg",
                                                                                ".opus"):
            tree.add("error", path, None, f"{path.suffix} is not played as a voice note: convert "
                     f"it with: hanya content audio-import {code} <topic> {path.name} --by "
                     "\"Name, organisation\"", code)
        elif path.suffix.lower() in SOUND_SUFFIXES:
            tree.add("warning", path, None, f"no entry of {INDEX} names this file: it is never "
                     "played", code)
    if named:
        tree.add("info", index, None, f"{len(named)} recording(s) in {tree.name(code)}", code)


def _check_entry(tree: Tree, code: str, index: Path, line: int | None, key: str,
                 entry: Mapping[str, object], chain: list[str]) -> None:
    text = source_text(tree.topics, chain, tree.menu, key)
    if text is None:
        belongs = "a topic of menu.yaml with a text" if key != MENU else "menu titles"
        tree.add("error", index, line, f"recording {key!r} belongs to no text ({belongs}, or "
                 f"{MENU!r} for the main menu)", code)
        return
    if not entry.get("recorded_by") or not isinstance(entry.get("recorded_on"), date):
        tree.add("error", index, line, f"recording {key!r}: say who recorded it (recorded_by) "
                 "and when (recorded_on: YYYY-MM-DD)", code)
    path = index.parent / str(entry["file"])
    try:
        seconds = probe(path)
    except ContentError as exc:
        tree.add("error", path, None, f"recording {key!r}: {exc.problem}", code)
        return
    if seconds > LONG_SECONDS:
        tree.add("warning", path, None, f"recording {key!r} lasts {seconds:.0f} s: past "
                 f"{LONG_SECONDS:.0f} s many stop listening; say less, or split the topic", code)
    if str(entry.get("source_hash") or "") != text_hash(text):
        tree.add("warning", index, line, f"recording {key!r} was made from an older text: it is "
                 "not played until it is recorded again from today's text (hanya content "
                 "audio-import)", code)

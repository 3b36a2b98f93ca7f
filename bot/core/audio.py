"""Recorded answers (issue 24): a voice recording of a topic, or of the main menu, per language.

Editors keep them in ``content/<lang>/audio/``: OGG/Opus files (what Telegram and WhatsApp
play as a voice note) and ``recordings.yaml``, one entry per recording::

    recordings:
      emergency:                    # a topic key of menu.yaml, or "menu" (the main menu)
        file: emergency.ogg
        recorded_by: "Name, organisation"
        recorded_on: 2026-12-01
        source_hash: "3f1c0a9b2e7d"  # the text it was read from (hanya content audio-import)

``hanya content audio-import`` converts any sound file (MP3, WAV, M4A...) with ffmpeg and
writes the entry; an MP3 left in the folder is refused by the check with that advice. A
recording whose text changed since (``source_hash`` no longer matches) is *stale*: the check
lists it and it is not played (a recording that says an old number is worse than none).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import mutagen
from mutagen.oggopus import OggOpus

from bot.core.errors import ContentError

__all__ = ["AUDIO_DIR", "INDEX", "LONG_SECONDS", "MENU", "Recording", "file_digest",
           "load_recordings", "probe", "source_text", "text_hash"]

AUDIO_DIR = "audio"
INDEX = "recordings.yaml"
MENU = "menu"  # the key of the main menu's recording (sent for a voice note received)
LONG_SECONDS = 90.0  # past this the check warns: a person listens on a phone, often outdoors


@dataclass(frozen=True)
class Recording:
    key: str  # a topic key, or MENU
    language: str
    path: Path
    digest: str  # of the file's bytes: the provider's file id is kept under it
    seconds: float
    recorded_by: str
    recorded_on: date | None
    source_hash: str
    stale: bool  # the text changed since it was recorded: not played


def text_hash(text: str) -> str:
    """The version of a text a recording was read from (whitespace at the ends ignored)."""
    return hashlib.sha256(text.strip().encode()).hexdigest()[:12]


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:32]


def source_text(topics: Mapping[str, Mapping[str, Any]], chain: list[str], menu: list[str],
                key: str) -> str | None:
    """The text a recording of ``key`` reads: the topic's text as this language serves it
    (its own or its fallback's), or for the menu its titles in order; None if there is none."""
    def first(topic: str, name: str) -> str | None:
        for code in chain:
            value = ((topics.get(code) or {}).get(topic) or {}).get(name)
            if value:
                return str(value).strip()
        return None

    if key == MENU:
        titles = [first(topic, "title") for topic in menu]
        return "\n".join(t for t in titles if t) or None
    return first(key, "text") if key in menu else None


def probe(path: Path) -> float:
    """The duration in seconds of an OGG/Opus file; ContentError if it is not one (mutagen)."""
    if not path.is_file():
        raise ContentError("recording file is missing", file=str(path))
    try:
        audio = OggOpus(path)  # type: ignore[no-untyped-call]
    except mutagen.MutagenError as exc:
        raise ContentError(f"not an OGG/Opus recording ({exc}); convert it with "
                           "hanya content audio-import", file=str(path)) from exc
    info = getattr(audio, "info", None)
    seconds = float(info.length) if info is not None else 0.0
    if seconds <= 0:
        raise ContentError("recording has no sound (0 seconds)", file=str(path))
    return seconds


def load_recordings(content_dir: Path, languages: list[str],
                    read: Callable[[Path], Any],
                    text_for: Callable[[str, str], str | None]) -> dict[str, dict[str, Recording]]:
    """Every language's recordings; ContentError on the first broken one (file, key, metadata).

    ``read`` parses a YAML file (the content loader's, with line numbers in its errors);
    ``text_for(language, key)`` is the text the recording reads (see ``source_text``).
    """
    found: dict[str, dict[str, Recording]] = {}
    for code in languages:
        index = content_dir / code / AUDIO_DIR / INDEX
        if not index.exists():
            continue
        entries = (read(index) or {}).get("recordings") or {}
        if not isinstance(entries, Mapping):
            raise ContentError("recordings must be a mapping of keys to entries",
                               file=str(index), language=code)
        found[code] = {str(key): _recording(index, code, str(key), entry, text_for)
                       for key, entry in entries.items()}
    return found


def _recording(index: Path, code: str, key: str, entry: Any,
               text_for: Callable[[str, str], str | None]) -> Recording:
    def fail(problem: str) -> ContentError:
        return ContentError(f"recording {key!r}: {problem}", file=str(index), language=code)

    if not isinstance(entry, Mapping) or not entry.get("file"):
        raise fail("needs file, recorded_by, recorded_on and source_hash")
    path = index.parent / str(entry["file"])
    if path.parent != index.parent:
        raise fail("the file must be in this audio folder")
    text = text_for(code, key)
    if text is None:
        raise fail("belongs to no topic of menu.yaml with a text (nor is it 'menu')")
    recorded_on = entry.get("recorded_on")
    if not entry.get("recorded_by") or not isinstance(recorded_on, date):
        raise fail("say who recorded it (recorded_by) and when (recorded_on: YYYY-MM-DD)")
    source = str(entry.get("source_hash") or "")
    return Recording(key, code, path, file_digest(path) if path.is_file() else "",
                     probe(path), str(entry["recorded_by"]), recorded_on, source,
                     stale=source != text_hash(text))

"""``hanya content audio-import``: put a recording in ``content/<lang>/audio/`` (issue 24).

Any sound file ffmpeg reads (MP3, WAV, M4A, a WhatsApp voice note...) is converted to what
Telegram and WhatsApp play as a voice note: OGG/Opus, mono, 48 kHz, 32 kbit/s (about 240 kB a
minute). The entry in ``recordings.yaml`` records who recorded it, when, and the version of the
text it reads today (``source_hash``): an editor never types the hash. Conversion happens here,
once, on the editor's machine, so the service needs no ffmpeg and never converts at load time.
"""

from __future__ import annotations

import shutil
import subprocess  # noqa: S404 - ffmpeg, by its path, on the editor's file
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.core.audio import AUDIO_DIR, INDEX, MENU, probe, source_text, text_hash
from bot.core.errors import ContentError
from bot.core.i18n import parse_languages

__all__ = ["OPUS_ARGS", "convert", "import_recording"]

OPUS_ARGS = ["-vn", "-ac", "1", "-ar", "48000", "-c:a", "libopus", "-b:a", "32k",
             "-application", "voip"]


def convert(source: Path, target: Path) -> None:
    """``source`` (any format ffmpeg reads) as OGG/Opus at ``target``; ContentError if not."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise ContentError("ffmpeg is needed to convert recordings: apt-get install ffmpeg")
    if not source.is_file():
        raise ContentError("no such file", file=str(source))
    done = subprocess.run([ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-i", str(source),  # noqa: S603
                           *OPUS_ARGS, str(target)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        problem = (done.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise ContentError(f"ffmpeg could not convert it: {problem}", file=str(source))


def import_recording(content_dir: Path, language: str, key: str, source: Path, *,
                     recorded_by: str, recorded_on: date) -> tuple[Path, float]:
    """Convert ``source`` into ``content/<language>/audio/<key>.ogg`` and write its entry;
    returns the file and its duration. Nothing is written if anything fails."""
    entries = yaml.safe_load((content_dir / "languages.yaml").read_text("utf-8"))["languages"]
    languages = parse_languages(entries)
    if language not in languages:
        raise ContentError(f"{language!r} is not a language of languages.yaml")
    menu = list(yaml.safe_load((content_dir / "menu.yaml").read_text("utf-8"))["menu"])
    topics: dict[str, Any] = {}
    for code in languages:
        path = content_dir / code / "topics.yaml"
        if path.exists():
            topics[code] = yaml.safe_load(path.read_text("utf-8")) or {}
    chain = [language, *languages[language].fallback, "fr"]
    text = source_text(topics, chain, menu, key)
    if text is None:
        raise ContentError(f"{key!r} is neither a topic of menu.yaml with a text nor "
                           f"{MENU!r}", language=language)
    if not recorded_by.strip():
        raise ContentError("say who recorded it (--by \"Name, organisation\")")
    folder = content_dir / language / AUDIO_DIR
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{key}.ogg"
    with tempfile.TemporaryDirectory() as scratch:
        converted = Path(scratch) / "converted.ogg"
        convert(source, converted)
        seconds = probe(converted)
        shutil.copyfile(converted, target)
    index = folder / INDEX
    data = (yaml.safe_load(index.read_text("utf-8")) if index.exists() else None) or {}
    data.setdefault("recordings", {})[key] = {
        "file": target.name, "recorded_by": recorded_by.strip(), "recorded_on": recorded_on,
        "source_hash": text_hash(text)}
    index.write_text("# Written by hanya content audio-import (see content/README.md); "
                     "recorded_by may be corrected by hand.\n"
                     + yaml.safe_dump(data, allow_unicode=True, sort_keys=True), "utf-8")
    return target, seconds

"""Telegram's file ids of our recordings (webhooks/telegram.py, ``VoiceFileIds``), kept in
var/telegram_voice_ids.json, written by two processes at once (the web process's sender and
``hanya outbox run``): no id is lost, and a reader never sees half a file."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

from webhooks.telegram import VoiceFileIds

PER_WRITER = 100


def _write(path: str, writer: str, start: multiprocessing.synchronize.Barrier) -> None:
    ids = VoiceFileIds(Path(path), "123456")
    start.wait()  # both running, each with the file as it was before either wrote
    for n in range(PER_WRITER):
        ids.put(f"{writer}-{n:04d}", f"file-id-{writer}-{n}")


def _read(path: str, stop: multiprocessing.synchronize.Event, bad: multiprocessing.Value) -> None:
    while not stop.is_set():
        try:
            json.loads(Path(path).read_text("utf-8"))
        except FileNotFoundError:
            continue
        except ValueError:
            with bad.get_lock():
                bad.value += 1


def test_two_processes_writing_at_once_lose_no_id_and_never_leave_half_a_file(tmp_path):
    path = str(tmp_path / "telegram_voice_ids.json")
    context = multiprocessing.get_context("spawn")
    start, stop, bad = context.Barrier(2), context.Event(), context.Value("i", 0)
    writers = [context.Process(target=_write, args=(path, name, start)) for name in "ab"]
    reader = context.Process(target=_read, args=(path, stop, bad), daemon=True)
    for process in (*writers, reader):
        process.start()
    try:
        for process in writers:
            process.join(60)
            assert process.exitcode == 0  # the old code crashed here on a shared .tmp
    finally:
        stop.set()
        reader.join(10)
    kept = json.loads(Path(path).read_text("utf-8"))["123456"]
    assert len(kept) == 2 * PER_WRITER  # neither process overwrote the other's ids
    assert kept["b-0099"] == "file-id-b-99" and bad.value == 0
    # A process that started before sees the other's upload without a restart.
    late = VoiceFileIds(Path(path), "123456")
    VoiceFileIds(Path(path), "123456").put("c-0000", "file-id-c-0")
    assert late.get("c-0000") == "file-id-c-0"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "telegram_voice_ids.json", "telegram_voice_ids.lock"]  # no temporary file left

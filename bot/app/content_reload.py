"""Live reload: serve an editor's change to ``content/`` or ``locales/`` without a restart.

Every second or so the watcher compares the files' modification times and sizes (no
dependency, and it works the same on every filesystem, network mounts included). On a change
it runs ``hanya content check``: a change with errors is refused, the last good content keeps
serving, and the refusal is logged and shown on ``/readyz`` (``ContentSource.last_error``).
A change that passes is swapped in by ``ContentSource.reload()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from fastapi.concurrency import run_in_threadpool

from bot.app import check_emergency
from bot.app.runtime import ContentSource
from bot.features.editor.check import check_content

__all__ = ["ContentWatcher", "snapshot"]

log = logging.getLogger(__name__)
Snapshot = dict[str, tuple[int, int]]


def snapshot(*folders: Path) -> Snapshot:
    """(mtime in ns, size) of every file under ``folders``; editors' temporary files skipped."""
    seen: Snapshot = {}
    for folder in folders:
        for path in folder.rglob("*"):
            if path.name.startswith((".", "~", "#")) or path.name.endswith(("~", ".swp")):
                continue
            with contextlib.suppress(FileNotFoundError):  # deleted while we looked
                if path.is_file():
                    info = path.stat()
                    seen[str(path)] = (info.st_mtime_ns, info.st_size)
    return seen


class ContentWatcher:
    """Polls the content folders and reloads ``source`` when they change and pass the checks."""

    def __init__(self, source: ContentSource, interval: float = 1.0) -> None:
        self.source, self.interval = source, interval
        settings = source.settings
        self.folders = (settings.content_dir, settings.locales_dir)
        self.seen = snapshot(*self.folders)

    def poll(self) -> bool | None:
        """Reload if something changed: True when served, False when refused, None if unchanged."""
        now = snapshot(*self.folders)
        if now == self.seen:
            return None
        self.seen = now
        settings = self.source.settings
        report = check_content(settings.content_dir, settings.locales_dir,
                               extra=check_emergency.CHECKS,
                               max_segments=settings.sms_max_segments,
                               review_days=settings.review_days)
        if not report.ok:
            errors = report.errors
            self.source.last_error = "; ".join(str(e) for e in errors[:5]) + (
                f" (and {len(errors) - 5} more)" if len(errors) > 5 else "")
            log.error("content change refused, keeping the last good content: %s",
                      self.source.last_error)
            return False
        served = self.source.reload()
        if served:
            log.info("content reloaded (%s)", report.summary())
        return served

    async def run(self, stopping: asyncio.Event) -> None:
        """Poll until ``stopping`` is set; a failure is logged and the watch goes on."""
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=self.interval)
            if stopping.is_set():
                return
            try:
                await run_in_threadpool(self.poll)
            except Exception:
                log.exception("content watcher failed; still watching")

"""Build the pieces of a running Hanya from settings: store, keys, content, engine, inbox."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from bot.app import erasure
from bot.core.channel_registry import ChannelTraits
from bot.core.content import Content, load_content
from bot.core.crypto import Vault, vault_from_settings
from bot.core.errors import ContentError
from bot.core.inbox import Inbox
from bot.core.settings import Settings
from bot.core.spool import Spool
from bot.core.store import Store
from handlers.registry import build_engine

log = logging.getLogger(__name__)


class ContentSource:
    """Holds the current content bundle; a reload swaps it only if the new one loads cleanly."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self.current: Content = load_content(settings.content_dir, settings.locales_dir)
        self.last_error: str | None = None

    def reload(self) -> bool:
        try:
            fresh = load_content(self.settings.content_dir, self.settings.locales_dir)
        except ContentError as exc:
            self.last_error = str(exc)
            log.error("content refused, keeping the last good one: %s", exc)
            return False
        with self._lock:
            self.current, self.last_error = fresh, None
        return True


@dataclass
class Runtime:
    settings: Settings
    store: Store
    vault: Vault
    content: ContentSource
    inbox: Inbox
    spool: Spool


def build_runtime(settings: Settings, traits: dict[str, ChannelTraits],
                  store: Store | None = None) -> Runtime:
    """Wire the core; ``traits`` says what each channel (from ``webhooks/``) can show."""
    store = store or Store(settings.database_url)
    vault = vault_from_settings(settings)
    content = ContentSource(settings)
    inbox = Inbox(store, vault, build_engine(), settings, traits, content,
                  erasure.erase_person, erasure.erase_spooled)
    return Runtime(settings, store, vault, content, inbox, Spool(settings.spool_dir, vault))

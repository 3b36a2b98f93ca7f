"""Hanya's channel-neutral core: settings, store, i18n, content and the conversation engine."""

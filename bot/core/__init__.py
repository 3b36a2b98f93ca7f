"""The channel-neutral core: settings, store, crypto, messages, i18n, content, the engine, the
intake, inbox and outbox. Imports no feature, conversation or adapter (tests/test_layers.py).
"""

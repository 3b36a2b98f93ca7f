"""Migration 0010c encrypts outbox payloads and idea texts already stored, and back."""

from __future__ import annotations

import json

from sqlalchemy import text

from bot.core.crypto import Vault
from bot.core.migrate import upgrade
from bot.core.settings import get_settings
from tests.conftest import downgrade

KEY = "a-migration-test-key"


def test_stored_payloads_and_idea_texts_are_encrypted_by_the_upgrade_and_back(
        empty_store, monkeypatch):
    monkeypatch.setenv("HANYA_SECRET_KEY", KEY)
    get_settings.cache_clear()
    store = empty_store
    upgrade(store, "0008")
    upgrade(store, "0004")
    with store.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO outbox (channel, address_enc, payload, priority, status, attempts, "
            "next_attempt_at, created_at) VALUES ('sms', 'x', :payload, 0, 'sent', 1, "
            ":now, :now)"), {"payload": '{"text": "Votre idée I-2026-00001 est reçue"}',
                             "now": "2026-12-01 10:00:00"})
        conn.execute(text(
            "INSERT INTO ideas (reference, text, signed, channel, language, status, created_at)"
            " VALUES ('I-2026-00001', 'un point d''eau', false, 'sms', 'fr', 'received', "
            ":now)"), {"now": "2026-12-01 10:00:00"})
    try:
        upgrade(store, "0010c")
        vault = Vault(KEY.encode())
        with store.engine.connect() as conn:
            payload_enc = conn.execute(text("SELECT payload_enc FROM outbox")).scalar_one()
            text_enc = conn.execute(text("SELECT text_enc FROM ideas")).scalar_one()
        assert "I-2026-00001" not in payload_enc and "eau" not in text_enc
        assert vault.decrypt(payload_enc) == '{"text":"Votre idée I-2026-00001 est reçue"}'
        assert vault.decrypt(text_enc) == "un point d'eau"
        downgrade(store, "0008")  # 0010c's parents are 0008 and 0004: back to them
        with store.engine.connect() as conn:
            payload = conn.execute(text("SELECT payload FROM outbox")).scalar_one()
            idea = conn.execute(text("SELECT text FROM ideas")).scalar_one()
        if isinstance(payload, str):  # SQLite hands JSON back as text
            payload = json.loads(payload)
        assert payload == {"text": "Votre idée I-2026-00001 est reçue"}
        assert idea == "un point d'eau"
    finally:
        get_settings.cache_clear()

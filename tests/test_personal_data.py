"""One registry of personal-data columns (bot/app/personal_data.py), and key rotation reading it."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, Text, select

import bot.app.all_models  # noqa: F401 - every table
from bot.app import erasure, retention
from bot.app.keys import rotate_all
from bot.app.personal_data import ENCRYPTED, REGISTRY, Action, unregistered
from bot.core.crypto import Vault
from bot.core.models import Base, DeadLetter
from tests.committee_helpers import add_duty, make_committee, sms_member
from tests.support import SmsUser, TelegramUser


def test_every_personal_column_of_the_models_is_in_the_registry():
    assert unregistered(Base.metadata) == []


def test_a_new_encrypted_column_or_link_to_a_contact_fails_until_it_is_registered():
    metadata = MetaData()
    Table("contacts", metadata, Column("id", Integer, primary_key=True))
    Table("notes", metadata, Column("id", Integer, primary_key=True),
          Column("body_enc", Text), Column("author_id", ForeignKey("contacts.id")),
          Column("route", String(16)), Column("topic", String(40)))
    assert unregistered(metadata) == ["notes.author_id", "notes.body_enc", "notes.route"]


def test_every_registered_column_says_what_delete_and_retention_do():
    for entry in REGISTRY:
        assert isinstance(entry.on_delete, Action) and isinstance(entry.on_retention, Action)
    names = [entry.name for entry in REGISTRY]
    assert len(names) == len(set(names))
    assert "sensitive_feedback.text_enc" in {entry.name for entry in ENCRYPTED}


@pytest.mark.parametrize(("module", "action"), [(erasure, "on_delete"),
                                                (retention, "on_retention")])
def test_delete_and_retention_apply_what_the_registry_says(module, action):
    """A column registered with something to do on DELETE (or at the retention period) is
    one the module applies, and the module applies nothing the registry does not name."""
    idle = (Action.KEPT, Action.NOT_APPLICABLE)
    wanted = {entry.name for entry in REGISTRY if getattr(entry, action) not in idle}
    assert wanted == module.HANDLED


def test_key_rotation_re_encrypts_every_registered_column(client, bot_api, twilio_api, store,
                                                         settings):
    """Once rotated, every ciphertext of the registry opens with the new key alone (the
    confidential feedback's text was missed before)."""
    member = sms_member(client, twilio_api, store, settings, "+22790170101",
                        make_committee(store), language_number="3")
    member.say("RAPPORT ASSAMAKA EXPULSION 120 sans eau")
    member.say("IDEE plus de points d'eau")
    confidential = TelegramUser(client, bot_api, store, 8_170_0101)
    confidential.say("/idea")
    confidential.say("un agent demande de l'argent")
    confidential.tap("theme:sensitive")
    confidential.tap("sign:no")
    SmsUser(client, twilio_api, store, "+22790170102").post("INFO")
    add_duty(store, settings)  # a recipient: its address is encrypted too
    with store.session() as session:
        session.add(DeadLetter(channel="sms", external_id="SM" + "e" * 32,
                               payload_enc=Vault(settings.secret_key_or_dev()).seal("{}"),
                               error="test"))
    old = settings.secret_key_or_dev()
    with store.session() as session:
        rotate_all(session, Vault(b"a-brand-new-key", (old,)))
    new_only = Vault(b"a-brand-new-key")
    with store.session() as session:
        for entry in ENCRYPTED:
            tokens = [t for t in session.scalars(select(entry.column)) if t]
            if entry.name.startswith("intake."):
                continue  # handled at once here: tests/test_intake.py rotates a waiting one
            assert tokens, f"no {entry.name} to rotate: the test must store one"
            for token in tokens:
                new_only.decrypt(token)  # raises ValueError if it was left under the old key

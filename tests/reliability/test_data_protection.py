"""Retention, erasure and key rotation, proved on the store."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.app.keys import rotate_all
from bot.app.retention import purge
from bot.core.crypto import Vault
from bot.core.models import Contact, InboundMessage, InfoRequest, OutboxMessage, utcnow
from tests.support import SmsUser, TelegramUser


def count(store, model, *where) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def age_everything(store, days: int) -> None:
    """Move every timestamp ``days`` into the past, as if the conversation were that old."""
    past = timedelta(days=days)
    with store.session() as session:
        for contact in session.scalars(select(Contact)):
            contact.last_seen_at -= past
        for row in session.scalars(select(InboundMessage)):
            row.received_at -= past
        for row in session.scalars(select(OutboxMessage)):
            row.created_at -= past


def walk(user: SmsUser) -> None:
    user.say("INFO")
    user.say("4")
    user.say("agadez")
    user.say("4")


def test_retention_forgets_old_conversations_and_keeps_the_counts(client, twilio_api, store):
    walk(SmsUser(client, twilio_api, store, "+22795000001"))
    age_everything(store, 91)
    walk(SmsUser(client, twilio_api, store, "+22795000002"))  # a recent one stays
    with store.session() as session:
        done = purge(session, utcnow(), 90)
    assert done.contacts == 1
    assert count(store, Contact) == 1
    assert count(store, InboundMessage) == 8  # counts for the indicators survive...
    assert count(store, InboundMessage, InboundMessage.contact_id.is_not(None)) == 4  # ...unlinked
    assert count(store, InfoRequest) == 2
    assert count(store, OutboxMessage) == 4  # the old person's replies are gone


def test_delete_in_every_language_erases_the_contact(client, bot_api, store):
    for i, word in enumerate(["DELETE", "SUPPRIMER", "GOGE"]):
        user = TelegramUser(client, bot_api, store, 8500000000 + i)
        user.say("hello")
        user.tap("lang:en")
        user.say(word)
        user.tap("yes")
    assert count(store, Contact) == 0


def test_rotating_the_key_keeps_every_contact_reachable(client, bot_api, store, settings):
    user = TelegramUser(client, bot_api, store, 8500000100)
    user.say("hello")
    user.tap("lang:en")
    user.tap("point:agadez")
    old = settings.secret_key.get_secret_value().encode()
    with store.session() as session:
        done = rotate_all(session, Vault(b"a-brand-new-key", (old,)))
    assert done.contacts == 1
    with store.session() as session:
        contact = session.scalars(select(Contact)).one()
        new_only = Vault(b"a-brand-new-key")
        assert new_only.decrypt(contact.address_enc) == "telegram:8500000100"
        assert contact.pseudonym == new_only.pseudonym("telegram:8500000100")


def test_during_a_rotation_the_service_still_knows_existing_contacts(client, bot_api, store,
                                                                     settings):
    from bot.app.runtime import build_runtime
    from bot.core.messages import MsgIn
    from webhooks.channels import channel_traits

    user = TelegramUser(client, bot_api, store, 8500000200)
    user.say("hello")
    user.tap("lang:en")
    rotated = settings.model_copy(update={
        "secret_key": type(settings.secret_key)("the-next-key"),
        "old_secret_keys": [settings.secret_key]})
    runtime = build_runtime(rotated, channel_traits(rotated), store=store)
    runtime.inbox.process(MsgIn("telegram", "telegram:8500000200", "rotation-1", text="menu"))
    with store.session() as session:
        contact = session.scalars(select(Contact)).one()  # the same person, not a new one
        assert contact.language == "en"
        assert contact.pseudonym == Vault(b"the-next-key").pseudonym("telegram:8500000200")

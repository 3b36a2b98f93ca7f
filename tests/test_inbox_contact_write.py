"""The contact's changes are written by one plain UPDATE at the end of a turn (not by the ORM's
flush; on PostgreSQL that UPDATE is part of the turn's one statement): what the session would
have written must reach the store, no more, no less."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.inbox import _contact_changes
from bot.core.models import Contact
from bot.core.turn_writes import update_contact


def _new_contact(store) -> int:
    with store.session() as session:
        contact = Contact(channel="sms", pseudonym="p" * 64, address_enc="x", step="start",
                          state_data={})
        session.add(contact)
        session.flush()
        return contact.id


def _read(store, contact_id: int) -> Contact:
    with store.session() as session:
        return session.scalars(select(Contact).where(Contact.id == contact_id)).one()


def test_the_turn_s_changes_are_stored_and_the_rest_untouched(store):
    contact_id = _new_contact(store)
    with store.session() as session:
        contact = session.get(Contact, contact_id)
        contact.step, contact.state_data = "menu", {"more": ["page 2"]}
        update_contact(session, contact.id, _contact_changes(session, contact))
        assert contact not in session  # the unit of work has nothing left to flush
    stored = _read(store, contact_id)
    assert (stored.step, stored.state_data, stored.channel) == ("menu", {"more": ["page 2"]},
                                                                  "sms")


def test_a_value_flushed_mid_turn_then_changed_back_is_written_back(store):
    contact_id = _new_contact(store)
    with store.session() as session:
        contact = session.get(Contact, contact_id)
        contact.step = "report_category"
        session.flush()  # a handler's query autoflushed it
        contact.step = "start"  # ... and the turn went back to where it began
        update_contact(session, contact.id, _contact_changes(session, contact))
    assert _read(store, contact_id).step == "start"

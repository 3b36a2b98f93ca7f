"""DELETE leaves nothing that leads back to the person: the whole store is searched for them.

Every table the database holds (read from the database, not from our models), every value,
in clear and once more decrypted with the service's own key where it is a ciphertext, is
searched for the person's number, its pseudonym (under every key), its route and the keyed
hash their reports carried. Their spooled SMS go too, and other people's data stays.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from sqlalchemy import MetaData, func, select
from starlette.testclient import TestClient

from bot.app.runtime import build_runtime
from bot.core.crypto import Vault
from bot.core.intake import encode
from bot.core.messages import MsgIn
from bot.core.models import Contact, DeadLetter, OutboxMessage
from bot.core.recipients import route_of
from bot.core.spool import Spool
from bot.features.committees.models import REVOKED, CommitteeMember
from bot.features.ideas.models import Idea
from tests.committee_helpers import invite, make_committee
from tests.conftest import PUBLIC_URL, SERVICE_NUMBER
from tests.fakes.twilio_signing import signed_sms_form
from tests.support import SmsUser
from tests.test_intake import accepting_only, handle_all

NUMBER, OTHER = "+22790170001", "+22790170002"
SIGNED_IDEA = "organiser une reunion GTM a Arlit, demandez Moussa"


def needles(vault: Vault, number: str) -> list[str]:
    """What would lead back to the person: the number in any form, and every keyed hash."""
    address = f"tel:{number}"
    pseudonyms = vault.pseudonyms(address)
    hashes = [h for p in pseudonyms for h in vault.pseudonyms(f"reporter:{p}")]
    routes = [route_of(p) or "" for p in pseudonyms]
    return [number, number.lstrip("+"), number[-8:], *pseudonyms, *routes, *hashes]


def readings(vault: Vault, value: Any) -> list[str]:
    """A stored value as text, and its plaintext when it is one of our ciphertexts."""
    if value is None:
        return []
    if isinstance(value, bytes | memoryview):
        text = bytes(value).decode("latin-1")
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    try:
        return [text, vault.decrypt(text)]
    except (ValueError, UnicodeDecodeError):
        return [text]


def traces(store, vault: Vault, wanted: list[str]) -> list[str]:
    """``table.column: needle`` for every value of every table that holds one of ``wanted``."""
    tables = MetaData()
    tables.reflect(bind=store.engine)
    found = []
    with store.engine.connect() as conn:
        for table in tables.sorted_tables:
            for row in conn.execute(select(table)):
                for column, value in zip(table.columns, row, strict=True):
                    found += [f"{table.name}.{column.name}: {needle}"
                              for text in readings(vault, value) for needle in wanted
                              if needle in text]
    return found


def spooled_from(settings, vault: Vault, number: str) -> int:
    spool = Spool(settings.spool_dir, vault)
    return sum(json.loads(vault.decrypt(p.read_text()))["form"]["From"] == number
               for p in spool.pending())


def dead_letter(vault: Vault, number: str, sid: str) -> DeadLetter:
    msg = MsgIn("sms", f"tel:{number}", sid, text="message that failed for good")
    return DeadLetter(channel="sms", external_id=sid, payload_enc=vault.seal(encode(msg)),
                      error="test")


def live_history(settings, store, twilio_api) -> None:
    """The person's past: conversation, a signed idea, a committee and a report, and DELETE."""
    committee = make_committee(store)
    with TestClient(_app(settings)) as client:
        person = SmsUser(client, twilio_api, store, NUMBER)
        for text in ("INFO", "3", "agadez", "4", f"IDEE {SIGNED_IDEA}",
                     f"JOIN {invite(store, settings, committee)}",
                     "RAPPORT ASSAMAKA EXPULSION 120 F25 E15 sans eau"):
            person.say(text)
        other = SmsUser(client, twilio_api, store, OTHER)
        other.say("IDEE une radio locale a Agadez")
        [confirm] = person.say("SUPPRIMER")
        assert "OUI" in confirm


def _app(settings):
    from webhooks.app import create_app

    return create_app(settings)


def test_after_delete_nothing_in_the_whole_store_leads_back_to_the_person(
        settings, store, twilio_api):
    vault = Vault(settings.secret_key_or_dev())
    live_history(settings, store, twilio_api)
    wanted = needles(vault, NUMBER)
    assert traces(store, vault, wanted)  # the search finds them while they are known
    with store.session() as session:
        person_id = session.scalar(select(Contact.id).where(
            Contact.pseudonym == vault.pseudonym(f"tel:{NUMBER}")))
    assert set(links_to(store, person_id)) >= {"committee_members.contact_id",
                                                "ideas.contact_id", "outbox.contact_id"}
    # They say OUI, and one more SMS comes in behind it; one of their SMS was spooled while
    # the store was away, one failed for good. Another person's data is there too.
    with accepting_only(settings) as client:
        for body in ("OUI", "INFO"):
            form, headers = signed_sms_form(f"{PUBLIC_URL}/webhooks/twilio/sms",
                                            twilio_api.auth_token, from_=NUMBER,
                                            to=SERVICE_NUMBER, body=body,
                                            message_sid=f"SM{uuid.uuid4().hex}")
            assert client.post("/webhooks/twilio/sms", data=form,
                               headers=headers).status_code == 200
    spool = Spool(settings.spool_dir, vault)
    for number, sid in ((NUMBER, "SM" + "a" * 32), (OTHER, "SM" + "b" * 32)):
        spool.put("sms", {"From": number, "To": SERVICE_NUMBER, "Body": "INFO",
                          "MessageSid": sid})
    with store.session() as session:
        session.add_all([dead_letter(vault, NUMBER, "SM" + "c" * 32),
                         dead_letter(vault, OTHER, "SM" + "d" * 32)])
    handle_all(build_runtime(settings, _traits(settings), store))

    with store.session() as session:
        [confirmation] = session.scalars(select(OutboxMessage).where(
            OutboxMessage.status == "pending", OutboxMessage.priority == 0)).all()
        assert confirmation.forget_after_send and confirmation.route is None
        assert confirmation.contact_id is None
        assert session.scalar(select(func.count()).select_from(Contact)) == 1  # the other one
        assert session.scalar(select(func.count()).select_from(DeadLetter)) == 1
        [kept] = session.scalars(select(Idea).where(Idea.contact_id.is_not(None))).all()
        assert vault.decrypt(kept.text_enc) == "une radio locale a Agadez"
    assert spooled_from(settings, vault, NUMBER) == 0
    assert spooled_from(settings, vault, OTHER) == 1
    # Its confirmation is sent, and then its row goes too.
    settings.run_intake, settings.run_sender = True, True
    with TestClient(_app(settings)):
        _wait_for(lambda: _forgettable(store) == 0)
    assert "supprim" in twilio_api.sent(NUMBER)[-1].body.lower()
    assert traces(store, vault, wanted) == []
    assert traces(store, vault, [SIGNED_IDEA]) == []  # a signed idea's text named them
    assert links_to(store, person_id) == []  # no row points at their contact any more
    with store.session() as session:
        [membership] = session.scalars(select(CommitteeMember)).all()
        assert (membership.contact_id, membership.status) == (None, REVOKED)


def links_to(store, contact_id: int) -> list[str]:
    """``table.column`` of every reflected link to ``contacts`` still holding ``contact_id``."""
    tables = MetaData()
    tables.reflect(bind=store.engine)
    found = []
    with store.engine.connect() as conn:
        for table in tables.sorted_tables:
            for column in table.columns:
                if any(fk.column.table.name == "contacts" for fk in column.foreign_keys) and \
                        conn.scalar(select(func.count()).select_from(table)
                                    .where(column == contact_id)):
                    found.append(f"{table.name}.{column.name}")
    return found


def _traits(settings):
    from webhooks.channels import channel_traits

    return channel_traits(settings)


def _forgettable(store) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.forget_after_send.is_(True))) or 0)


def _wait_for(probe, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_terminal_and_preview_show_a_delete_s_confirmation_once(settings, store):
    """``hanya chat`` and /preview read a turn's replies by route; the confirmation has none,
    so it is found by its address (and only this address's), then forgotten as once sent."""
    from bot.core.chat_session import ChatSession  # what `hanya chat` uses

    chat = ChatSession(build_runtime(settings, _traits(settings), store), "sms", echo=False)
    for text in ("INFO", "3", "SUPPRIMER"):
        chat.send(text)
    [confirmation] = chat.send("OUI")
    assert "supprim" in confirmation.text.lower()
    assert _forgettable(store) == 0

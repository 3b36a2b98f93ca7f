"""The information point over SMS, end to end: requests signed by the twilio library, replies
received by the fake Twilio API."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.core.models import Contact, InboundMessage, OutboxMessage
from bot.core.sms_encoding import sms_cost
from tests.conftest import PUBLIC_URL
from tests.fakes.twilio_signing import signed_status_form
from tests.support import SmsUser

NUMBER = "+22790112233"


@pytest.fixture
def user(client, twilio_api, store) -> SmsUser:
    return SmsUser(client, twilio_api, store, NUMBER)


def count(store, model) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def language_number(code: str) -> str:
    order = ["ha", "dje", "fr", "en", "ar", "ff", "kr", "tmh"]
    return str(order.index(code) + 1)


def test_first_sms_gets_a_numbered_language_menu_in_gsm7(user):
    [reply] = user.say("INFO")
    assert "1 Hausa" in reply and "3 Francais" in reply and "5 Arabiya" in reply
    assert sms_cost(reply).encoding == "GSM-7"


def test_english_walk_by_numbers_and_place_name(user, settings):
    user.say("hello")
    [notice_and_places] = user.say(language_number("en"))
    assert "DELETE" in notice_and_places
    [menu] = user.say("assamaka")  # a place typed by name, any case
    assert "Assamaka" in menu
    assert "1 " in menu
    for reply in user.say("4"):  # help near you
        assert sms_cost(reply).segments <= settings.sms_max_segments


@pytest.fixture
def one_segment(settings):
    """A budget of one SMS per reply (asked before the app is built)."""
    settings.sms_max_segments = 1
    return settings


def test_long_reply_ends_with_more_and_continues(one_segment, user, settings, twilio_api):
    user.say("hello")
    user.say(language_number("en"))
    user.say("agadez")
    [first] = user.say("4")  # help near you at Agadez: several services
    pages = [first]
    while "MORE" in pages[-1]:
        [page] = user.say("MORE")
        pages.append(page)
    assert len(pages) >= 2
    assert all(sms_cost(p).segments <= settings.sms_max_segments for p in pages)
    [done] = user.say("MORE")
    assert "That is all" in done


def test_stop_then_start_by_sms(user):
    user.say("hello")
    user.say(language_number("en"))
    user.say("agadez")
    [stopped] = user.say("stop")
    assert "START" in stopped
    assert user.say("1") == []
    replies = user.say("START")
    assert "Welcome back" in replies[0]


def test_delete_by_sms_with_confirmation(user, store):
    user.say("hello")
    user.say(language_number("en"))
    user.say("agadez")
    [question] = user.say("DELETE")
    assert "YES" in question
    [gone] = user.say("yes")
    assert "deleted" in gone
    assert count(store, Contact) == 0


def test_same_message_sid_twice_is_processed_and_answered_once(user, store, twilio_api):
    first = user.post("hello", sid="SM" + "a" * 32)
    second = user.post("hello", sid="SM" + "a" * 32)
    assert first.status_code == second.status_code == 200
    user.say("")  # drain
    assert count(store, InboundMessage) == 2  # "hello" once, the drain message once
    assert len([m for m in twilio_api.sent(NUMBER) if "Hausa" in m.body]) == 2


def test_forged_signature_is_refused_and_nothing_stored(user, store):
    response = user.post("hello", token="not-the-auth-token")
    assert response.status_code == 403
    assert count(store, InboundMessage) == 0
    assert count(store, OutboxMessage) == 0


def test_signed_body_changed_after_signing_is_refused(client, twilio_api, store):
    from tests.fakes.twilio_signing import signed_sms_form

    url = f"{PUBLIC_URL}/webhooks/twilio/sms"
    form, headers = signed_sms_form(url, twilio_api.auth_token, from_=NUMBER,
                                    to="+22780000000", body="hello")
    form["Body"] = "DELETE"
    assert client.post("/webhooks/twilio/sms", data=form, headers=headers).status_code == 403
    assert count(store, InboundMessage) == 0


def test_delivery_status_is_recorded(user, client, twilio_api, store):
    user.say("hello")
    sid = twilio_api.sent(NUMBER)[0].sid
    url = f"{PUBLIC_URL}/webhooks/twilio/status"
    form, headers = signed_status_form(url, twilio_api.auth_token, message_sid=sid,
                                       status="delivered")
    assert client.post("/webhooks/twilio/status", data=form, headers=headers).status_code == 204
    with store.session() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.provider_id == sid)).one()
        assert row.delivery_status == "delivered"


def test_a_body_that_is_not_a_form_is_refused_and_nothing_stored(client, store):
    for body in (b"\xff\xfe not utf-8", b"&".join(b"f%d=1" % i for i in range(1500))):
        response = client.post("/webhooks/twilio/sms", content=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"})
        assert response.status_code == 403
    assert count(store, InboundMessage) == 0


def test_delete_is_confirmed_only_by_the_person_s_own_word_for_yes(user, store):
    user.say("hello")
    user.say(language_number("ha"))
    user.say("agadez")
    user.say("GOGE")  # Hausa DELETE
    [asked_again] = user.say("OUI")  # French yes: not the confirming person's word
    assert count(store, Contact) == 1
    assert "I" in asked_again  # the question again, with the Hausa word to send
    user.say("I")  # Hausa yes
    assert count(store, Contact) == 0

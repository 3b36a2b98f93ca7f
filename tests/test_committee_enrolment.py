"""Enrolment in a watch committee through the webhooks: JOIN <code> by SMS, the Telegram deep
link, one-time and expiring codes, revocation, and who may file reports."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.core.models import Contact
from bot.features.committees.models import (
    ACTIVE,
    MOVED,
    REVOKED,
    CommitteeMember,
    EnrolmentCode,
)
from tests.committee_helpers import invite, make_committee, sms_member, telegram_member
from tests.support import SmsUser, TelegramUser, buttons, texts

NUMBER = "+22790001001"
CHAT = 5200000001


def members(store):
    with store.session() as session:
        return list(session.scalars(select(CommitteeMember).order_by(CommitteeMember.id)))


def contact(store, contact_id):
    with store.session() as session:
        return session.get(Contact, contact_id)


def test_join_by_sms_before_any_language_enrols_in_the_default_language(
        client, twilio_api, store, settings):
    committee = make_committee(store)
    user = SmsUser(client, twilio_api, store, NUMBER)
    [reply] = user.say(f"JOIN {invite(store, settings, committee)}")
    assert "Bienvenue dans le comité de veille Comité Assamaka (Assamaka)" in reply
    assert "RAPPORT" in reply and "RAS" in reply and "LANGUE" in reply
    assert "SUPPRIMER" in reply  # the privacy notice comes with it, once
    [member] = members(store)
    assert member.status == ACTIVE
    person = contact(store, member.contact_id)
    assert (person.language, person.point_id, person.channel) == ("fr", "assamaka", "sms")


def test_a_member_changes_language_with_the_language_word(client, twilio_api, store, settings):
    committee = make_committee(store)
    user = sms_member(client, twilio_api, store, settings, NUMBER, committee)
    [languages] = user.say("LANGUE")
    assert "4 English" in languages
    user.say("4")
    [reply] = user.say("REPORT")
    assert reply.startswith("To report in one SMS, write: REPORT ASSAMAKA EXPULSION 120 W25 C15")


def test_join_by_telegram_deep_link(client, bot_api, store, settings):
    committee = make_committee(store)
    user = TelegramUser(client, bot_api, store, CHAT)
    replies = user.say(f"/start {invite(store, settings, committee)}")
    joined = replies[-1]
    assert joined["text"].startswith("Bienvenue dans le comité de veille Comité Assamaka")
    assert [label for label, _ in buttons(joined)] == ["RAPPORT", "RAS", "SOS"]
    [member] = members(store)
    assert contact(store, member.contact_id).channel == "telegram"


def test_the_same_person_on_sms_and_telegram_is_two_members(
        client, twilio_api, bot_api, store, settings):
    committee = make_committee(store)
    sms_member(client, twilio_api, store, settings, NUMBER, committee)
    telegram_member(client, bot_api, store, settings, CHAT, committee)
    first, second = members(store)
    assert first.contact_id != second.contact_id


def test_a_code_works_once_and_a_used_expired_or_unknown_code_gets_the_same_answer(
        client, twilio_api, store, settings):
    committee = make_committee(store)
    code = invite(store, settings, committee)
    expired = invite(store, settings, committee, lifetime=timedelta(seconds=-1))
    SmsUser(client, twilio_api, store, NUMBER).say(f"JOIN {code}")
    other = SmsUser(client, twilio_api, store, "+22790001002")
    answers = {other.say(f"JOIN {code}")[0], other.say(f"JOIN {expired}")[0],
               other.say("JOIN ZZZZ2222")[0]}
    assert answers == {"Ce code n'est pas valable. Vérifiez-le, ou demandez un nouveau code "
                       "au SP/CCM."}
    assert len(members(store)) == 1


def test_codes_are_stored_only_as_keyed_hashes(store, settings):
    committee = make_committee(store)
    code = invite(store, settings, committee)
    with store.session() as session:
        [row] = session.scalars(select(EnrolmentCode))
        assert code not in row.code_hash and code.lower() not in row.code_hash
        assert len(row.code_hash) == 64


def test_a_code_typed_in_lower_case_with_a_dash_works(client, twilio_api, store, settings):
    committee = make_committee(store)
    code = invite(store, settings, committee)
    user = SmsUser(client, twilio_api, store, NUMBER)
    [reply] = user.say(f"rejoindre {code[:4].lower()}-{code[4:].lower()}")
    assert "Bienvenue" in reply


def test_join_without_a_code_explains_how(client, twilio_api, store):
    user = SmsUser(client, twilio_api, store, NUMBER)
    [reply] = user.say("JOIN")
    assert reply == "Envoyez REJOINDRE suivi de votre code, par exemple : REJOINDRE K7P4XM2Q"


def test_joining_another_committee_moves_the_member(client, twilio_api, store, settings):
    assamaka = make_committee(store)
    arlit = make_committee(store, point="arlit", name="Comité Arlit")
    user = sms_member(client, twilio_api, store, settings, NUMBER, assamaka)
    [again] = user.say(f"JOIN {invite(store, settings, assamaka)}")
    assert again == "Vous etes déjà membre du comité de veille Comité Assamaka."  # GSM-7
    user.say(f"JOIN {invite(store, settings, arlit)}")
    first, second = members(store)
    assert (first.status, second.status) == (MOVED, ACTIVE)
    assert contact(store, second.contact_id).point_id == "arlit"


def test_a_non_member_who_sends_report_is_told_how_to_join_or_use_sos(
        client, twilio_api, bot_api, store):
    [reply] = SmsUser(client, twilio_api, store, NUMBER).say(
        "RAPPORT ASSAMAKA EXPULSION 120")
    assert "REJOINDRE" in reply and "SOS" in reply and "Seuls les membres" in reply
    replies = TelegramUser(client, bot_api, store, CHAT).say("/report")
    assert "Seuls les membres" in texts(replies)
    assert ("SOS", "cmd:sos") in buttons(replies[-1])


def test_a_revoked_member_keeps_the_row_and_cannot_report(client, twilio_api, store, settings):
    committee = make_committee(store)
    user = sms_member(client, twilio_api, store, settings, NUMBER, committee)
    with store.session() as session:
        member = session.scalars(select(CommitteeMember)).one()
        member.status = REVOKED
    [reply] = user.say("RAPPORT ASSAMAKA EXPULSION 120")
    assert "Seuls les membres" in reply
    assert [m.status for m in members(store)] == [REVOKED]


def test_a_member_who_deletes_their_data_leaves_an_anonymous_member_row(
        client, twilio_api, store, settings):
    committee = make_committee(store)
    user = sms_member(client, twilio_api, store, settings, NUMBER, committee)
    user.say("SUPPRIMER")
    user.say("OUI")
    [member] = members(store)
    assert member.contact_id is None

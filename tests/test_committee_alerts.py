"""Urgent alerts reach the SP/CCM duty chat at once; SOS from anyone; duplicates and
corroboration are linked, never discarded."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core.messages import Outgoing
from bot.core.models import OutboxMessage
from bot.core.recipients import PRIORITY_ALERT, PRIORITY_REPLY, PRIORITY_SOS
from bot.core.sms_encoding import sms_cost
from bot.features.committees.models import (
    DUPLICATE,
    LINK_CORROBORATES,
    LINK_DUPLICATE,
    RECEIVED,
    ReportLink,
    SosEvent,
)
from tests.committee_helpers import (
    DUTY_CHAT,
    add_duty,
    make_committee,
    reports,
    sms_member,
    vault,
)
from tests.conftest import wait_outbox_drained
from tests.support import SmsUser, TelegramUser

NUMBER = "+22790003001"
OTHER = "+22790003002"


@pytest.fixture
def committee(store) -> int:
    return make_committee(store)


def duty_texts(bot_api, store) -> list[str]:
    wait_outbox_drained(store)
    return bot_api.sent_texts(DUTY_CHAT)


def test_an_urgent_report_reaches_the_duty_chat_at_once(
        client, twilio_api, bot_api, store, settings, committee):
    add_duty(store, settings)
    member = sms_member(client, twilio_api, store, settings, NUMBER, committee)
    member.say("RAPPORT AGADEZ MORTS 3 F1 hier")
    [alert] = duty_texts(bot_api, store)
    assert alert.startswith("URGENT R-2026-00001 : Décès à Agadez (Agadez). "
                            "3 personnes dont 1 F. Événement : ")
    assert alert.endswith(". Comité : Comité Assamaka.")
    assert NUMBER not in alert
    with store.session() as session:
        row = session.scalars(select(OutboxMessage).where(
            OutboxMessage.priority == PRIORITY_ALERT)).one()
        assert row.channel == "telegram"


def test_the_alert_is_in_the_recipients_language(
        client, twilio_api, bot_api, store, settings, committee):
    add_duty(store, settings, language="en")
    member = sms_member(client, twilio_api, store, settings, NUMBER, committee)
    member.say("RAPPORT SEGUEDINE BLOQUES ?")
    [alert] = duty_texts(bot_api, store)
    assert alert.startswith("URGENT R-2026-00001: People stranded or abandoned (desert) at "
                            "Séguédine (Agadez). number unknown. Event: ")


def test_a_non_urgent_report_waits_for_the_digest(
        client, twilio_api, bot_api, store, settings, committee):
    add_duty(store, settings)
    member = sms_member(client, twilio_api, store, settings, NUMBER, committee)
    [reply] = member.say("RAPPORT ASSAMAKA EXPULSION 120")
    assert "alertée" not in reply
    assert duty_texts(bot_api, store) == []


def test_recipients_not_subscribed_to_alerts_get_none(
        client, twilio_api, bot_api, store, settings, committee):
    add_duty(store, settings, subscriptions=("daily", "weekly"))
    member = sms_member(client, twilio_api, store, settings, NUMBER, committee)
    [reply] = member.say("RAPPORT AGADEZ MORTS 3")
    assert "alertée" not in reply  # nobody was told, so the member is not told otherwise
    assert duty_texts(bot_api, store) == []


def test_sos_from_an_unknown_number_sends_numbers_and_alerts_without_personal_data(
        client, twilio_api, bot_api, store, settings):
    add_duty(store, settings)
    [reply] = SmsUser(client, twilio_api, store, NUMBER).say("SOS")
    assert reply.startswith("Numéros d'urgence : Police 17, Ambulance (SAMU) 15, ")
    assert "+227 89 98 33 39 / +227 83 44 65 34 (non vérifié)" in reply
    assert reply.endswith("Equipe SP/CCM prevenue. Elle ne peut pas vous rappeler: appelez un "
                          "numero ci-dessus.\nEnvoyez SOS et votre lieu, par ex. SOS AGADEZ.")
    assert sms_cost(reply).segments <= settings.sms_max_segments  # no MORE needed
    [alert] = duty_texts(bot_api, store)
    assert alert.startswith("SOS, lieu inconnu, ")
    assert alert.endswith("La personne a reçu les numéros d'urgence.")
    assert NUMBER not in alert and NUMBER.lstrip("+") not in alert
    with store.session() as session:
        [event] = session.scalars(select(SosEvent))
        assert (event.point_id, event.channel, event.alerted) == (None, "sms", True)


def test_an_sos_reply_and_its_alert_go_in_the_sos_lane_ahead_of_every_reply(
        client, twilio_api, bot_api, store, settings):
    # In one lane with every other reply, an SOS's reply waited behind all those queued
    # before it, and its alert behind them all (make bench, U2).
    add_duty(store, settings)
    user = SmsUser(client, twilio_api, store, NUMBER)
    user.say("bonjour")
    user.say("SOS")
    duty_texts(bot_api, store)
    with store.session() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        lanes = [(row.channel, row.priority) for row in rows]
        alert = Outgoing.unseal(vault(settings), next(
            row.payload_enc for row in rows if row.channel == "telegram"))
    assert {lane for lane in lanes[:-2]} == {("sms", PRIORITY_REPLY)}  # the welcome
    assert sorted(lanes[-2:]) == [("sms", PRIORITY_SOS), ("telegram", PRIORITY_SOS)]
    assert alert.kind == "alert"  # what a channel's rules about unprompted messages read


def test_sos_with_a_place_names_the_place(client, twilio_api, bot_api, store, settings):
    add_duty(store, settings)
    [reply] = SmsUser(client, twilio_api, store, NUMBER).say("sos agadez")
    assert reply.endswith("prevenue. Elle ne peut pas vous rappeler: appelez un numero ci-dessus.")
    [alert] = duty_texts(bot_api, store)
    assert alert.startswith("SOS à Agadez (Agadez), ")


def test_sos_works_after_stop_and_a_repeat_does_not_alert_twice(
        client, twilio_api, bot_api, store, settings):
    add_duty(store, settings)
    user = SmsUser(client, twilio_api, store, NUMBER)
    user.say("STOP")
    [first] = user.say("SOS")
    [second] = user.say("SOS")
    assert first.startswith("Numéros d'urgence") and second.startswith("Numéros d'urgence")
    assert len(duty_texts(bot_api, store)) == 1
    with store.session() as session:
        assert [e.alerted for e in session.scalars(select(SosEvent).order_by(SosEvent.id))] == [
            True, False]


def test_the_telegram_sos_button_works_for_anyone(client, bot_api, store, settings):
    add_duty(store, settings)
    user = TelegramUser(client, bot_api, store, 5400000001)
    replies = user.tap("cmd:sos")
    assert replies[0]["text"].startswith("Si une vie est en danger")
    assert replies[0]["text"].endswith("Elle n'a ni votre numéro ni votre nom : elle ne peut "
                                       "pas vous rappeler. Appelez vous-même un des numéros "
                                       "ci-dessus. Pour dire où vous êtes, envoyez SOS et votre "
                                       "lieu, par exemple SOS AGADEZ.")
    assert duty_texts(bot_api, store)[0].startswith("SOS, lieu inconnu")


def test_two_reports_of_one_committee_are_a_possible_duplicate(
        client, twilio_api, store, settings, committee):
    one = sms_member(client, twilio_api, store, settings, NUMBER, committee)
    two = sms_member(client, twilio_api, store, settings, OTHER, committee)
    one.say("RAPPORT ASSAMAKA EXPULSION 120")
    two.say("RAPPORT ASSAMAKA EXPULSION 118 F20")
    first, second = reports(store)
    assert (first.status, second.status) == (RECEIVED, DUPLICATE)
    assert not first.corroborated and not second.corroborated
    with store.session() as session:
        [link] = session.scalars(select(ReportLink))
    assert (link.report_id, link.other_id, link.kind) == (second.id, first.id, LINK_DUPLICATE)


def test_two_committees_reporting_the_same_corroborate_each_other(
        client, twilio_api, bot_api, store, settings, committee):
    add_duty(store, settings)
    other = make_committee(store, point="arlit", name="Comité Arlit")
    one = sms_member(client, twilio_api, store, settings, NUMBER, committee)
    two = sms_member(client, twilio_api, store, settings, OTHER, other)
    one.say("RAPPORT ASSAMAKA BLOQUES 40")
    two.say("RAPPORT ASSAMAKA BLOQUES 35")
    first, second = reports(store)
    assert (first.status, second.status) == (RECEIVED, RECEIVED)
    assert first.corroborated and second.corroborated
    with store.session() as session:
        [link] = session.scalars(select(ReportLink))
    assert (link.report_id, link.other_id, link.kind) == (second.id, first.id, LINK_CORROBORATES)
    alerts = duty_texts(bot_api, store)
    assert len(alerts) == 2 and alerts[1].endswith("Aussi signalé par un autre comité.")


def test_reports_of_another_kind_or_place_are_not_linked(
        client, twilio_api, store, settings, committee):
    one = sms_member(client, twilio_api, store, settings, NUMBER, committee)
    one.say("RAPPORT ASSAMAKA EXPULSION 120")
    one.say("RAPPORT ASSAMAKA ARRIVEE 120")
    one.say("RAPPORT ARLIT EXPULSION 120")
    one.say("RAS")
    one.say("RAS")
    assert {r.status for r in reports(store)} == {RECEIVED}
    with store.session() as session:
        assert session.scalars(select(ReportLink)).all() == []


def test_the_sos_button_under_the_emergency_topic_raises_an_sos(client, bot_api, store):
    from tests.support import TelegramUser, buttons

    user = TelegramUser(client, bot_api, store, 5400000099)
    user.say("/start")
    user.tap("lang:fr")
    user.tap("point:assamaka")
    replies = user.tap("topic:emergency")
    assert ("SOS", "cmd:sos") in buttons(replies[-1])
    answer = user.tap("cmd:sos")
    assert "+227 89 98 33 39" in "\n".join(m["text"] for m in answer)

"""A report-shaped message from a committee member is told what was understood and what was
not (issue 21): a keyword typo is still a report, a second place or kind is named, never
dropped or misread as "the number is missing". By SMS (signed Twilio webhook) and Telegram."""

from __future__ import annotations

import pytest

from bot.core.sms_encoding import sms_cost
from tests.committee_helpers import make_committee, reports, sms_member, telegram_member
from tests.support import SmsUser

NUMBER = "+22790002301"


@pytest.fixture
def committee(store) -> int:
    return make_committee(store)


@pytest.fixture
def member(client, twilio_api, store, settings, committee):
    return sms_member(client, twilio_api, store, settings, NUMBER, committee)


@pytest.mark.parametrize("keyword", ["RAPORT", "RAPPROT", "Rapportt", "REPORTT", "RAHOTTO"])
def test_a_report_keyword_with_a_typo_is_filed_as_a_report(member, store, keyword):
    [reply] = member.say(f"{keyword} ASSAMAKA EXPULSION 10")
    assert reply.startswith("Recu R-2026-00001 : Assamaka, expulsion, 10 personnes")
    [report] = reports(store)
    assert (report.point_id, report.category, report.total) == ("assamaka", "expulsion", 10)


def test_a_second_place_is_named_with_what_was_understood_and_nothing_is_filed(member, store):
    [reply] = member.say("RAPPORT ASSAMAKA ARLIT EXPULSION 10")
    assert reply.startswith(
        "Rapport non enregistré : ARLIT est un deuxième lieu (un rapport par lieu).\n"
        "Compris : Assamaka, expulsion, 10 personnes.\nExemple : RAPPORT ASSAMAKA")
    assert sms_cost(reply).segments <= 2
    assert reports(store) == []


def test_a_second_kind_is_named_not_taken_for_a_missing_number(member, store):
    [reply] = member.say("RAPPORT ASSAMAKA EXPULSION DECES 10")
    assert "nombre de personnes manque" not in reply
    assert reply.startswith(
        "Rapport non enregistré : DECES est un deuxième type (un rapport par type).\n"
        "Compris : Assamaka, expulsion, 10 personnes.\n")
    assert sms_cost(reply).segments <= 3
    assert reports(store) == []


def test_a_kind_word_after_the_number_is_still_the_description(member, store):
    [reply] = member.say("RAPPORT ASSAMAKA EXPULSION 10 violence au poste")
    assert reply.startswith("Recu R-2026-00001 : Assamaka, expulsion, 10 personnes")


def test_the_answer_is_in_the_members_language(client, twilio_api, store, settings, committee):
    user = sms_member(client, twilio_api, store, settings, NUMBER, committee, "4")  # English
    [typo] = user.say("REPROT AGADEZ STRANDED 30")
    assert typo.startswith("Received R-2026-00001: Agadez")
    [reply] = user.say("REPORT AGADEZ ARLIT STRANDED 30")
    assert reply.startswith("Report not recorded: ARLIT is a second place (one report per "
                            "place).\nUnderstood: Agadez, people stranded or abandoned "
                            "(desert), 30 people.\nExample: REPORT ASSAMAKA")


def test_a_typo_keyword_from_someone_not_in_a_committee_is_left_to_the_menu(
        client, twilio_api, store):
    user = SmsUser(client, twilio_api, store, "+22790002302")
    replies = user.say("RAPORT ASSAMAKA EXPULSION 10")
    assert replies and not any("comité" in r.lower() for r in replies)
    assert reports(store) == []


def test_on_telegram_the_same_words_get_the_same_answers(client, bot_api, store, settings,
                                                          committee):
    user = telegram_member(client, bot_api, store, settings, 8200301, committee)
    [filed] = user.say("RAPORT ASSAMAKA EXPULSION 10")
    assert filed["text"].startswith("Reçu R-2026-00001 : Assamaka, expulsion, 10 personnes")
    [second] = user.say("RAPPORT ASSAMAKA EXPULSION DECES 10")
    assert second["text"].startswith(
        "Rapport non enregistré : DECES est un deuxième type (un rapport par type).\n"
        "Compris : Assamaka, expulsion, 10 personnes.\n")
    [place] = user.say("RAPPORT ASSAMAKA ARLIT EXPULSION 10")
    assert "ARLIT est un deuxième lieu" in place["text"]
    assert len(reports(store)) == 1

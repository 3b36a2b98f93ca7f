"""Reports by one SMS, through the signed Twilio webhook: confirmation restating what was
understood, translated examples for what was not, RAS, CANCEL, corrections and references."""

from __future__ import annotations

import logging
import threading

import pytest
from sqlalchemy import select

from bot.core.models import Contact
from bot.core.sms_encoding import sms_cost
from bot.features.committees.models import (
    LINK_CORRECTS,
    NOTHING,
    RECEIVED,
    WITHDRAWN,
    ReportLink,
    next_reference,
)
from tests.committee_helpers import make_committee, reports, sms_member, vault

NUMBER = "+22790002001"


@pytest.fixture
def committee(store) -> int:
    return make_committee(store)


@pytest.fixture
def member(client, twilio_api, store, settings, committee):
    return sms_member(client, twilio_api, store, settings, NUMBER, committee)


def test_an_sms_report_is_confirmed_with_what_was_understood_in_two_segments_at_most(
        member, store, settings):
    [reply] = member.say("RAPPORT ASSAMAKA EXPULSION 120 F25 E15 sans eau")
    assert reply == ("Recu R-2026-00001 : Assamaka, expulsion, 120 personnes dont 25 F, 15 E. "
                     "Pour le retirer : ANNULER R-2026-00001")
    assert sms_cost(reply).segments <= 2 and sms_cost(reply).encoding == "GSM-7"
    [report] = reports(store)
    assert (report.reference, report.point_id, report.region, report.category) == (
        "R-2026-00001", "assamaka", "NE001", "expulsion")
    assert (report.total, report.women, report.children) == (120, 25, 15)
    assert (report.channel, report.language, report.status, report.urgent) == (
        "sms", "fr", RECEIVED, False)
    assert report.occurred_precision == "assumed"


def test_the_raw_text_and_description_are_encrypted_and_the_reporter_pseudonymised(
        member, store, settings):
    member.say("RAPPORT ASSAMAKA EXPULSION 120 F25 E15 sans eau")
    [report] = reports(store)
    keys = vault(settings)
    assert "sans eau" not in report.raw_text_enc and "sans eau" not in report.description_enc
    assert keys.decrypt(report.raw_text_enc) == "RAPPORT ASSAMAKA EXPULSION 120 F25 E15 sans eau"
    assert keys.decrypt(report.description_enc) == "sans eau"
    with store.session() as session:
        person = session.scalars(select(Contact)).one()
    assert report.reporter != person.pseudonym and NUMBER not in report.reporter


@pytest.mark.parametrize(("language", "sms", "expected"), [
    ("4", "REPORT AGADEZ STRANDED 30 W10 C5 no water",
     "Received R-2026-00001: Agadez, people stranded or abandoned (desert), 30 people incl. "
     "10 W, 5 C. To withdraw it: CANCEL R-2026-00001"),
    ("1", "RAHOTO ASSAMAKA KORA 120 MATA 25 YARA 15 babu ruwa",
     "An karba R-2026-00001: Assamaka, kora, mutane 120 ciki har da mata 25, yara 15. "
     "Don janye shi: SOKE R-2026-00001"),
])
def test_the_confirmation_is_in_the_members_language(client, twilio_api, store, settings,
                                                       committee, language, sms, expected):
    user = sms_member(client, twilio_api, store, settings, NUMBER, committee, language)
    [reply] = user.say(sms)
    assert reply == expected
    assert sms_cost(reply).segments <= 2


def test_an_urgent_report_says_the_duty_team_was_alerted(member, store, settings):
    from tests.committee_helpers import add_duty

    add_duty(store, settings)
    [reply] = member.say("RAPPORT AGADEZ MORTS 3")
    assert reply.endswith("\nUrgent : l'équipe de permanence du SP/CCM est alertée.")
    assert sms_cost(reply).segments <= 2


def test_a_malformed_sms_gets_what_is_missing_and_a_french_example(member, store):
    [reply] = member.say("RAPPORT ASSAMAKA 120")
    assert reply == (
        "Rapport non enregistré : le type d'incident manque.\n"
        "Compris : Assamaka, 120 personnes.\n"
        "Types : EXPULSION, BLOQUES, DECES, MEDICAL, DISPARU, MINEURS, TRAITE, ARRIVEE, "
        "VIOLENCE, AUTRE\n"
        "Exemple : RAPPORT ASSAMAKA EXPULSION 120 F25 E15 sans eau")
    assert reports(store) == []


def test_an_unknown_place_is_named_in_the_answer(member, store):
    [reply] = member.say("RAPPORT TIMIA EXPULSION 120")
    assert reply.startswith("Rapport non enregistré : le lieu TIMIA est inconnu.\n"
                            "Compris : expulsion, 120 personnes.\nExemple : ")
    assert reports(store) == []


def test_a_malformed_sms_in_english_gets_an_english_example(
        client, twilio_api, store, settings, committee):
    user = sms_member(client, twilio_api, store, settings, NUMBER, committee, "4")
    [reply] = user.say("REPORT AGADEZ STRANDED 30 W40")
    assert reply == ("Report not recorded: there are more women or children than people in "
                     "total.\nUnderstood: Agadez, people stranded or abandoned (desert), 30 "
                     "people incl. 40 W.\nExample: REPORT ASSAMAKA EXPULSION 120 W25 C15 no water")


def test_report_alone_by_sms_explains_the_grammar(member):
    [reply] = member.say("RAPPORT")
    assert reply.startswith("Pour signaler en un SMS, écrivez : RAPPORT ASSAMAKA EXPULSION 120 "
                            "F25 E15 sans eau (lieu, type")


@pytest.mark.parametrize("word", ["RAS", "rien à signaler", "NOTHING TO REPORT", "ntr"])
def test_nothing_to_report_is_recorded_as_a_report(member, store, word):
    [reply] = member.say(word)
    assert reply == "Noté R-2026-00001 : rien à signaler à Assamaka. Merci."
    [report] = reports(store)
    assert (report.category, report.point_id, report.total) == (NOTHING, "assamaka", None)


def test_cancel_withdraws_ones_own_report_only(member, client, twilio_api, store, settings,
                                               committee):
    member.say("RAPPORT ASSAMAKA EXPULSION 120")
    [reply] = member.say("ANNULER r-2026-00001")
    assert reply == "Le rapport R-2026-00001 est retiré."
    assert reports(store)[0].status == WITHDRAWN
    other = sms_member(client, twilio_api, store, settings, "+22790002002", committee)
    other.say("RAPPORT ASSAMAKA ARRIVEE 10")
    [refused] = member.say("ANNULER R-2026-00002")
    assert refused == "Aucun rapport R-2026-00002 envoyé par vous n'a été trouvé."
    assert reports(store)[1].status == RECEIVED
    [how] = member.say("ANNULER")
    assert how.startswith("Pour retirer un rapport, envoyez ANNULER et sa référence")


def test_a_correction_is_a_new_report_that_references_the_old_one(member, store):
    member.say("RAPPORT ASSAMAKA EXPULSION 120")
    [reply] = member.say("RAPPORT ASSAMAKA EXPULSION 150 R-2026-00001")
    assert reply.endswith("\nIl remplace R-2026-00001.")
    old, new = reports(store)
    assert (old.status, new.status, new.total) == (WITHDRAWN, RECEIVED, 150)
    with store.session() as session:
        [link] = session.scalars(select(ReportLink))
    assert (link.report_id, link.other_id, link.kind) == (new.id, old.id, LINK_CORRECTS)


def test_a_report_with_a_date_keeps_the_event_day_not_the_receipt_day(member, store):
    member.say("RAPPORT ASSAMAKA EXPULSION 120 hier")
    [report] = reports(store)
    assert report.occurred_precision == "day"
    assert (report.received_at - report.occurred_at).total_seconds() > 0


def test_no_phone_number_or_message_body_reaches_the_logs(member, caplog):
    caplog.set_level(logging.DEBUG)
    member.say("RAPPORT ASSAMAKA EXPULSION 120 F25 E15 cachés derrière le puits")
    member.say("SOS")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "R-2026-00001" in logged  # the report was logged, by reference
    assert NUMBER not in logged and NUMBER.lstrip("+") not in logged
    assert "puits" not in logged


def test_references_count_per_year_and_never_repeat_under_concurrency(store):
    with store.session() as session:
        assert next_reference(session, 2027) == "R-2027-00001"
        assert next_reference(session, 2027) == "R-2027-00002"
        assert next_reference(session, 2028) == "R-2028-00001"
    got: list[str] = []
    errors: list[BaseException] = []

    def take() -> None:
        try:
            for _ in range(5):
                with store.session() as session:
                    got.append(next_reference(session, 2027))
        except BaseException as exc:  # reported below, not swallowed
            errors.append(exc)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(got) == [f"R-2027-{n:05d}" for n in range(3, 23)]


def test_report_texts_and_pending_codes_survive_a_key_rotation(member, store, settings,
                                                               committee):
    from bot.app.keys import rotate_all
    from bot.core.crypto import Vault
    from bot.core.models import utcnow
    from bot.features.committees.models import usable_code
    from tests.committee_helpers import invite

    member.say("RAPPORT ASSAMAKA EXPULSION 120 sans eau")
    code = invite(store, settings, committee)
    old_key = settings.secret_key_or_dev()
    rotated = Vault(b"a-new-secret-key-for-the-rotation", (old_key,))
    with store.session() as session:
        rotate_all(session, rotated)
        assert usable_code(session, rotated, code, utcnow()) is not None
    [report] = reports(store)
    new_only = Vault(b"a-new-secret-key-for-the-rotation")
    assert new_only.decrypt(report.description_enc) == "sans eau"
    assert new_only.decrypt(report.raw_text_enc) == "RAPPORT ASSAMAKA EXPULSION 120 sans eau"


def test_a_tamajaq_members_confirmation_in_french_costs_what_it_costs_in_french(
        client, twilio_api, store, settings, committee):
    # Tamajaq's catalogue still holds the French text ("Reçu ..."): its ç alone would make the
    # SMS UCS-2 and cost 2 segments where the same words in a French SMS cost 1 (issue 21).
    user = sms_member(client, twilio_api, store, settings, NUMBER, committee, "8")
    [reply] = user.say("RAPPORT ASSAMAKA EXPULSION 120 F25 E15 sans eau")
    assert reply == ("Recu R-2026-00001 : Assamaka, expulsion, 120 personnes dont 25 F, 15 E. "
                     "Pour le retirer : ANNULER R-2026-00001")
    assert sms_cost(reply).encoding == "GSM-7" and sms_cost(reply).segments == 1

"""Duplicates: a copy of a report keeps the event counted when the first is withdrawn,
rejected or corrected, and two reports whose counts disagree are two events, not one."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.core.crypto import Vault
from bot.features.committees.models import (
    DUPLICATE,
    LINK_DUPLICATE,
    RECEIVED,
    REJECTED,
    WITHDRAWN,
    ReportLink,
    counts_agree,
)
from bot.features.dashboard.indicators import Period, report_cells, today_in
from bot.features.digests.digest import build_digest
from tests.committee_helpers import make_committee, reports, sms_member
from tests.dashboard_support import signed_in

NUMBER = "+22790004001"
OTHER = "+22790004002"


@pytest.fixture
def committee(store) -> int:
    return make_committee(store)


@pytest.fixture
def member(client, twilio_api, store, settings, committee):
    return sms_member(client, twilio_api, store, settings, NUMBER, committee)


def counted(store, settings) -> tuple[int, int, int]:
    """Reports and people in today's digest, and people in the indicators' report cells."""
    tz = ZoneInfo(settings.timezone)
    today = today_in(tz)
    period = Period(today - timedelta(days=1), today + timedelta(days=1))
    with store.session() as session:
        digest = build_digest(session, None, "daily", period, tz,  # type: ignore[arg-type]
                              vault=Vault(settings.secret_key_or_dev()))
        cells = report_cells(session, period, tz)
    return digest.reports, digest.people, sum(cell.total for cell in cells)


def duplicate_links(store) -> set[tuple[int, int]]:
    with store.session() as session:
        return {(link.report_id, link.other_id) for link in session.scalars(
            select(ReportLink).where(ReportLink.kind == LINK_DUPLICATE))}


def test_the_same_report_sent_twice_then_the_first_withdrawn_still_counts(
        member, store, settings):
    member.say("RAPPORT ASSAMAKA EXPULSION 120 F25 E15")
    member.say("RAPPORT ASSAMAKA EXPULSION 120 F25 E15")
    assert [r.status for r in reports(store)] == [RECEIVED, DUPLICATE]
    assert counted(store, settings) == (1, 120, 120)
    [reply] = member.say("ANNULER R-2026-00001")
    assert reply == "Le rapport R-2026-00001 est retiré."
    assert [r.status for r in reports(store)] == [WITHDRAWN, RECEIVED]
    assert counted(store, settings) == (1, 120, 120)


def test_three_copies_then_the_first_withdrawn_promote_one_and_repoint_the_other(
        member, store, settings):
    for _ in range(3):
        member.say("RAPPORT ASSAMAKA EXPULSION 120")
    member.say("ANNULER R-2026-00001")
    first, second, third = reports(store)
    assert (first.status, second.status, third.status) == (WITHDRAWN, RECEIVED, DUPLICATE)
    assert (third.id, second.id) in duplicate_links(store)
    assert counted(store, settings) == (1, 120, 120)


def test_a_correction_of_a_report_that_had_a_copy_counts_once(member, store, settings):
    member.say("RAPPORT ASSAMAKA EXPULSION 120")
    member.say("RAPPORT ASSAMAKA EXPULSION 120")
    member.say("RAPPORT ASSAMAKA EXPULSION 125 R-2026-00001")
    first, copy, correction = reports(store)
    assert (first.status, copy.status, correction.status) == (WITHDRAWN, DUPLICATE, RECEIVED)
    assert (copy.id, correction.id) in duplicate_links(store)
    assert counted(store, settings) == (1, 125, 125)


def test_a_rejected_original_hands_the_event_to_its_copy(
        member, client, store, settings):
    member.say("RAPPORT ASSAMAKA EXPULSION 120")
    member.say("RAPPORT ASSAMAKA EXPULSION 120")
    # The same running app, over https as the dashboard's secure cookies ask.
    dash = TestClient(client.app, base_url="https://testserver")
    csrf = signed_in(dash, store, "officer-1", "officer")
    dash.post("/dashboard/reports/R-2026-00001/reject",
                data={"csrf": csrf, "reason": "doublon envoyé par erreur"})
    assert [r.status for r in reports(store)] == [REJECTED, RECEIVED]
    assert counted(store, settings) == (1, 120, 120)


def test_reports_of_one_place_and_day_whose_counts_disagree_are_not_duplicates(
        client, twilio_api, store, settings, committee):
    one = sms_member(client, twilio_api, store, settings, NUMBER, committee)
    two = sms_member(client, twilio_api, store, settings, OTHER, committee)
    one.say("RAPPORT ASSAMAKA EXPULSION 120")
    two.say("RAPPORT ASSAMAKA EXPULSION 40")
    assert [r.status for r in reports(store)] == [RECEIVED, RECEIVED]
    assert duplicate_links(store) == set()
    assert counted(store, settings) == (2, 160, 160)


@pytest.mark.parametrize(("one", "other", "agree"), [
    (120, 118, True), (120, 95, True), (120, 40, False), (3, 7, True), (2, 9, False),
    (None, 40, True), (0, 5, True)])
def test_counts_agree_within_a_quarter_or_five_people(one, other, agree):
    assert counts_agree(one, other) is agree


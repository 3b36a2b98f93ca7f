"""Admins manage watch committees and the recipients of alerts and digests on the web."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.core.crypto import Vault, short_ref
from bot.core.models import Contact
from bot.core.recipients import Recipient
from bot.features.committees.models import (
    REVOKED,
    Committee,
    CommitteeMember,
    EnrolmentCode,
    person_ref,
)
from bot.features.dashboard.models import AuditEntry
from tests.committee_helpers import make_committee, sms_member
from tests.conftest import wait_outbox_drained
from tests.dashboard_support import signed_in
from tests.support import SmsUser

MEMBER = "+22790004101"
DUTY_NUMBER = "+22790554433"
DUTY_TYPED = "+227 90 55 44 33"
DUTY_CHAT = 777000222
PEOPLE = "/dashboard/admin/committees"
RECIPIENTS = "/dashboard/admin/recipients"


@pytest.fixture
def dash(settings, store):
    from webhooks.app import create_app

    settings.telegram_bot_username = "hanya_niger_bot"
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


def audit(store, prefix: str) -> list[tuple[str, str | None, str | None]]:
    with store.session() as session:
        return [(e.action, e.object_id, e.detail) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action.startswith(prefix))
            .order_by(AuditEntry.id))]


def shown_code(html: str) -> str:
    return re.search(r"<b>([A-Z2-9]{8})</b>", html)[1]  # type: ignore[index]


def add_recipient_form(dash, csrf: str, address: str, subscriptions: list[str],
                       **fields: str) -> object:
    data = {"csrf": csrf, "name": "Permanence SP/CCM", "address": address, "language": "fr",
            "subscriptions": subscriptions, "core": "yes"} | fields
    return dash.post(RECIPIENTS, data=data)


# --- committees ---------------------------------------------------------------------------------

def test_admin_creates_a_committee_issues_a_code_and_revokes_the_member_who_joined(
        dash, store, twilio_api, settings):
    csrf = signed_in(dash, store, "admin-1", "admin")
    page = dash.get(PEOPLE)
    assert page.status_code == 200 and '<option value="arlit">Arlit (Agadez)</option>' in page.text
    created = dash.post(PEOPLE, data={"csrf": csrf, "point": "arlit", "name": "Comité Arlit"})
    assert created.status_code == 200 and "Comité Comité Arlit créé." in created.text
    with store.session() as session:
        committee = session.scalars(select(Committee)).one()
        assert (committee.slug, committee.point_id, committee.region) == (
            "comite-arlit", "arlit", "NE001")

    issued = dash.post(f"{PEOPLE}/{committee.id}/code", data={"csrf": csrf, "expires_in": "7d"})
    code = shown_code(issued.text)
    assert f"<b>REJOINDRE {code}</b>" in issued.text
    assert f'href="https://t.me/hanya_niger_bot?start={code}"' in issued.text
    assert code not in dash.get(PEOPLE).text  # shown once, never again

    [reply] = SmsUser(dash, twilio_api, store, MEMBER).say(f"REJOINDRE {code}")
    assert "Comité Arlit (Arlit)" in reply
    with store.session() as session:
        member = session.scalars(select(CommitteeMember)).one()
        pseudonym = session.get(Contact, member.contact_id).pseudonym
    listing = dash.get(PEOPLE).text
    row = re.search(rf"<tr>\s*<td>{member.id}</td>.*?</tr>", listing, re.S)[0]
    # The one short pseudonym of bot.features.committees.models.person_ref (its reports' pages
    # show the same), never a piece of the contacts table's pseudonym.
    shown = person_ref(Vault(settings.secret_key_or_dev()), pseudonym)
    assert f"<code>{shown}</code>" in row and "<td>sms</td>" in row
    assert short_ref(pseudonym) not in listing
    assert "actif" in row and '<td class="n">1</td>' in listing  # one active member
    for needle in (MEMBER, MEMBER[1:], "90004101", pseudonym):
        assert needle not in listing

    revoked = dash.post(f"/dashboard/admin/members/{member.id}/revoke", data={"csrf": csrf})
    assert revoked.status_code == 200 and "révoqué" in revoked.text
    with store.session() as session:
        assert session.get(CommitteeMember, member.id).status == REVOKED
    assert audit(store, "committee.") + audit(store, "member.") == [
        ("committee.add", str(committee.id), "arlit"),
        ("committee.code", str(committee.id), "7d"),
        ("member.revoke", str(member.id), str(committee.id))]


def test_the_code_page_says_when_no_telegram_bot_is_configured(dash, store, settings):
    settings.telegram_bot_username = None
    csrf = signed_in(dash, store, "admin-1", "admin")
    committee = make_committee(store)
    issued = dash.post(f"{PEOPLE}/{committee}/code", data={"csrf": csrf, "expires_in": "1d"})
    assert issued.status_code == 200 and "t.me/" not in issued.text
    assert "HANYA_TELEGRAM_BOT_USERNAME" in issued.text
    with store.session() as session:
        assert session.scalars(select(EnrolmentCode)).one().committee_id == committee


@pytest.mark.parametrize(("point", "name"), [("timia", "Comité Timia"), ("arlit", "  "),
                                             ("assamaka", "Comité Assamaka")])
def test_an_unknown_point_an_empty_name_or_a_taken_name_is_refused(dash, store, point, name):
    make_committee(store, point="assamaka", name="Comité Assamaka", slug="comite-assamaka")
    csrf = signed_in(dash, store, "admin-1", "admin")
    refused = dash.post(PEOPLE, data={"csrf": csrf, "point": point, "name": name})
    assert refused.status_code == 400
    assert "Cela n’a pas fonctionné : choisissez un lieu et un nom" in refused.text
    with store.session() as session:
        assert len(session.scalars(select(Committee)).all()) == 1
    assert audit(store, "committee.") == []


def test_a_code_with_a_validity_not_offered_is_refused(dash, store):
    csrf = signed_in(dash, store, "admin-1", "admin")
    committee = make_committee(store)
    refused = dash.post(f"{PEOPLE}/{committee}/code", data={"csrf": csrf, "expires_in": "999w"})
    assert refused.status_code == 400
    with store.session() as session:
        assert session.scalars(select(EnrolmentCode)).all() == []


# --- recipients ---------------------------------------------------------------------------------

def test_a_recipient_added_on_the_page_gets_the_next_urgent_report(
        dash, store, settings, twilio_api, bot_api):
    csrf = signed_in(dash, store, "admin-1", "admin")
    added = add_recipient_form(dash, csrf, f"telegram:{DUTY_CHAT}", ["alerts"])
    assert added.status_code == 200 and "Destinataire Permanence SP/CCM enregistré." in added.text
    assert str(DUTY_CHAT) not in added.text and str(DUTY_CHAT) not in dash.get(RECIPIENTS).text

    member = sms_member(dash, twilio_api, store, settings, MEMBER, make_committee(store))
    member.say("RAPPORT AGADEZ MORTS 3 F1 hier")
    wait_outbox_drained(store)
    [alert] = bot_api.sent_texts(DUTY_CHAT)
    assert alert.startswith("URGENT R-2026-00001 : Décès à Agadez (Agadez).")
    with store.session() as session:
        recipient = session.scalars(select(Recipient)).one()
    assert audit(store, "recipient.") == [
        ("recipient.add", str(recipient.id), "telegram fr alerts core")]


def test_a_phone_recipient_gets_an_sos_until_deactivated_and_its_number_is_never_shown(
        dash, store, twilio_api):
    csrf = signed_in(dash, store, "admin-1", "admin")
    added = add_recipient_form(dash, csrf, DUTY_TYPED, ["alerts", "daily"], language="en",
                               core="no")
    page = dash.get(RECIPIENTS).text
    for body in (added.text, page):
        for needle in (DUTY_NUMBER, DUTY_NUMBER[1:], DUTY_TYPED, "90554433", "tel:"):
            assert needle not in body
    row = re.search(r"<tr>\s*<td>Permanence SP/CCM</td>.*?</tr>", page, re.S)[0]
    assert "<td>sms</td><td>en</td>" in row and "partenaire" in row

    SmsUser(dash, twilio_api, store, MEMBER).say("SOS")
    [alert] = [m.body for m in twilio_api.wait_sent(1, to=DUTY_NUMBER)]
    assert alert.startswith("SOS, place unknown")

    with store.session() as session:
        recipient_id = session.scalars(select(Recipient.id)).one()
    dash.post(f"{RECIPIENTS}/{recipient_id}/subscriptions",
              data={"csrf": csrf, "subscriptions": ["weekly", "alerts"]})
    dash.post(f"{RECIPIENTS}/{recipient_id}/deactivate", data={"csrf": csrf})
    with store.session() as session:
        recipient = session.get(Recipient, recipient_id)
        assert (recipient.subscriptions, recipient.active) == ("alerts,weekly", False)
    SmsUser(dash, twilio_api, store, "+22790004102").say("SOS")
    assert len(twilio_api.sent(DUTY_NUMBER)) == 1  # nothing more once deactivated
    assert [action for action, _, _ in audit(store, "recipient.")] == [
        "recipient.add", "recipient.subscriptions", "recipient.deactivate"]


@pytest.mark.parametrize(("address", "subscriptions"), [
    ("12345", ["alerts"]), ("telegram:abc", ["alerts"]), (f"telegram:{DUTY_CHAT}", [])])
def test_a_bad_address_or_no_subscription_is_refused_without_echoing_the_address(
        dash, store, address, subscriptions):
    csrf = signed_in(dash, store, "admin-1", "admin")
    refused = add_recipient_form(dash, csrf, address, subscriptions)
    assert refused.status_code == 400 and "Cela n’a pas fonctionné" in refused.text
    assert address not in refused.text
    with store.session() as session:
        assert session.scalars(select(Recipient)).all() == []


def test_subscriptions_cannot_be_emptied(dash, store):
    csrf = signed_in(dash, store, "admin-1", "admin")
    add_recipient_form(dash, csrf, f"telegram:{DUTY_CHAT}", ["daily"])
    with store.session() as session:
        recipient_id = session.scalars(select(Recipient.id)).one()
    refused = dash.post(f"{RECIPIENTS}/{recipient_id}/subscriptions", data={"csrf": csrf})
    assert refused.status_code == 400
    with store.session() as session:
        assert session.get(Recipient, recipient_id).subscriptions == "daily"


# --- who may ------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["officer", "partner", "editor"])
def test_other_roles_get_403_on_both_pages(dash, store, role):
    signed_in(dash, store, f"{role}-1", role)
    for path in (PEOPLE, RECIPIENTS):
        response = dash.get(path)
        assert response.status_code == 403 and "Non autorisé" in response.text
        assert "<table" not in response.text


def test_an_officer_posting_the_forms_gets_403_and_changes_nothing(dash, store):
    committee = make_committee(store)
    csrf = signed_in(dash, store, "officer-1", "officer")
    posts = [(PEOPLE, {"point": "arlit", "name": "Comité pirate"}),
             (f"{PEOPLE}/{committee}/code", {"expires_in": "7d"}),
             ("/dashboard/admin/members/1/revoke", {}),
             (RECIPIENTS, {"name": "X", "address": f"telegram:{DUTY_CHAT}", "language": "fr",
                           "subscriptions": "alerts"}),
             (f"{RECIPIENTS}/1/deactivate", {})]
    for path, data in posts:
        assert dash.post(path, data={"csrf": csrf} | data).status_code == 403, path
    with store.session() as session:
        assert len(session.scalars(select(Committee)).all()) == 1
        assert session.scalars(select(EnrolmentCode)).all() == []
        assert session.scalars(select(Recipient)).all() == []


def test_forms_without_the_sessions_csrf_token_are_refused(dash, store):
    committee = make_committee(store)
    signed_in(dash, store, "admin-1", "admin")
    for token in (None, "0" * 64):
        csrf = {"csrf": token} if token else {}
        assert dash.post(RECIPIENTS, data=csrf | {
            "name": "X", "address": f"telegram:{DUTY_CHAT}", "language": "fr",
            "subscriptions": "alerts"}).status_code == 403
        assert dash.post(f"{PEOPLE}/{committee}/code", data=csrf).status_code == 403
    with store.session() as session:
        assert session.scalars(select(Recipient)).all() == []
        assert session.scalars(select(EnrolmentCode)).all() == []


def test_the_admin_navigation_leads_to_both_pages(dash, store):
    signed_in(dash, store, "admin-1", "admin")
    nav = re.search(r"<nav>(.*?)</nav>", dash.get("/dashboard").text, re.S)[1]
    assert f'href="{PEOPLE}"' in nav and f'href="{RECIPIENTS}"' in nav


"""Reports, ideas, exports and the API, as each role sees them."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import hxl
import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from bot.core.crypto import Vault
from bot.core.messages import Outgoing
from bot.core.models import Contact, OutboxMessage
from bot.core.recipients import Recipient, add_recipient
from bot.features.committees.models import LINK_DUPLICATE, Committee, Report, ReportLink, issue_code
from bot.features.dashboard import auth
from bot.features.dashboard.exports import safe_cell
from bot.features.dashboard.models import AuditEntry
from bot.features.digests.models import DigestRun
from bot.features.ideas.models import Idea
from tests.dashboard_support import (
    LAST_MONTH,
    PHONE,
    PHONE_SPACED,
    seed_reports,
    seed_requests,
    signed_in,
)
from tests.support import SmsUser


@pytest.fixture
def dash(settings, store):
    from webhooks.app import create_app

    settings.run_sender = False
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


@pytest.fixture
def vault(settings):
    return Vault(settings.secret_key_or_dev())


def audit(store, action):
    with store.session() as session:
        return session.execute(select(AuditEntry.identifier, AuditEntry.object_id,
                                      AuditEntry.detail).where(AuditEntry.action == action)).all()


def test_report_list_filters_by_region_category_status_and_committee(dash, store, vault):
    seed_reports(store, vault)
    signed_in(dash, store, "officer-1", "officer")
    page = dash.get("/dashboard/reports?region=NE001&category=expulsion").text
    assert "R-2026-00001" in page and "R-2026-00002" in page
    assert "R-2026-00003" not in page and "R-2026-00004" not in page
    assert "R-2026-00005" not in page  # 60 days ago: outside the default 30-day period
    assert "R-2026-00004" in dash.get("/dashboard/reports?status=verified").text
    with store.session() as session:
        committee = session.scalar(select(Report.committee_id).where(
            Report.reference == "R-2026-00003"))
    page = dash.get(f"/dashboard/reports?committee={committee}").text
    assert "R-2026-00003" in page and "R-2026-00001" not in page


def test_verify_reject_and_duplicate_are_recorded_in_the_audit_log(dash, store, vault):
    seed_reports(store, vault)
    csrf = signed_in(dash, store, "officer-1", "officer")
    dash.post("/dashboard/reports/R-2026-00001/verify", data={"csrf": csrf})
    no_reason = dash.post("/dashboard/reports/R-2026-00003/reject", data={"csrf": csrf,
                                                                          "reason": " "})
    assert "Un rejet doit être motivé." in no_reason.text
    dash.post("/dashboard/reports/R-2026-00003/reject", data={"csrf": csrf,
                                                              "reason": "pas confirmé"})
    dash.post("/dashboard/reports/R-2026-00002/duplicate",
              data={"csrf": csrf, "duplicate_of": "r-2026-00001"})
    with store.session() as session:
        status = dict(session.execute(select(Report.reference, Report.status)).all())
        link = session.scalar(select(ReportLink))
    assert status["R-2026-00001"] == "verified" and status["R-2026-00003"] == "rejected"
    assert status["R-2026-00002"] == "duplicate" and link.kind == LINK_DUPLICATE
    assert audit(store, "report.verify") == [("officer-1", "R-2026-00001", None)]
    assert audit(store, "report.reject") == [("officer-1", "R-2026-00003", "pas confirmé")]
    assert audit(store, "report.duplicate") == [("officer-1", "R-2026-00002", "R-2026-00001")]
    detail = dash.get("/dashboard/reports/R-2026-00002").text
    assert 'href="/dashboard/reports/R-2026-00001"' in detail


def test_free_text_is_shown_on_request_audited_and_without_phone_numbers(dash, store, vault):
    seed_reports(store, vault)
    signed_in(dash, store, "officer-1", "officer")
    assert "RAPPORT" not in dash.get("/dashboard/reports/R-2026-00001").text
    assert audit(store, "report.view_text") == []
    page = dash.get("/dashboard/reports/R-2026-00001?text=true").text
    assert "RAPPORT ASSAMAKA EXPULSION 120" in page and "sans eau" in page
    assert PHONE not in page and "90 11 22 33" not in page and "[…]" in page
    assert audit(store, "report.view_text") == [("officer-1", "R-2026-00001", None)]


def test_hxl_report_export_parses_with_libhxl_and_matches_the_store(dash, store, vault):
    seed_reports(store, vault)
    signed_in(dash, store, "officer-1", "officer")
    response = dash.get("/dashboard/exports/reports.csv?hxl=true")
    assert response.status_code == 200
    data = hxl.data(io.BytesIO(response.content))
    rows = list(data)
    assert [c.display_tag for c in data.columns][:5] == [
        "#meta+id", "#date+occurred", "#date+reported", "#adm1+name", "#adm1+code"]
    with store.session() as session:
        in_period = Report.reference != "R-2026-00005"
        expected = session.execute(select(func.count(), func.sum(Report.total),
                                          func.sum(Report.women)).where(in_period)).one()
    assert len(rows) == expected[0]
    assert sum(int(r.get("#affected+total")) for r in rows) == expected[1]
    assert sum(int(r.get("#affected+f") or 0) for r in rows) == expected[2]
    assert {r.get("#adm1+code") for r in rows} == {"NE001", "NE007"}
    assert {r.get("#adm1+name") for r in rows} == {"Agadez", "Zinder"}
    # A committee named like a formula is neutralised, not run by a spreadsheet.
    assert "'=HYPERLINK(\"x\")" in {r.get("#org+committee") for r in rows}
    assert audit(store, "export.reports")[0][0] == "officer-1"


def test_requests_hxl_export_matches_the_store_for_officers(dash, store):
    seed_requests(store, {"NE001": 7, "NE008": 3})
    signed_in(dash, store, "officer-1", "officer")
    rows = list(hxl.data(io.BytesIO(dash.get("/dashboard/exports/requests.csv?hxl=true").content)))
    by_region = {r.get("#adm1+code"): int(r.get("#indicator+requests+num")) for r in rows}
    assert by_region == {"NE001": 7, "NE008": 3}


def test_partner_export_and_overview_suppress_small_counts(dash, store):
    seed_requests(store, {"NE001": 7, "NE008": 3}, at=LAST_MONTH)
    signed_in(dash, store, "partner-1", "partner")
    text = dash.get("/dashboard/exports/requests.csv").content.decode("utf-8-sig")
    rows = {r["region_pcode"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["NE001"]["requests"] == "7" and rows["NE001"]["point"] == ""
    assert rows["NE008"]["requests"] == "" and rows["NE008"]["note"] == "suppressed (<5)"
    page = dash.get("/dashboard").text
    assert "&lt;5" in page and "Niamey</td><td>NE008</td><td class=\"n\">&lt;5" in page


def test_api_token_follows_the_role_rules(dash, store):
    seed_requests(store, {"NE001": 7, "NE008": 3}, at=LAST_MONTH)
    with store.session() as session:
        partner, _ = auth.create_user(session, "illimi", "partner")
        officer, _ = auth.create_user(session, "officer-api", "officer")
        partner_token = auth.issue_api_token(session, partner)
        officer_token = auth.issue_api_token(session, officer)
    assert dash.get("/api/v1/requests").status_code == 401
    bearer = {"Authorization": f"Bearer {partner_token}"}
    body = dash.get("/api/v1/requests", headers=bearer).json()
    counts = {r["region_pcode"]: r["requests"] for r in body["rows"]}
    assert counts == {"NE001": 7, "NE008": None} and body["suppressed_below"] == 5
    indicators = dash.get("/api/v1/indicators", headers=bearer).json()
    assert indicators["requests"] == 10 and indicators["suppressed_below"] == 5
    first = LAST_MONTH.date().replace(day=1).isoformat()
    officer_body = dash.get(f"/api/v1/requests?start={first}",
                            headers={"Authorization": f"Bearer {officer_token}"}).json()
    assert sum(r["requests"] for r in officer_body["rows"]) == 10


def test_an_idea_answer_reaches_a_signed_submitter_through_the_outbox(dash, store, vault):
    with store.session() as session:
        contact = Contact(channel="sms", pseudonym=vault.pseudonym(f"tel:{PHONE}"),
                          address_enc=vault.encrypt(f"tel:{PHONE}"), language="fr")
        session.add(contact)
        session.flush()
        session.add(Idea(reference="I-2026-00001",
                         text_enc=vault.encrypt(f"réunion GTM à Arlit, tel {PHONE}"),
                         theme="coordination", signed=True, contact_id=contact.id,
                         channel="sms", language="fr"))
    csrf = signed_in(dash, store, "officer-1", "officer")
    listing = dash.get("/dashboard/ideas").text
    assert "réunion GTM à Arlit" in listing and PHONE not in listing
    dash.post("/dashboard/ideas/I-2026-00001", data={
        "csrf": csrf, "status": "discussed", "answer": "Vu en réunion du GTM."})
    with store.session() as session:
        idea = session.scalar(select(Idea))
        queued = session.scalars(select(OutboxMessage)).all()
    assert idea.status == "discussed" and idea.answer == "Vu en réunion du GTM."
    assert len(queued) == 1
    assert "Vu en réunion du GTM." in Outgoing.unseal(vault, queued[0].payload_enc).text
    assert audit(store, "idea.status") == [("officer-1", "I-2026-00001", "discussed")]


def test_no_page_or_export_shows_a_phone_number(settings, store, vault, twilio_api):
    from webhooks.app import create_app

    with TestClient(create_app(settings), base_url="https://testserver") as dash:
        _crawl_as_admin_after_real_traffic(dash, store, vault, twilio_api)


def _crawl_as_admin_after_real_traffic(dash, store, vault, twilio_api):
    person = SmsUser(dash, twilio_api, store, PHONE)
    person.say("INFO")
    person.say("3")  # French
    person.say("agadez")
    seed_reports(store, vault)
    with store.session() as session:  # the same person joins a committee (members table)
        committee = session.scalars(select(Committee).where(Committee.slug == "assamaka")).one()
        code, _row = issue_code(session, vault, committee, timedelta(days=1))
    assert "Comité Assamaka" in person.say(f"JOIN {code}")[0]
    with store.session() as session:  # a digest to a recipient reached at the same number
        recipient = add_recipient(session, vault, name="Permanence", address=f"tel:{PHONE}",
                                  language="fr", subscriptions=["daily"])
        session.add(DigestRun(digest="daily", period="2026-11-23", recipient_id=recipient.id,
                              messages=2))
        admin, _code = auth.create_user(session, "api-admin", "admin")
        bearer = {"Authorization": f"Bearer {auth.issue_api_token(session, admin)}"}
    signed_in(dash, store, "admin-1", "admin")
    pages = ["/dashboard", "/dashboard/reports", "/dashboard/reports/R-2026-00001?text=true",
             "/dashboard/ideas", "/dashboard/operations", "/dashboard/content",
             "/dashboard/admin/users", "/dashboard/admin/audit",
             "/dashboard/admin/committees", "/dashboard/admin/recipients",
             "/dashboard/exports/requests.csv", "/dashboard/exports/requests.csv?hxl=true",
             "/dashboard/exports/reports.csv", "/dashboard/exports/reports.csv?hxl=true",
             "/dashboard/exports/report-aggregates.csv",
             "/dashboard/exports/report-aggregates.csv?hxl=true",
             "/api/v1/reports", "/api/v1/requests", "/api/v1/indicators"]
    with store.session() as session:
        chat_ids = [c.pseudonym for c in session.scalars(select(Contact))]
        chat_ids += [r.pseudonym for r in session.scalars(select(Recipient))]
    assert "Permanence" in dash.get("/dashboard/operations").text
    assert "Permanence" in dash.get("/dashboard/admin/recipients").text
    assert "<td>Comité Assamaka</td><td>sms</td>" in dash.get("/dashboard/admin/committees").text
    for path in pages:
        response = dash.get(path, headers=bearer if path.startswith("/api/") else None)
        assert response.status_code == 200, path
        assert len(response.content) < 100_000, path  # light enough for a 2G link
        body = response.content.decode("utf-8-sig")
        for needle in (PHONE, PHONE[1:], PHONE_SPACED, "90112233", "tel:", *chat_ids):
            assert needle not in body, (path, needle)


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+227", "'+227"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "' =1"), ("\r=1", "'=1"), ("Agadez", "Agadez"), ("a\u202eb", "ab"), (7, 7),
])
def test_cells_are_neutralised_against_formulas_and_bidi(value, expected):
    assert safe_cell(value) == expected


def test_times_are_shown_in_niamey_time_with_the_zone_named(dash, store):
    from datetime import UTC, datetime

    from tests.dashboard_support import add_committee, add_report, signed_in

    committee = add_committee(store, "Comité Agadez")
    # 23:30 UTC on the 30th is 00:30 on the 1st in Niamey (UTC+1): the day changes too.
    reference = add_report(store, committee, datetime(2026, 11, 30, 23, 30, tzinfo=UTC),
                           total=12)
    signed_in(dash, store, "officer-tz", "officer")
    page = dash.get(f"/dashboard/reports/{reference}").text
    assert "2026-12-01 00:30 (Niamey)" in page and "UTC" not in page
    assert "2026-12-01" in dash.get("/dashboard/reports").text

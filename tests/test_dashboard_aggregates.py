"""Report figures for partners: aggregates by month, region and category, as CSV, HXL and JSON.

Partners get small counts suppressed ("<5" in a file, null in JSON) and nothing finer than a
region; officers get exact figures and the verified count. Never a text, a reporter, a point.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import hxl
import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from bot.features.committees.models import NOTHING, Report
from bot.features.dashboard import auth
from bot.features.dashboard.models import AuditEntry
from tests.dashboard_support import add_committee, add_report, signed_in

PERIOD = "start=2026-01-01&end=2026-02-28"  # staff: any day range
EXPORT = f"/dashboard/exports/report-aggregates.csv?{PERIOD}"
# Partners: whole months that are over (webhooks/dashboard/periods.py).
PARTNER_EXPORT = "/dashboard/exports/report-aggregates.csv?month="


@pytest.fixture
def dash(settings, store):
    from webhooks.app import create_app

    settings.run_sender = False
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


def at(day: str, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=UTC)


def seed(store) -> None:
    """January: 5 expulsions in Agadez (2 verified), 1 stranded in Zinder; February (Niamey
    time): 6 expulsions in Agadez, one of 23:30 UTC on 31 January. Left out: a duplicate, a
    rejected report, a RAS, and a report from March."""
    assamaka = add_committee(store, "Comité Assamaka")
    agadez = add_committee(store, "Comité Agadez")
    zinder = add_committee(store, "Comité Zinder", region="NE007")
    january = [(assamaka, 100, 20, 30, "verified"), (assamaka, 50, 10, 5, "verified"),
               (agadez, 30, 4, 6, "received"), (agadez, 20, 3, 1, "received"),
               (assamaka, 10, 2, 0, "received")]
    for i, (committee, total, women, children, status) in enumerate(january):
        add_report(store, committee, at(f"2026-01-{10 + i:02d}"), total=total, women=women,
                   children=children, status=status)
    add_report(store, zinder, at("2026-01-20"), category="stranded", region="NE007", total=12,
               women=3)
    add_report(store, agadez, at("2026-01-31", 23, 30), total=8, women=1, children=2)
    for day in range(2, 7):
        add_report(store, assamaka, at(f"2026-02-{day:02d}"), total=8, women=0, children=2)
    add_report(store, assamaka, at("2026-01-12"), total=99, status="duplicate")
    add_report(store, agadez, at("2026-01-13"), total=99, status="rejected")
    add_report(store, agadez, at("2026-01-14"), category=NOTHING)
    add_report(store, agadez, at("2026-03-01"), total=99)


def audit(store, action):
    with store.session() as session:
        return session.execute(select(AuditEntry.identifier, AuditEntry.detail).where(
            AuditEntry.action == action)).all()


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_officer_hxl_export_parses_with_libhxl_and_matches_the_store(dash, store):
    seed(store)
    signed_in(dash, store, "officer-1", "officer")
    data = hxl.data(io.BytesIO(dash.get(f"{EXPORT}&hxl=true").content))
    rows = list(data)
    assert [c.display_tag for c in data.columns] == [
        "#date+month", "#adm1+name", "#adm1+code", "#event+type", "#indicator+reports+num",
        "#affected+total", "#affected+f", "#affected+children", "#indicator+reports+verified+num",
        "#meta+note"]
    cells = {(r.get("#date+month"), r.get("#adm1+code"), r.get("#event+type")): [
        int(r.get(tag) or 0) for tag in ("#indicator+reports+num", "#affected+total", "#affected+f",
                                    "#affected+children", "#indicator+reports+verified+num")]
        for r in rows}
    assert cells == {("2026-01", "NE001", "expulsion"): [5, 210, 39, 42, 2],
                     ("2026-01", "NE007", "stranded"): [1, 12, 3, 0, 0],
                     ("2026-02", "NE001", "expulsion"): [6, 48, 1, 12, 0]}
    assert {r.get("#adm1+name") for r in rows} == {"Agadez", "Zinder"}
    with store.session() as session:  # the same figures, straight from the store
        counted = session.execute(select(
            func.count(), func.sum(Report.total), func.sum(Report.women),
            func.sum(Report.children)).where(  # 1 January to 28 February, Niamey time (UTC+1)
            Report.occurred_at >= at("2025-12-31", 23), Report.occurred_at < at("2026-02-28", 23),
            Report.status.not_in(["duplicate", "rejected", "withdrawn"]),
            Report.category != NOTHING)).one()
    assert [sum(v[i] for v in cells.values()) for i in range(4)] == list(counted)
    # What the figures count is written on every row (the definition the dashboard shows).
    assert {r.get("#meta+note") for r in rows} == {
        "Reports received in the period (Niamey time), excluding duplicates, withdrawn and "
        "rejected reports and \u201cnothing to report\u201d messages. People, women and children "
        "add the numbers the reports gave; a number no report gave is left blank."}
    assert audit(store, "export.report_aggregates") == [
        ("officer-1", "2026-01-01..2026-02-28 hxl")]


def test_partner_gets_region_level_aggregates_with_small_counts_suppressed(dash, store):
    seed(store)
    signed_in(dash, store, "partner-1", "partner")
    rows = csv_rows(dash.get(PARTNER_EXPORT + "2026-01"))
    rows += csv_rows(dash.get(PARTNER_EXPORT + "2026-02"))
    assert list(rows[0]) == ["month", "region", "region_pcode", "category", "reports", "total",
                             "women", "children", "note"]  # no point, verified, committee
    cells = {(r["month"], r["region_pcode"], r["category"]): [
        r["reports"], r["total"], r["women"], r["children"]] for r in rows}
    assert cells == {
        ("2026-01", "NE001", "expulsion"): ["5", "210", "39", "42"],
        # One report: every figure of the row would point at its committee. Issue 21: the
        # people column read "<5" for 12 people; now no figure can be misread.
        ("2026-01", "NE007", "stranded"): ["suppressed"] * 4,
        # Six reports are shown; the one woman among them is not.
        ("2026-02", "NE001", "expulsion"): ["6", "48", "suppressed", "12"]}
    notes = {(r["month"], r["region_pcode"]): r["note"] for r in rows}
    assert "suppressed" not in notes[("2026-01", "NE001")]
    assert "fewer than 5 reports in this row, so every figure of it is withheld" in notes[
        ("2026-01", "NE007")]
    assert "count from 1 to 4 is withheld" in notes[("2026-02", "NE001")]
    assert all(not cell.startswith("<") for r in rows for cell in r.values())
    body = dash.get(f"{PARTNER_EXPORT}2026-01&hxl=true").content.decode("utf-8-sig")
    for leaked in ("Comité", "reporter-", "R-2026-", "agadez", "#loc", "#org", "#meta+id"):
        assert leaked not in body
    assert [d for _who, d in audit(store, "export.report_aggregates")] == [
        "2026-01-01..2026-01-31 csv", "2026-02-01..2026-02-28 csv", "2026-01-01..2026-01-31 hxl"]


def test_a_cell_that_looks_like_a_formula_is_neutralised(dash, store):
    committee = add_committee(store, "Comité Arlit")
    for day in range(1, 6):
        add_report(store, committee, at(f"2026-01-{day:02d}"), category="=HYPERLINK(\"x\")",
                   total=7)
    signed_in(dash, store, "partner-1", "partner")
    rows = csv_rows(dash.get(PARTNER_EXPORT + "2026-01"))
    assert [(r["category"], r["reports"], r["total"]) for r in rows] == [
        ("'=HYPERLINK(\"x\")", "5", "35")]


def test_api_reports_follow_the_role_rules(dash, store):
    seed(store)
    with store.session() as session:
        partner, _ = auth.create_user(session, "illimi", "partner")
        officer, _ = auth.create_user(session, "officer-api", "officer")
        partner_token = auth.issue_api_token(session, partner)
        officer_token = auth.issue_api_token(session, officer)
    assert dash.get(f"/api/v1/reports?{PERIOD}").status_code == 401
    bearer = {"Authorization": f"Bearer {partner_token}"}
    body = dash.get("/api/v1/reports?month=2026-01", headers=bearer).json()
    assert body["suppressed_below"] == 5 and body["period"] == {
        "start": "2026-01-01", "end": "2026-01-31"}
    body["rows"] += dash.get("/api/v1/reports?month=2026-02", headers=bearer).json()["rows"]
    assert body["definition"].startswith("Reports received in the period (Niamey time)")
    zinder = body["rows"][1]
    assert "fewer than 5 reports in this row" in zinder.pop("note")
    assert zinder == {"month": "2026-01", "region": "Zinder", "region_pcode": "NE007",
                      "category": "stranded", "reports": None, "total": None, "women": None,
                      "children": None,
                      "suppressed": ["reports", "total", "women", "children"]}
    assert body["rows"][2]["reports"] == 6 and body["rows"][2]["women"] is None
    assert body["rows"][2]["suppressed"] == ["women"]
    officer_body = dash.get(f"/api/v1/reports?{PERIOD}",
                            headers={"Authorization": f"Bearer {officer_token}"}).json()
    assert officer_body["suppressed_below"] is None
    assert [(r["reports"], r["women"], r["verified"]) for r in officer_body["rows"]] == [
        (5, 39, 2), (1, 3, 0), (6, 1, 0)]
    for row in body["rows"] + officer_body["rows"]:
        assert not {"reference", "reporter", "text", "description", "point", "committee"} & set(
            row)
    assert sorted(who for who, _d in audit(store, "api.reports")) == [
        "illimi", "illimi", "officer-api"]


def test_the_overview_links_partners_to_the_report_aggregates(dash, store):
    signed_in(dash, store, "partner-1", "partner")
    page = dash.get("/dashboard").text
    assert "Rapports par mois, région et catégorie (HXL)" in page
    assert "/dashboard/exports/report-aggregates.csv?month=" in page
    assert "/dashboard/exports/reports.csv" not in page


def test_partner_overview_withholds_people_of_few_reports_without_a_misleading_small_count(
        dash, store):
    # Issue 21: two reports of 150 people read "<5" people on the partner's overview.
    arlit = add_committee(store, "Comité Arlit")
    for day in (3, 4):
        add_report(store, arlit, at(f"2026-03-{day:02d}"), total=75, women=10, children=20)
    signed_in(dash, store, "partner-1", "partner")
    page = dash.get("/dashboard?month=2026-03").text
    cards = {label: value for value, label in re.findall(
        r'<div class="card"><b>([^<]*)</b><span>([^<]*)</span>', page)}
    people = ("Personnes comptées dans les rapports", "Dont femmes", "Dont enfants")
    assert [cards[label] for label in people] == ["masqué"] * 3, cards
    assert cards["Rapports reçus"] == "&lt;5"  # the reports themselves are few: "<5" is true
    assert "quel que soit leur nombre, quand moins de 5 rapports les ont donnés" in page
    signed_in(dash, store, "officer-1", "officer")
    cards = dict((label, value) for value, label in re.findall(
        r'<div class="card"><b>([^<]*)</b><span>([^<]*)</span>',
        dash.get("/dashboard?start=2026-03-01&end=2026-03-31").text))
    assert (cards["Rapports reçus"], cards[people[0]]) == ("2", "150")


def test_partner_overview_reads_a_count_no_report_gave_as_empty_not_as_a_small_count(
        dash, store):
    # Issue 21: five reports that gave no number, or no report at all, read "<5" people on the
    # partner's overview, a small number where there is none; the staff's page reads "—".
    arlit = add_committee(store, "Comité Arlit")
    for day in range(3, 8):
        add_report(store, arlit, at(f"2026-03-{day:02d}"))  # no count given
    signed_in(dash, store, "partner-1", "partner")
    people = ("Personnes comptées dans les rapports", "Dont femmes", "Dont enfants")
    for month, reports in (("2026-03", "5"), ("2026-04", "0")):
        cards = {label: value for value, label in re.findall(
            r'<div class="card"><b>([^<]*)</b><span>([^<]*)</span>',
            dash.get(f"/dashboard?month={month}").text)}
        assert cards["Rapports reçus"] == reports
        assert [cards[label] for label in people] == ["—"] * 3, (month, cards)

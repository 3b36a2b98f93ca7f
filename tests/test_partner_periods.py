"""Partners get whole months that are over, everywhere: no two of their queries can be
subtracted to reveal a count that suppression hides (webhooks/dashboard/periods.py)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from itertools import combinations

import pytest
from starlette.testclient import TestClient

from bot.features.dashboard import auth
from bot.features.dashboard import indicators as ind
from tests.dashboard_support import add_committee, add_report, seed_requests, signed_in

TODAY = date.today()
LAST = ind.last_whole_month(TODAY)  # the newest month a partner may ask for
BEFORE = ind.last_whole_month(LAST.start)
SMALL_DAY = LAST.start + timedelta(days=9)  # one report of 4 people, 1 woman, 2 children


@pytest.fixture
def dash(settings, store):
    from webhooks.app import create_app

    settings.run_sender = False
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


@pytest.fixture
def seeded(store) -> None:
    committee = add_committee(store, "Comité Assamaka")
    for month in (BEFORE, LAST):
        for day in range(1, 7):  # six reports a month: published
            add_report(store, committee, _noon(month.start + timedelta(days=day)), total=20,
                       women=5, children=5)
    add_report(store, committee, _noon(SMALL_DAY), total=4, women=1, children=2)
    seed_requests(store, {"NE001": 7, "NE008": 3},
                  at=datetime.combine(LAST.start + timedelta(days=3), time(12), UTC))


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), UTC)


def _token(store, role: str) -> dict[str, str]:
    with store.session() as session:
        user, _ = auth.create_user(session, f"{role}-api", role)
        return {"Authorization": f"Bearer {auth.issue_api_token(session, user)}"}


def _day_range(first: date, last: date) -> str:
    return f"start={first}&end={last}"


# The 2026-11 attack, moved to the last whole month: the same range, then one day more.
ATTACK = (_day_range(LAST.start, SMALL_DAY - timedelta(days=1)),
          _day_range(LAST.start, SMALL_DAY))
# Queries a partner might try: day ranges, weeks, months, malformed months, this month.
CANDIDATES = [*ATTACK, _day_range(BEFORE.start, LAST.end), "end=" + str(SMALL_DAY),
              "", f"month={LAST.start:%Y-%m}", f"month={BEFORE.start:%Y-%m}",
              f"month={TODAY:%Y-%m}", f"month={TODAY + timedelta(days=40):%Y-%m}",
              "month=2026-13", "month=last", f"week={SMALL_DAY:%G-W%V}"]


def test_the_overlapping_range_attack_works_for_staff_and_is_refused_to_partners(
        dash, store, seeded):
    """An officer may subtract (exact counts anyway); a partner gets a 400 saying why."""
    officer, partner = _token(store, "officer"), _token(store, "partner")
    narrow, wide = (dash.get(f"/api/v1/reports?{q}", headers=officer).json() for q in ATTACK)
    difference = tuple(w - n for w, n in zip(_totals(wide), _totals(narrow), strict=True))
    assert difference == (1, 4, 1, 2)  # one report of 4 people: what suppression must hide
    for query in ATTACK:
        response = dash.get(f"/api/v1/reports?{query}", headers=partner)
        assert response.status_code == 400
        assert "whole months" in response.json()["detail"]


def _totals(body: dict) -> tuple[int, ...]:
    rows = body["rows"]
    return tuple(sum(r[k] or 0 for r in rows) for k in ("reports", "total", "women", "children"))


@pytest.mark.parametrize("path", ["/api/v1/reports", "/api/v1/requests", "/api/v1/indicators"])
def test_no_two_partner_queries_can_be_subtracted(dash, store, seeded, path):
    """Of every query a partner can get answered, two either cover the same days (and give
    the same figures) or share none: a difference never isolates a suppressed count."""
    partner = _token(store, "partner")
    answered = {}
    for query in CANDIDATES:
        response = dash.get(f"{path}?{query}", headers=partner)
        assert response.status_code in (200, 400), (query, response.status_code)
        if response.status_code == 200:
            body = response.json()
            period = ind.Period(date.fromisoformat(body["period"]["start"]),
                                date.fromisoformat(body["period"]["end"]))
            answered[query] = (period, body)
        else:
            assert response.json()["detail"]
    assert {p for p, _ in answered.values()} == {LAST, BEFORE}
    for (p, body_p), (q, body_q) in combinations(answered.values(), 2):
        if p == q:
            assert body_p == body_q
        else:  # disjoint whole months
            assert p.end < q.start or q.end < p.start


def test_csv_hxl_and_the_overview_take_whole_months_from_partners(dash, store, seeded):
    signed_in(dash, store, "partner-1", "partner")
    for export in ("requests.csv", "report-aggregates.csv"):
        for hxl in ("", "&hxl=true"):
            refused = dash.get(f"/dashboard/exports/{export}?{ATTACK[1]}{hxl}")
            assert refused.status_code == 400
            month = dash.get(f"/dashboard/exports/{export}?month={LAST.start:%Y-%m}{hxl}")
            assert month.status_code == 200
    rows = list(csv.DictReader(io.StringIO(dash.get(
        f"/dashboard/exports/report-aggregates.csv?month={LAST.start:%Y-%m}")
        .content.decode("utf-8-sig"))))
    assert [(r["reports"], r["total"]) for r in rows] == [("7", "124")]
    page = dash.get(f"/dashboard?{ATTACK[1]}")
    assert page.status_code == 400
    assert "Les partenaires voient des mois entiers" in page.text
    overview = dash.get("/dashboard").text  # the last month over, with a month picker
    assert f'name="month" value="{LAST.start:%Y-%m}"' in overview
    assert 'name="start"' not in overview


def test_staff_keep_any_day_range(dash, store, seeded):
    signed_in(dash, store, "officer-1", "officer")
    page = dash.get(f"/dashboard?{ATTACK[1]}")
    assert page.status_code == 200 and 'name="start"' in page.text

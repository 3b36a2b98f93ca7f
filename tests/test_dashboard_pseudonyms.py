"""One short pseudonym per committee member (issue 21): the report page and the committee page
(and ``hanya committee members``) showed two different ones for the same person. Two members
report by SMS through the real webhook; each one's report page names the same pseudonym as the
committee page and the CLI, and an erased member reads "erased" on both pages."""

from __future__ import annotations

import re

from starlette.testclient import TestClient
from typer.testing import CliRunner

from bot.app import cli_committee
from bot.app.cli import app
from tests.committee_helpers import make_committee, reports, sms_member
from tests.dashboard_support import signed_in


def pseudonyms_on_committee_page(dash: TestClient) -> list[str]:
    page = dash.get("/dashboard/admin/committees").text
    return re.findall(r"<td><code>([^<]+)</code></td>", page)


def pseudonym_on_report_page(dash: TestClient, reference: str) -> str:
    page = dash.get(f"/dashboard/reports/{reference}").text
    return re.search(r"<td><code>([^<]+)</code></td>", page)[1]  # type: ignore[index]


def test_a_member_has_one_pseudonym_on_every_page_and_in_the_cli(client, twilio_api, store,
                                                                  settings, monkeypatch):
    committee = make_committee(store)
    amina = sms_member(client, twilio_api, store, settings, "+22790002001", committee)
    bachir = sms_member(client, twilio_api, store, settings, "+22790002002", committee)
    amina.say("RAPPORT ASSAMAKA EXPULSION 120 F25 E15")
    bachir.say("RAPPORT ASSAMAKA BLOQUES 12")
    by_reference = {r.reference: r for r in reports(store)}
    assert len(by_reference) == 2
    dash = TestClient(client.app, base_url="https://testserver")
    signed_in(dash, store, "admin-pseudo", "admin")
    listed = pseudonyms_on_committee_page(dash)
    shown = [pseudonym_on_report_page(dash, ref) for ref in sorted(by_reference)]
    assert len(set(shown)) == 2 and sorted(shown) == sorted(listed)
    # Short, and not the contacts table's pseudonym (a report must not join back to it).
    assert all(len(p) == 10 for p in shown)
    for name, value in settings.model_dump().items():
        if isinstance(value, str):
            monkeypatch.setenv(f"HANYA_{name.upper()}", value)
    monkeypatch.setenv("HANYA_SECRET_KEY", settings.secret_key.get_secret_value())
    # rich cuts columns to the terminal's width, read once when the console was made
    monkeypatch.setattr(cli_committee.console, "width", 200)
    out = CliRunner().invoke(app, ["committee", "members"]).output
    assert all(p in out for p in shown), out
    # DELETE: the member is erased on both pages alike.
    amina.say("SUPPRIMER")
    amina.say("OUI")
    erased = [pseudonym_on_report_page(dash, ref) for ref in sorted(by_reference)]
    assert erased.count("(effacé)") == 1
    assert sorted(pseudonyms_on_committee_page(dash)) == sorted(erased)

"""Signing in to the dashboard: access codes, throttling, sessions, CSRF, cookies, roles, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient
from typer.testing import CliRunner

from bot.app.cli import app as cli_app
from bot.core.crypto import Vault
from bot.core.models import utcnow
from bot.features.dashboard.models import (
    AuditEntry,
    DashboardSession,
    DashboardUser,
    SignInThrottle,
)
from tests.dashboard_support import add_user, csrf_of, seed_reports, sign_in, signed_in


@pytest.fixture
def dash(settings, store):
    from webhooks.app import create_app

    settings.run_sender = False
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


def audit_actions(store) -> list[str]:
    with store.session() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_pages_send_a_stranger_to_the_sign_in_form(dash):
    response = dash.get("/dashboard/reports", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/sign-in?next=/dashboard/reports"


def test_sign_in_sets_a_strict_session_cookie_and_is_audited(dash, store):
    code = add_user(store, "officer-1", "officer")
    response = sign_in(dash, "officer-1", code)
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    cookie = next(h for h in response.headers.get_list("set-cookie")
                  if h.startswith("hanya_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    assert dash.get("/dashboard").status_code == 200
    assert audit_actions(store) == ["sign_in"]
    with store.session() as session:
        stored = session.scalar(select(DashboardUser.code_hash))
    assert stored.startswith("$argon2id$") and code not in stored


def test_cookie_is_not_secure_on_a_plain_http_deployment(settings, store):
    from webhooks.app import create_app

    settings.public_url, settings.run_sender = "http://127.0.0.1:8000", False
    code = add_user(store, "officer-1", "officer")
    with TestClient(create_app(settings)) as client:
        response = sign_in(client, "officer-1", code)
    cookie = next(h for h in response.headers.get_list("set-cookie")
                  if h.startswith("hanya_session="))
    assert "HttpOnly" in cookie and "Secure" not in cookie


def test_wrong_code_and_unknown_identifier_get_the_same_answer(dash, store):
    add_user(store, "officer-1", "officer")
    wrong = sign_in(dash, "officer-1", "aaaa-bbbb-cccc-dddd")
    unknown = sign_in(dash, "nobody", "aaaa-bbbb-cccc-dddd")
    assert wrong.status_code == unknown.status_code == 401
    assert "Identifiant ou code d’accès incorrect." in wrong.text
    assert audit_actions(store) == ["sign_in.refused", "sign_in.refused"]


def test_five_failures_hold_back_this_address_for_a_while(dash, store, settings):
    code = add_user(store, "officer-1", "officer")
    statuses = [sign_in(dash, "officer-1", "wrong-code").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    right = sign_in(dash, "officer-1", code)
    assert right.status_code == 429 and "hanya_session=" not in right.headers.get(
        "set-cookie", "")
    assert "sign_in.throttled" in audit_actions(store)
    with store.session() as session:  # the wait runs out
        session.execute(update(SignInThrottle).values(blocked_until=utcnow() - timedelta(
            seconds=1)))
    assert sign_in(dash, "officer-1", code).status_code == 303


def test_sign_in_rotates_the_session_token(dash, store):
    code = add_user(store, "officer-1", "officer")
    sign_in(dash, "officer-1", code)
    first = dash.cookies.get("hanya_session")
    sign_in(dash, "officer-1", code)
    second = dash.cookies.get("hanya_session")
    assert first and second and first != second
    with store.session() as session:
        assert session.scalar(select(DashboardSession).where(
            DashboardSession.user_id == DashboardUser.id)) is not None
        count = len(session.scalars(select(DashboardSession)).all())
    assert count == 1  # the planted or previous token no longer opens anything


def test_idle_session_expires(dash, store, settings):
    signed_in(dash, store, "officer-1", "officer")
    with store.session() as session:
        session.execute(update(DashboardSession).values(last_seen_at=utcnow() - timedelta(
            minutes=settings.dashboard_idle_minutes + 1)))
    response = dash.get("/dashboard", follow_redirects=False)
    assert response.status_code == 303 and "/dashboard/sign-in" in response.headers["location"]


def test_session_expires_after_its_maximum_life_even_when_used(dash, store):
    signed_in(dash, store, "officer-1", "officer")
    with store.session() as session:
        session.execute(update(DashboardSession).values(expires_at=utcnow() - timedelta(
            seconds=1)))
    assert dash.get("/dashboard", follow_redirects=False).status_code == 303


def test_sign_in_form_without_its_csrf_token_is_refused(dash, store):
    code = add_user(store, "officer-1", "officer")
    dash.get("/dashboard/sign-in")
    response = dash.post("/dashboard/sign-in", data={"identifier": "officer-1", "code": code,
                                                      "csrf": "forged"})
    assert response.status_code == 403 and "hanya_session" not in dash.cookies


def test_post_without_or_with_a_foreign_csrf_token_is_refused(dash, store, settings):
    csrf = signed_in(dash, store, "admin-1", "admin")
    for token in (None, "0" * 64):
        data = {"identifier": "new-one", "role": "partner"} | ({"csrf": token} if token else {})
        response = dash.post("/dashboard/admin/users", data=data)
        assert response.status_code == 403
    assert dash.post("/dashboard/admin/users", data={
        "identifier": "new-one", "role": "partner", "csrf": csrf}).status_code == 200
    with store.session() as session:
        assert session.scalar(select(DashboardUser).where(
            DashboardUser.identifier == "new-one")).role == "partner"


def test_sign_out_ends_the_session(dash, store):
    csrf = signed_in(dash, store, "officer-1", "officer")
    assert dash.post("/dashboard/sign-out", data={"csrf": csrf},
                     follow_redirects=False).status_code == 303
    assert dash.get("/dashboard", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("path", [
    "/dashboard/reports", "/dashboard/reports/R-2026-00001", "/dashboard/ideas",
    "/dashboard/operations", "/dashboard/admin/users", "/dashboard/admin/audit",
    "/dashboard/content", "/dashboard/exports/reports.csv"])
def test_a_partner_guessing_a_url_gets_403(dash, store, settings, path):
    seed_reports(store, Vault(settings.secret_key_or_dev()))
    signed_in(dash, store, "partner-1", "partner")
    response = dash.get(path)
    assert response.status_code == 403 and "Non autorisé" in response.text
    for leaked in ("Comité Assamaka", "RAPPORT", "<table", "R-2026-00002"):
        assert leaked not in response.text


def test_an_editor_sees_content_review_but_not_reports(dash, store):
    signed_in(dash, store, "editor-1", "editor")
    page = dash.get("/dashboard/content")
    assert page.status_code == 200 and 'href="/preview"' in page.text
    assert "national-police" not in page.text and "Police" in page.text  # due: never verified
    assert dash.get("/dashboard/reports").status_code == 403


def test_admin_sees_the_audit_log(dash, store):
    signed_in(dash, store, "admin-1", "admin")
    page = dash.get("/dashboard/admin/audit")
    assert page.status_code == 200 and "sign_in" in page.text and "admin-1" in page.text


def test_language_switch_to_english(dash, store):
    signed_in(dash, store, "officer-1", "officer")
    assert "Indicateurs" in dash.get("/dashboard").text
    dash.get("/dashboard/language/en?next=/dashboard")
    assert "Indicators" in dash.get("/dashboard").text


def test_language_switch_never_redirects_off_site(dash):
    response = dash.get("/dashboard/language/en?next=//evil.example", follow_redirects=False)
    assert response.headers["location"] == "/dashboard"


def test_cli_adds_a_user_and_prints_the_code_once(settings, store, monkeypatch):
    monkeypatch.setenv("HANYA_DATABASE_URL", settings.database_url)
    from bot.core.settings import get_settings

    get_settings.cache_clear()
    try:
        runner = CliRunner()
        added = runner.invoke(cli_app, ["user", "add", "officer-9", "--role", "officer"])
        assert added.exit_code == 0, added.output
        code = added.output.strip().splitlines()[-1]
        listed = runner.invoke(cli_app, ["user", "list"])
        token = runner.invoke(cli_app, ["user", "token", "officer-9"])
    finally:
        get_settings.cache_clear()
    assert "officer-9" in listed.output and code not in listed.output
    assert token.exit_code == 0 and token.output.strip().splitlines()[-1].startswith("hanya_")
    with store.session() as session:
        user = session.scalar(select(DashboardUser).where(DashboardUser.identifier == "officer-9"))
    from bot.features.dashboard.auth import _verify

    assert user.role == "officer" and _verify(user.code_hash, code)


def test_csrf_of_reads_the_hidden_field():
    assert csrf_of('<input type="hidden" name="csrf" value="abc">') == "abc"


def test_dashboard_strings_never_reach_the_bots_catalogs(settings):
    from bot.core.content import load_content

    bundle = load_content(settings.content_dir, settings.locales_dir)
    assert bundle.translator("fr").gettext("Reports verified") == "Reports verified"


def test_the_content_page_counts_topics_as_content_stats_does(dash, store, settings):
    import re

    from bot.app.content_stats import topic_coverage
    from bot.core.content import load_content

    signed_in(dash, store, "editor-2", "editor")
    dash.get("/dashboard/language/en?next=/dashboard/content")
    page = dash.get("/dashboard/content").text
    content = load_content(settings.content_dir, settings.locales_dir)
    for code in content.languages:
        c = topic_coverage(content, code)
        row = re.search(rf"\({code}\)</td>(.*?)</tr>", page).group(1)  # type: ignore[union-attr]
        cells = re.findall(r'<td class="n">([^<]*)</td>', row)
        assert cells == [f"{c.translated} / {c.total}", str(c.draft), str(c.missing),
                         str(len(c.stale))], code
    hausa = topic_coverage(content, "ha")
    assert hausa.missing > 0  # Hausa has few topics of its own: never shown as complete

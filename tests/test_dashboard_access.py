"""Sign-in failures hold back one address for one identifier, never the account; unknown and
known identifiers are answered alike; code verifications are capped; API tokens can be revoked
and die with a code reset or a deactivation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient
from typer.testing import CliRunner

from bot.app.cli import app as cli_app
from bot.core.models import utcnow
from bot.features.dashboard import auth
from bot.features.dashboard.models import ApiToken, DashboardUser, SignInThrottle
from tests.dashboard_support import add_user, csrf_of, seed_requests, sign_in, signed_in

ATTACKER = ("203.0.113.66", 40000)
OWNER = ("198.51.100.7", 41000)


@pytest.fixture
def app(settings, store):
    from webhooks.app import create_app

    settings.run_sender = False
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client.app


def browser(app, address=("testclient", 50000)) -> TestClient:
    """Another browser on the running app, from ``address``."""
    return TestClient(app, base_url="https://testserver", client=address)


def wait_over(store) -> None:
    with store.session() as session:
        session.execute(update(SignInThrottle).values(
            blocked_until=utcnow() - timedelta(seconds=1)))


# --- item 7: no lockout, no telling which identifiers exist ---------------------------------

def test_a_strangers_failures_never_refuse_the_right_code_from_another_address(app, store):
    code = add_user(store, "officer-1", "officer")
    attacker = browser(app, ATTACKER)
    statuses = [sign_in(attacker, "officer-1", "wrong-code").status_code for _ in range(12)]
    assert statuses == [401] * 4 + [429] * 8
    assert sign_in(attacker, "officer-1", code).status_code == 429  # held back, not verified
    owner = browser(app, OWNER)
    assert sign_in(owner, "officer-1", code).status_code == 303


def test_unknown_and_known_identifiers_get_the_same_answers(app, store):
    add_user(store, "officer-1", "officer")
    answers = {}
    for identifier in ("officer-1", "nobody-at-all"):
        client = browser(app, ATTACKER)
        responses = [sign_in(client, identifier, "wrong-code") for _ in range(7)]
        # Retry-After counts down (30, then 29 a second later): whether it is there, not its
        # value, is what must not differ.
        answers[identifier] = [(r.status_code, "retry-after" in r.headers,
                                r.text.replace(csrf_of(r.text), "")) for r in responses]
    assert answers["officer-1"] == answers["nobody-at-all"]
    assert [status for status, _, _ in answers["officer-1"]] == [401] * 4 + [429] * 3
    assert "Trop d’échecs depuis cet endroit" in answers["officer-1"][-1][2]


def test_the_wait_doubles_with_each_failure_past_the_free_ones(app, store, settings):
    add_user(store, "officer-1", "officer")
    client = browser(app, ATTACKER)
    waits = []
    for _ in range(8):
        response = sign_in(client, "officer-1", "wrong-code")
        waits.append(response.headers.get("retry-after"))
        wait_over(store)
    assert waits == [None] * 4 + ["30", "60", "120", "240"]
    settings_cap = settings.dashboard_lock_minutes * 60
    for _ in range(6):
        response = sign_in(client, "officer-1", "wrong-code")
        wait_over(store)
    assert response.headers["retry-after"] == str(settings_cap)


def test_an_admin_unlock_lets_every_address_try_again(app, store):
    code = add_user(store, "officer-1", "officer")
    attacker = browser(app, ATTACKER)
    for _ in range(5):
        sign_in(attacker, "officer-1", "wrong-code")
    admin = browser(app)
    csrf = signed_in(admin, store, "admin-1", "admin")
    page = admin.get("/dashboard/admin/users").text
    assert "retenu après des échecs" in page
    user_id = _user_id(store, "officer-1")
    admin.post(f"/dashboard/admin/users/{user_id}/unlock", data={"csrf": csrf})
    assert sign_in(attacker, "officer-1", code).status_code == 303


# --- item 8: verifications capped, 429 past the cap -------------------------------------------

def test_past_the_verification_slots_a_sign_in_gets_a_translated_429(app, store):
    code = add_user(store, "officer-1", "officer")
    client = browser(app)
    assert sign_in(client, "nobody", "x").status_code == 401  # the slots now exist
    slots = app.state.sign_in_slots
    with slots.take("someone-else") as one, slots.take("a-third") as two:
        assert one and two  # the whole process's slots (2) are in use
        busy = sign_in(client, "officer-1", code)
        client.cookies.set("hanya_lang", "en")
        busy_en = sign_in(client, "officer-1", code)
    assert busy.status_code == busy_en.status_code == 429
    assert busy.headers["retry-after"] == "1"
    assert "Beaucoup de connexions en ce moment" in busy.text
    assert "Many sign-ins at this moment" in busy_en.text
    assert sign_in(client, "officer-1", code).status_code == 303


def test_one_client_gets_one_verification_at_a_time(app, store):
    code = add_user(store, "officer-1", "officer")
    client = browser(app, ATTACKER)
    sign_in(client, "nobody", "x")
    with app.state.sign_in_slots.take(ATTACKER[0]) as taken:
        assert taken
        assert sign_in(client, "officer-1", code).status_code == 429
        assert sign_in(browser(app, OWNER), "officer-1", code).status_code == 303


# --- item 9: API tokens revoked ----------------------------------------------------------------

def _user_id(store, identifier: str) -> int:
    with store.session() as session:
        return session.scalar(select(DashboardUser.id).where(
            DashboardUser.identifier == identifier))


def _token(store, identifier: str) -> str:
    with store.session() as session:
        user = session.scalar(select(DashboardUser).where(DashboardUser.identifier == identifier))
        return auth.issue_api_token(session, user)


def _api(app, token: str) -> int:
    return browser(app).get("/api/v1/requests",
                            headers={"Authorization": f"Bearer {token}"}).status_code


@pytest.mark.parametrize("actions", [("revoke-tokens",), ("reset",),
                                     ("deactivate", "activate")])
def test_admin_actions_end_a_users_api_tokens(app, store, actions):
    seed_requests(store, {"NE001": 7})
    add_user(store, "partner-1", "partner")
    token = _token(store, "partner-1")
    assert _api(app, token) == 200
    admin = browser(app)
    csrf = signed_in(admin, store, "admin-1", "admin")
    user_id = _user_id(store, "partner-1")
    for action in actions:
        page = admin.post(f"/dashboard/admin/users/{user_id}/{action}", data={"csrf": csrf})
        assert page.status_code == 200
    assert _api(app, token) == 401
    fresh = _token(store, "partner-1")
    assert _api(app, fresh) == 200  # a token issued afterwards works


def test_a_reactivated_users_old_session_stays_dead(app, store):
    admin = browser(app)
    admin_csrf = signed_in(admin, store, "admin-1", "admin")
    officer = browser(app)
    signed_in(officer, store, "officer-1", "officer")
    user_id = _user_id(store, "officer-1")
    for action in ("deactivate", "activate"):
        admin.post(f"/dashboard/admin/users/{user_id}/{action}", data={"csrf": admin_csrf})
    assert officer.get("/dashboard", follow_redirects=False).status_code == 303


def test_the_users_page_counts_live_tokens_and_offers_revoke_in_both_languages(app, store):
    add_user(store, "partner-1", "partner")
    _token(store, "partner-1")
    admin = browser(app)
    signed_in(admin, store, "admin-1", "admin")
    page = admin.get("/dashboard/admin/users").text
    assert "Jetons d’API" in page and "Révoquer les jetons d’API" in page
    admin.cookies.set("hanya_lang", "en")
    assert "Revoke API tokens" in admin.get("/dashboard/admin/users").text


def test_cli_lists_and_revokes_tokens(app, settings, store, monkeypatch):
    seed_requests(store, {"NE001": 7})
    add_user(store, "partner-1", "partner")
    first, second = _token(store, "partner-1"), _token(store, "partner-1")
    monkeypatch.setenv("HANYA_DATABASE_URL", settings.database_url)
    from bot.core.settings import get_settings

    get_settings.cache_clear()
    try:
        runner = CliRunner()
        with store.session() as session:
            first_id = session.scalars(select(ApiToken.id).order_by(ApiToken.id)).first()
        one = runner.invoke(cli_app, ["user", "revoke", "partner-1", "--token", str(first_id)])
        listed = runner.invoke(cli_app, ["user", "tokens", "partner-1"])
        assert (_api(app, first), _api(app, second)) == (401, 200)
        rest = runner.invoke(cli_app, ["user", "revoke", "partner-1"])
        unknown = runner.invoke(cli_app, ["user", "revoke", "nobody"])
    finally:
        get_settings.cache_clear()
    assert one.exit_code == 0 and "1 API token(s) of partner-1 revoked." in one.output
    assert "revoked" in listed.output and "live" in listed.output
    assert first not in listed.output and second not in listed.output
    assert rest.exit_code == 0 and _api(app, second) == 401
    assert unknown.exit_code != 0

"""`hanya committee`: create, invite (code + deep link), members (pseudonymised), revoke."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import bot.app.cli_committee
from bot.app.cli import app
from bot.features.committees.models import ACTIVE, REVOKED, Committee, CommitteeMember
from tests.support import SmsUser

runner = CliRunner()
NUMBER = "+22790004001"


@pytest.fixture
def cli(settings, store, monkeypatch):
    settings.telegram_bot_username = "hanya_niger_bot"
    monkeypatch.setattr(bot.app.cli_committee, "get_settings", lambda: settings)

    def run(*args: str) -> str:
        result = runner.invoke(app, ["committee", *args], env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        return result.output
    return run


def test_create_a_committee_at_a_point(cli, store):
    output = cli("create", "--point", "assamaka", "--name", "Comité de veille d'Assamaka")
    assert "committee comite-de-veille-dassamaka created at Assamaka (NE001)" in output
    with store.session() as session:
        committee = session.scalars(select(Committee)).one()
        assert (committee.point_id, committee.region) == ("assamaka", "NE001")


def test_an_unknown_point_is_refused(settings, store, monkeypatch):
    monkeypatch.setattr(bot.app.cli_committee, "get_settings", lambda: settings)
    result = runner.invoke(app, ["committee", "create", "--point", "timia", "--name", "X"])
    assert result.exit_code == 2 and "unknown point 'timia'" in result.output


def test_invite_prints_a_code_that_enrols_and_the_telegram_deep_link(
        cli, client, twilio_api, store):
    cli("create", "--point", "arlit", "--name", "Comité Arlit", "--slug", "arlit")
    output = cli("invite", "arlit", "--expires-in", "2d")
    code = re.search(r"SMS:\s+JOIN (\w{8})", output).group(1)
    assert f"https://t.me/hanya_niger_bot?start={code}" in output
    [reply] = SmsUser(client, twilio_api, store, NUMBER).say(f"JOIN {code}")
    assert "Comité Arlit (Arlit)" in reply


def test_members_are_listed_by_pseudonym_and_revoke_keeps_the_row(
        cli, client, twilio_api, store):
    cli("create", "--point", "arlit", "--name", "Comité Arlit", "--slug", "arlit")
    code = re.search(r"JOIN (\w{8})", cli("invite", "arlit")).group(1)
    SmsUser(client, twilio_api, store, NUMBER).say(f"JOIN {code}")
    listing = cli("members", "arlit")
    assert "arlit" in listing and "sms" in listing and ACTIVE in listing
    assert NUMBER not in listing and NUMBER.lstrip("+") not in listing
    with store.session() as session:
        member = session.scalars(select(CommitteeMember)).one()
    assert "revoked" in cli("revoke", str(member.id))
    assert REVOKED in cli("members")
    with store.session() as session:
        assert session.get(CommitteeMember, member.id).status == REVOKED


@pytest.mark.parametrize(("text", "seconds"), [("7d", 604800), ("12h", 43200), ("30m", 1800),
                                               ("2w", 1209600)])
def test_durations_read_as_officers_write_them(text, seconds):
    assert bot.app.cli_committee.parse_duration(text).total_seconds() == seconds


def test_invite_takes_the_point_when_it_has_one_committee(cli):
    cli("create", "--point", "assamaka", "--name", "Comité de veille d'Assamaka")
    output = cli("invite", "assamaka")
    assert "code for Comité de veille d'Assamaka" in output and "JOIN " in output


def test_two_committees_at_one_point_are_not_guessed(settings, store, monkeypatch, cli):
    cli("create", "--point", "assamaka", "--name", "Comité A", "--slug", "assamaka-a")
    cli("create", "--point", "assamaka", "--name", "Comité B", "--slug", "assamaka-b")
    result = runner.invoke(app, ["committee", "invite", "assamaka"])
    assert result.exit_code == 2 and "give its slug, id, name or point" in result.output


def test_the_list_shows_slugs_whole_in_a_narrow_terminal(settings, store, monkeypatch, cli):
    cli("create", "--point", "assamaka", "--name", "Comité de veille d'Assamaka")
    monkeypatch.setattr(bot.app.cli_committee, "get_settings", lambda: settings)
    narrow = runner.invoke(app, ["committee", "list"], env={"COLUMNS": "60"}).output
    assert "comite-de-veille-dassamaka" in narrow


def test_committee_actions_at_the_terminal_fill_the_audit_log(cli, client, twilio_api, store):
    from bot.features.dashboard.models import AuditEntry

    cli("create", "--point", "arlit", "--name", "Comité Arlit", "--slug", "arlit")
    code = re.search(r"JOIN (\w{8})", cli("invite", "arlit")).group(1)
    SmsUser(client, twilio_api, store, NUMBER).say(f"JOIN {code}")
    with store.session() as session:
        member = session.scalars(select(CommitteeMember)).one().id
    cli("revoke", str(member))
    with store.session() as session:
        entries = session.execute(select(AuditEntry.identifier, AuditEntry.action,
                                         AuditEntry.object_type)
                                  .order_by(AuditEntry.id)).all()
    assert [(action, kind) for _who, action, kind in entries] == [
        ("committee.add", "committee"), ("committee.code", "committee"),
        ("member.revoke", "member")]
    assert all(who.startswith("cli") for who, _action, _kind in entries)
    assert not any(code in str(entry) for entry in entries)  # the code itself is never logged


def test_times_at_the_terminal_are_niamey_time_with_the_zone_named(cli, settings, store,
                                                                    monkeypatch):
    # Issue 21: Niamey time wherever a person reads one; the invite's expiry and the accounts'
    # and tokens' dates were printed in UTC.
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    niamey = ZoneInfo("Africa/Niamey")

    def near(text: str, moment: datetime) -> bool:
        shown = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=niamey)
        return abs(shown - moment) < timedelta(minutes=2)

    cli("create", "--point", "arlit", "--name", "Comité Arlit", "--slug", "arlit")
    output = cli("invite", "arlit", "--expires-in", "2d")
    expiry = re.search(r"expires (\S+ \S+) \(Niamey\)", output)
    assert expiry and near(expiry[1], datetime.now(UTC) + timedelta(days=2)), output
    assert "UTC" not in output
    monkeypatch.setenv("HANYA_DATABASE_URL", settings.database_url)
    from bot.core.settings import get_settings

    get_settings.cache_clear()
    try:
        assert runner.invoke(app, ["user", "add", "officer-9", "--role", "officer"]).exit_code == 0
        assert runner.invoke(app, ["user", "token", "officer-9"]).exit_code == 0
        listed = runner.invoke(app, ["user", "tokens", "officer-9"], env={"COLUMNS": "200"})
        users = runner.invoke(app, ["user", "list"], env={"COLUMNS": "200"})
    finally:
        get_settings.cache_clear()
    assert "UTC" not in listed.output + users.output
    assert "issued (Niamey)" in listed.output and "last sign-in (Niamey)" in users.output
    issued = re.search(r"│ 1\s+│ (\S+ \S+)", listed.output)
    assert issued and near(issued[1], datetime.now(UTC)), listed.output

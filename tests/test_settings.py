"""Settings written by hand: lists as `a,b`, one line per mistake, every one documented."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import settings_doc
from bot.core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_a_list_setting_takes_a_plain_comma_separated_value(monkeypatch):
    monkeypatch.setenv("HANYA_IDEA_SENSITIVE_OFFICERS", "Aissa")
    monkeypatch.setenv("HANYA_DASHBOARD_SENSITIVE_VIEWERS", "aissa, moussa ,")
    monkeypatch.setenv("HANYA_SMS_HOME_COUNTRIES", '["NE", "ML"]')  # JSON still works
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.idea_sensitive_officers == ["Aissa"]
    assert settings.dashboard_sensitive_viewers == ["aissa", "moussa"]
    assert settings.sms_home_countries == ["NE", "ML"]


def test_an_empty_value_is_no_value_and_the_app_starts_without_that_channel(
        monkeypatch, tmp_path, store):
    from starlette.testclient import TestClient

    from webhooks.app import create_app

    env_file = tmp_path / ".env"
    env_file.write_text("HANYA_TWILIO_ACCOUNT_SID=\nHANYA_TWILIO_AUTH_TOKEN=\n")
    monkeypatch.setenv("HANYA_TELEGRAM_TOKEN", "")
    monkeypatch.setenv("HANYA_TELEGRAM_WEBHOOK_SECRET", "")
    monkeypatch.setenv("HANYA_DATABASE_URL", store.url)
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.telegram_token is None and settings.telegram_webhook_secret is None
    assert settings.twilio_account_sid is None and settings.twilio_auth_token is None
    # An empty token once reached python-telegram-bot, whose InvalidToken stopped the start
    # with a traceback.
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200


def test_a_wrong_gateway_phone_list_is_one_line_at_start_that_never_shows_its_passwords(
        monkeypatch):
    from pydantic import ValidationError

    from bot.core.settings import settings_problems

    monkeypatch.setenv("HANYA_ANDROID_SMS_PHONES", '[{"url": "http://p2", "password": "s3cret"}]')
    with pytest.raises(ValidationError) as raised:
        Settings(_env_file=None)  # type: ignore[call-arg]
    [line] = settings_problems(raised.value)
    assert line.startswith("HANYA_ANDROID_SMS_PHONES: a JSON list of objects with at least name "
                           "and url is needed")
    assert "s3cret" not in line
    monkeypatch.setenv("HANYA_ANDROID_SMS_PHONES", '[{"name": "p2", "url": "http://p2/"}]')
    assert [p.url for p in Settings(_env_file=None).android_sms_phone_list()] == [  # type: ignore[call-arg]
        "http://p2"]


def test_a_wrong_setting_is_one_line_naming_it_with_an_example(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANYA_")}
    env.update(HANYA_SMS_MAX_SEGMENTS="lots", HANYA_RUN_SENDER="maybe", COLUMNS="200",
               HANYA_DATABASE_URL=f"sqlite:///{tmp_path / 'h.db'}")
    done = subprocess.run([str(Path(sys.executable).parent / "hanya"), "doctor", "--offline"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2
    lines = done.stdout.strip().splitlines()
    assert lines == [
        "HANYA_SMS_MAX_SEGMENTS: Input should be a valid integer, unable to parse string as an "
        "integer (for example HANYA_SMS_MAX_SEGMENTS=3)",
        "HANYA_RUN_SENDER: Input should be a valid boolean, unable to interpret input (for "
        "example HANYA_RUN_SENDER=true)"]
    assert "Traceback" not in done.stdout + done.stderr


def test_docs_settings_md_is_written_from_settings_and_up_to_date():
    assert (ROOT / "docs" / "SETTINGS.md").read_text() == settings_doc.render(), (
        "run `python -m bot.app.settings_doc`")


def test_every_setting_has_its_comment():
    assert "(undocumented)" not in settings_doc.render()


# Every place a person reads a setting's name: the CLI's and the pages' hints (bot/, handlers/,
# webhooks/), the docs, the deployment files and the tools an operator runs.
DOCUMENTS = sorted({*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/*.py"),
                    *ROOT.glob("webhooks/**/*.py"), *ROOT.glob("docs/*.md"), *ROOT.glob("*.md"),
                    ROOT / "content" / "README.md", *ROOT.glob("deploy/*"),
                    *ROOT.glob("tools/*.py"), ROOT / "Makefile", ROOT / ".ci" / "run"})
KNOWN = {f"HANYA_{name.upper()}" for name in Settings.model_fields}


def _unknown_settings(texts: dict[str, str]) -> dict[str, list[str]]:
    return {name: sorted(named - KNOWN) for name, text in texts.items()
            if (named := set(re.findall(r"HANYA_[A-Z0-9_]+", text))) - KNOWN}


def test_every_setting_a_document_or_a_hint_names_exists():
    assert _unknown_settings({path.relative_to(ROOT).as_posix(): path.read_text()
                              for path in DOCUMENTS if path.is_file()}) == {}


def test_a_hint_naming_a_setting_that_does_not_exist_is_caught():
    hint = 'raise typer.BadParameter("set HANYA_TELEGRAM_BOT_NAME first")'  # the real: _USERNAME
    assert _unknown_settings({"cli.py": hint}) == {"cli.py": ["HANYA_TELEGRAM_BOT_NAME"]}
    assert _unknown_settings({"cli.py": hint.replace("_NAME", "_USERNAME")}) == {}


def test_every_setting_the_cli_names_in_a_hint_is_in_the_settings_table():
    """The names issue 21 found missing from the README's table are in docs/SETTINGS.md."""
    table = (ROOT / "docs" / "SETTINGS.md").read_text()
    hinted = set()
    for path in [*ROOT.glob("bot/app/cli*.py"), *ROOT.glob("bot/features/*/cli.py")]:
        hinted |= set(re.findall(r"HANYA_[A-Z0-9_]+", path.read_text()))
    assert {"HANYA_TELEGRAM_BOT_USERNAME", "HANYA_IDEA_SENSITIVE_OFFICERS"} <= hinted
    for name in sorted(hinted | {"HANYA_DASHBOARD_SENSITIVE_VIEWERS", "HANYA_RETENTION_DAYS"}):
        assert f"| `{name}` |" in table, name


@pytest.mark.parametrize(("variable", "value", "said"), [
    ("HANYA_DEFAULT_LANGUAGE", "zz", "is not a language of"),
    ("HANYA_TIMEZONE", "Mars/Base", "is not a time zone"),
])
def test_a_language_or_time_zone_that_does_not_exist_is_one_line_at_start(
        tmp_path, variable, value, said):
    # Issue 21: both started the service, then failed with a traceback (KeyError 'zz' at every
    # message, ZoneInfoNotFoundError at the first digest); `hanya content stats` showed it.
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANYA_")}
    env.update({variable: value, "COLUMNS": "200",
                "HANYA_DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"})
    done = subprocess.run([str(Path(sys.executable).parent / "hanya"), "content", "stats"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    [line] = done.stdout.strip().splitlines()
    assert line.startswith(f"{variable}: {value!r} {said}") and f"for example {variable}=" in line
    assert "Traceback" not in done.stdout + done.stderr

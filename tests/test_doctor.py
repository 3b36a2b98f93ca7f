"""`hanya doctor`: each misconfiguration an IT officer can make is an error naming its fix, and a
correct production set-up passes, against the fake Telegram and Twilio."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import backup, doctor
from bot.core.settings import Settings
from tests.conftest import PUBLIC_URL, SERVICE_NUMBER, WEBHOOK_SECRET

GOOD_KEY = "k" * 43


@pytest.fixture
def production(settings: Settings, bot_api, twilio_api, tmp_path: Path) -> Settings:
    """A correct production set-up: webhooks registered where they should be, a fresh backup."""
    bot_api.webhook = None
    twilio_api.own_number(SERVICE_NUMBER, f"{PUBLIC_URL}/webhooks/twilio/sms")
    for folder in ("spool", "backups"):
        (tmp_path / folder).mkdir(mode=0o700, exist_ok=True)
        (tmp_path / folder).chmod(0o700)
    good = settings.model_copy(update={
        "secret_key": settings.secret_key.__class__(GOOD_KEY),
        "spool_dir": tmp_path / "spool", "backup_dir": tmp_path / "backups"})
    _register_telegram_webhook(bot_api, f"{PUBLIC_URL}/webhooks/telegram")
    backup.take(good.database_url, good.backup_dir)
    if good.is_sqlite:
        Path(good.database_url.removeprefix("sqlite:///")).chmod(0o600)
        Path(good.database_url.removeprefix("sqlite:///")).parent.chmod(0o700)
    return good


def _register_telegram_webhook(bot_api, url: str) -> None:
    import httpx
    httpx.post(f"{bot_api.url}/bot{bot_api.token}/setWebhook",
               data={"url": url, "secret_token": WEBHOOK_SECRET}).raise_for_status()


def _errors(findings: list[doctor.Finding]) -> list[str]:
    return [f.line() for f in findings if f.level == "error"]


def test_a_correct_production_set_up_passes(production: Settings):
    findings = doctor.diagnose(production)
    assert _errors(findings) == []
    checks = {f.check for f in findings if f.level == "ok"}
    assert {"secret key", "public url", "migrations", "Telegram", "Twilio", "clock",
            "backups", "permissions", "time zone", "disk"} <= checks


def _change(settings: Settings, **update: Any) -> Settings:
    return settings.model_copy(update=update)


MISCONFIGURED = {
    "no secret key": (lambda s: _change(s, secret_key=None), "secret key", "HANYA_SECRET_KEY"),
    "a short key": (lambda s: _change(s, secret_key=s.secret_key.__class__("short")),
                    "secret key", "at least 32"),
    "http": (lambda s: _change(s, public_url="http://hanya.example.org"), "public url", "https"),
    "localhost": (lambda s: _change(s, public_url="https://127.0.0.1"), "public url",
                  "public host name"),
    "no telegram secret": (lambda s: _change(s, telegram_webhook_secret=None), "Telegram",
                           "HANYA_TELEGRAM_WEBHOOK_SECRET"),
    "wrong telegram token": (lambda s: _change(s, telegram_token=s.telegram_token.__class__(
        "123:wrong")), "Telegram", "@BotFather"),
    "telegram webhook elsewhere": (lambda s: _change(s, public_url="https://other.example.org"),
                                   "Telegram", "hanya telegram set-webhook"),
    "twilio number missing": (lambda s: _change(s, twilio_number=None), "Twilio",
                              "HANYA_TWILIO_NUMBER"),
    "wrong twilio token": (lambda s: _change(s, twilio_auth_token=s.twilio_auth_token.__class__(
        "nope")), "Twilio", "Twilio console"),
    "a number of another account": (lambda s: _change(s, twilio_number="+22780000999"),
                                    "Twilio", "not a number of this Twilio account"),
    "bad time zone": (lambda s: _change(s, timezone="Niamey"), "time zone", "Africa/Niamey"),
}


@pytest.mark.parametrize("case", MISCONFIGURED)
def test_each_misconfiguration_is_an_error_that_names_its_fix(production: Settings, case: str):
    spoil, check, fix = MISCONFIGURED[case]
    errors = _errors(doctor.diagnose(spoil(production)))
    assert any(line.startswith(f"error   {check}:") and fix in line for line in errors), errors


def test_the_number_s_sms_webhook_pointing_elsewhere_is_an_error(production, twilio_api):
    twilio_api.own_number(SERVICE_NUMBER, "https://old-server.example.org/sms")
    errors = _errors(doctor.diagnose(production))
    assert any("old-server.example.org/sms" in e and "Twilio console" in e for e in errors)


def test_a_clock_that_is_off_is_an_error(production):
    errors = _errors(doctor.diagnose(production, now=datetime.now(UTC) + timedelta(minutes=5)))
    assert any(e.startswith("error   clock:") for e in errors), errors


def test_data_open_to_other_users_is_an_error(production):
    production.spool_dir.chmod(0o755)
    errors = _errors(doctor.diagnose(production))
    assert any(f"chmod o-rwx {production.spool_dir}" in e for e in errors), errors


def test_an_unmigrated_database_is_a_blocking_error(production, tmp_path):
    empty = _change(production, database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    [finding] = [f for f in doctor.diagnose(empty, network=False) if f.check == "migrations"]
    assert finding.level == "error" and finding.blocking and "hanya db upgrade" in finding.message()


def test_a_full_disk_is_an_error(production, monkeypatch):
    class Usage:
        free = 200 << 20

    monkeypatch.setattr(doctor.shutil, "disk_usage", lambda _path: Usage)
    errors = _errors(doctor.diagnose(production, network=False))
    assert any(e.startswith("error   disk: only 0.2 GiB free for") for e in errors), errors


def test_no_recent_backup_is_said(production):
    later = datetime.now(UTC) + timedelta(days=3)
    [finding] = [f for f in doctor.diagnose(production, network=False, now=later)
                 if f.check == "backups"]
    assert finding.level == "warning" and "hanya-backup.timer" in finding.message()


def test_an_unreachable_provider_is_an_error_that_does_not_block_the_start(production):
    findings = doctor.diagnose(_change(production, telegram_api_url="http://127.0.0.1:9"))
    [telegram] = [f for f in findings if f.check == "Telegram"]
    assert telegram.level == "error" and not telegram.blocking
    assert "cannot reach Telegram" in telegram.message()


def _hanya(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HANYA_")}
    return subprocess.run([str(Path(sys.executable).parent / "hanya"), *args], capture_output=True,
                          text=True, env={**clean, **env, "COLUMNS": "200"}, timeout=120)


def test_hanya_doctor_exits_1_on_an_error_with_one_line_each(tmp_path):
    done = _hanya("doctor", "--offline", HANYA_DATABASE_URL=f"sqlite:///{tmp_path / 'h.db'}",
                  HANYA_SPOOL_DIR=str(tmp_path / "spool"))
    assert done.returncode == 1
    assert "error   secret key: HANYA_SECRET_KEY is not set" in done.stdout
    assert "error   public url: HANYA_PUBLIC_URL is http://127.0.0.1:8000" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_hanya_serve_in_production_refuses_an_unsafe_set_up(tmp_path):
    done = _hanya("serve", "--port", "9", HANYA_PRODUCTION="true",
                  HANYA_DATABASE_URL=f"sqlite:///{tmp_path / 'h.db'}",
                  HANYA_SPOOL_DIR=str(tmp_path / "spool"))
    assert done.returncode == 1
    assert "not starting" in done.stdout and "HANYA_SECRET_KEY" in done.stdout


@pytest.fixture
def dash(production, store):
    from starlette.testclient import TestClient

    from webhooks.app import create_app

    with TestClient(create_app(production.model_copy(update={"run_sender": False})),
                    base_url="https://testserver") as client:
        yield client


def test_an_admin_reads_the_set_up_check_in_french_with_each_fix(dash, store, bot_api):
    from tests.dashboard_support import signed_in

    bot_api.webhook = None  # Telegram's webhook lost: the page must say so, and the fix
    signed_in(dash, store, "admin1", "admin")
    page = dash.get("/dashboard/setup").text
    assert "Vérification de l'installation" in page
    assert "1 erreur : cette installation n'est pas sûre pour la production." in page
    assert "le webhook est enregistré sur -, pas https://hanya.example.org/webhooks/telegram" \
        in page and "hanya telegram set-webhook" in page
    assert "clé secrète" in page and "définie" in page  # the checks that pass are listed too
    assert "Traceback" not in page
    dash.get("/dashboard/language/en?next=/dashboard")
    assert "1 error: this set-up is not safe for production." in dash.get("/dashboard/setup").text


@pytest.mark.parametrize("role", ["officer", "partner", "editor"])
def test_only_admins_may_see_the_set_up_check(dash, store, role):
    from tests.dashboard_support import signed_in

    signed_in(dash, store, f"{role}1", role)
    assert dash.get("/dashboard/setup").status_code == 403
    assert "/dashboard/setup" not in dash.get("/dashboard").text

"""`hanya` starts without what its command does not use (issue #23): command groups are
imported when one of their commands runs, and `--help` lists them from bot/app/cli.py's LAZY;
a channel's module and its provider's SDK are imported when a message is sent or received, not
to render a digest; the content check reads no store."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from bench.cli_start import StartResult, measure, start_rows
from bot.app.cli import LAZY, app, lazy_command
from bot.core.settings import ROOT

HEAVY = ["sqlalchemy.orm", "alembic", "bot.app.cli_digest", "bot.app.cli_content",
         "bot.core.models", "webhooks.channels", "telegram", "twilio"]


def _first_paragraph(text: str) -> str:
    return " ".join(text.strip().split("\n\n")[0].split())


@pytest.mark.parametrize("name", sorted(LAZY))
def test_the_listed_help_is_the_commands_own(name):
    command = lazy_command(name)
    assert command.name == name
    assert _first_paragraph(LAZY[name][2]) == _first_paragraph(command.help or "")


def test_help_lists_every_command_without_importing_their_modules(tmp_path):
    probe = ("import sys; sys.argv = ['hanya', '--help']\nfrom bot.app.cli import app\n"
             "try:\n    app()\nexcept SystemExit:\n    pass\n"
             f"print('LOADED', [m for m in {HEAVY!r} if m in sys.modules])")
    env = {**os.environ, "HANYA_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
           "PYTHONPATH": str(ROOT), "COLUMNS": "120"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=120, check=True).stdout
    assert "LOADED []" in out
    for name in LAZY:
        assert f" {name} " in out


# The channels' SDKs and modules: a digest's dry run renders for a channel without any of them.
SDKS = ["telegram", "twilio", "android_sms_gateway", "aiohttp", "fastapi", "webhooks.telegram",
        "webhooks.twilio_sms", "webhooks.android_sms", "webhooks.twilio_whatsapp"]
STORE = ["sqlalchemy", "sqlalchemy.orm", "alembic", "bot.core.models", "bot.core.store"]


def _run_and_list_loaded(args: list[str], watched: list[str], database_url: str) -> \
        tuple[int, str, list[str]]:
    """Run `hanya ARGS` in a fresh interpreter: its exit code, its output, and which of
    ``watched`` it had imported when it finished."""
    probe = (f"import sys; sys.argv = ['hanya', *{args!r}]\nfrom bot.app.cli import app\n"
             "try:\n    app()\nexcept SystemExit as exc:\n    code = exc.code\n"
             f"print('LOADED', [m for m in {watched!r} if m in sys.modules], file=sys.stderr)\n"
             "sys.exit(code)")
    env = {**os.environ, "HANYA_DATABASE_URL": database_url, "PYTHONPATH": str(ROOT),
           "HANYA_SECRET_KEY": "test-secret-key-not-for-production", "COLUMNS": "120"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120, check=False)
    [line] = [x for x in done.stderr.splitlines() if x.startswith("LOADED ")]
    return done.returncode, done.stdout, eval(line.removeprefix("LOADED "))  # noqa: S307 - our list


@pytest.mark.parametrize("channel", ["telegram", "sms"])
def test_a_digest_dry_run_renders_without_the_channels_sdks(store, database_url, channel):
    code, out, loaded = _run_and_list_loaded(
        ["digest", "run", "daily", "--dry-run", "--day", "2026-11-03", "--channel", channel],
        SDKS, database_url)
    assert code == 0, out
    assert "Hanya" in out and ("02/11" in out or "2 nov" in out)  # the day before, as sent
    assert loaded == []


def test_the_content_check_reads_the_content_without_the_store(tmp_path):
    code, out, loaded = _run_and_list_loaded(["content", "check", "--quiet"], [*SDKS, *STORE],
                                             f"sqlite:///{tmp_path / 'none.db'}")
    assert code == 0, out  # the shipped content has no error
    assert out.strip().splitlines()[-1].startswith("0 errors, ")
    assert loaded == []
    assert not (tmp_path / "none.db").exists()  # not even opened


def test_a_lazy_group_runs_its_commands(settings, store, monkeypatch):
    import bot.app.cli_digest

    monkeypatch.setattr(bot.app.cli_digest, "get_settings", lambda: settings)
    result = CliRunner().invoke(app, ["digest", "run", "daily", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Hanya" in result.output
    assert CliRunner().invoke(app, ["nosuch"]).exit_code == 2


def test_the_start_bench_measures_each_command_against_its_imports():
    [result] = measure(runs=1, commands={"--help": ["typer", "pydantic_settings"]})
    assert result.ok and result.seconds > result.bare_python > 0 and result.reference > 0
    [row] = start_rows([result])
    assert row.ratio == f"{result.ratio:.2f}"
    failed = StartResult("--help", 1.0, 0.1, 0.4, ok=False, runs=[1.0])
    [row] = start_rows([failed])
    assert row.verdict == "MISSED" and "FAILED" in row.limit  # a failing command never "meets"


@pytest.mark.parametrize("args", [["digest", "run", "daily", "--dry-run"], ["idea", "list"],
                                  ["committee", "list"]])
def test_a_database_not_set_up_is_one_line_that_says_the_fix(tmp_path, args):
    # An operator who forgot `hanya db upgrade` (or whose PostgreSQL is down) used to get a
    # page of SQLAlchemy traceback.
    env = {**os.environ, "HANYA_DATABASE_URL": f"sqlite:///{tmp_path}/empty.db",
           "HANYA_SECRET_KEY": "test-secret-key-not-for-production", "COLUMNS": "200",
           "PYTHONPATH": str(ROOT)}
    hanya = os.path.join(os.path.dirname(sys.executable), "hanya")  # the installed command
    done = subprocess.run([hanya, *args], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=120, check=False)
    said = (done.stdout + done.stderr).strip()
    assert done.returncode == 1, said
    assert "Traceback" not in said and "sqlalchemy" not in said.lower()
    assert "HANYA_DATABASE_URL" in said and "hanya db upgrade" in said

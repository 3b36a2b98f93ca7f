"""`hanya` starts without what its command does not use (issue #23): command groups are
imported when one of their commands runs, and `--help` lists them from bot/app/cli.py's LAZY."""

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

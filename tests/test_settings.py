"""Settings written by hand: lists as `a,b`, one line per mistake, every one documented."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

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


DOCUMENTS = sorted({*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/*.py"),
                    *ROOT.glob("webhooks/**/*.py"), *ROOT.glob("docs/*.md"), *ROOT.glob("*.md"),
                    ROOT / "content" / "README.md", ROOT / "deploy" / "hanya.env.example"})


def test_every_setting_a_document_or_a_hint_names_exists():
    known = {f"HANYA_{name.upper()}" for name in Settings.model_fields}
    unknown = {path.relative_to(ROOT).as_posix(): sorted(named - known) for path in DOCUMENTS
               if (named := set(re.findall(r"HANYA_[A-Z0-9_]+", path.read_text()))) - known}
    assert unknown == {}

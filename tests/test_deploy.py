"""deploy/: the systemd units verify, and the proxy passes only the routes the world needs."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
UNITS = sorted([*DEPLOY.glob("*.service"), *DEPLOY.glob("*.timer")])


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_the_systemd_units_verify_without_a_warning(tmp_path: Path) -> None:
    # The units name the install folder of docs/DEPLOY.md; here, this checkout stands in for
    # it, so that systemd can check that every command they run exists.
    for unit in UNITS:
        text = unit.read_text().replace("/opt/hanya", str(ROOT)).replace(
            "/etc/hanya/hanya.env", str(DEPLOY / "hanya.env.example"))
        (tmp_path / unit.name).write_text(text)
    if not (ROOT / ".venv" / "bin" / "hanya").exists():
        pytest.skip("needs the project's .venv (make install)")
    done = subprocess.run(["systemd-analyze", "verify", "--man=no",
                           *(str(tmp_path / u.name) for u in UNITS)],
                          capture_output=True, text=True, timeout=60)
    problems = [line for line in done.stderr.splitlines() if str(tmp_path) in line
                or "hanya" in line]
    assert done.returncode == 0 and not problems, done.stderr


def test_every_long_running_unit_runs_a_real_hanya_command() -> None:
    from typer.main import get_command

    from bot.app.cli import app

    cli = get_command(app)
    for unit in UNITS:
        match = re.search(r"^ExecStart=/opt/hanya/\.venv/bin/hanya (\S+)(?: (\S+))?",
                          unit.read_text(), re.MULTILINE)
        if match is None:
            continue
        group, sub = match.groups()
        command = cli.get_command(None, group)  # type: ignore[attr-defined]  # a lazy group too
        assert command is not None, unit.name
        if sub and not sub.startswith("--"):
            assert sub in command.commands, unit.name  # type: ignore[attr-defined]


# One real path under each pattern the proxy passes: none of them may be a 404 here.
EXAMPLES = {"/webhooks/*": "/webhooks/twilio/sms", "/dashboard": "/dashboard",
            "/media/recordings/*": "/media/recordings/x.ogg",
            "/dashboard/*": "/dashboard/sign-in", "/api/*": "/api/v1/reports",
            "/static/*": "/static/dashboard.css", "/healthz": "/healthz", "/readyz": "/readyz"}


def test_the_proxy_passes_the_public_routes_and_nothing_else(client) -> None:
    caddy = (DEPLOY / "Caddyfile").read_text()
    passed = re.search(r"@hanya path (.+)", caddy).group(1).split()  # type: ignore[union-attr]
    assert sorted(passed) == sorted(EXAMPLES)
    for pattern, path in EXAMPLES.items():
        assert client.get(path, follow_redirects=False).status_code != 404, pattern
    assert client.get("/preview", follow_redirects=False).status_code != 404  # kept inside
    assert "respond 404" in caddy


def test_the_bare_address_leads_to_the_dashboard_sign_in(client) -> None:
    first = client.get("/", follow_redirects=False)
    assert first.status_code == 307 and first.headers["location"] == "/dashboard"
    assert client.get("/").url.path == "/dashboard/sign-in"

"""The README's walkthrough, run as a newcomer would: every ``sh`` block of its section, in
order, in a temporary folder against a temporary SQLite store, with the server of its first
block running (issue 21: the README must walk from `make run` to the dashboard, the simulator
on the real store, a committee report, exports, the partner API and the idea box)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SECTION = re.compile(r"<!-- walkthrough:.*?-->(.*?)<!-- /walkthrough -->", re.S)
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)


def walkthrough_blocks() -> list[str]:
    [section] = SECTION.findall((ROOT / "README.md").read_text())
    return BLOCK.findall(section)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _environment(folder: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANYA_")}
    env.update(
        HANYA_DATABASE_URL=f"sqlite:///{folder / 'hanya.db'}",
        HANYA_SECRET_KEY="readme-walkthrough-secret",
        HANYA_SPOOL_DIR=str(folder / "spool"), HANYA_CHART_DIR=str(folder / "charts"),
        HANYA_BACKUP_DIR=str(folder / "backups"),
        PORT=str(port), COLUMNS="200",
        # `make run` must not reinstall into the checkout from here if pyproject.toml is newer.
        MAKEFLAGS=f"-o {Path('.venv') / '.installed'}")
    return env


def _wait_ready(url: str, server: subprocess.Popen[bytes], log: Path,
                timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"`make run` stopped: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("`make run` did not answer /healthz")


def _sign_in(url: str, identifier: str, code: str) -> httpx.Client:
    browser = httpx.Client(base_url=url, follow_redirects=True, timeout=30)
    page = browser.get("/")  # `/` leads to the sign-in page
    assert page.url.path == "/dashboard/sign-in", page.url
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    signed = browser.post("/dashboard/sign-in",
                          data={"identifier": identifier, "code": code, "csrf": csrf})
    assert signed.status_code == 200 and signed.url.path == "/dashboard", signed.text[:300]
    return browser


def test_the_readme_has_the_walkthrough_in_the_order_issue_21_asks():
    blocks = walkthrough_blocks()
    assert blocks[0].strip() == "make run"
    order = ["hanya user add", "hanya chat --store", "hanya committee invite", "JOIN",
             "digest run", "/api/v1/", "hanya idea list"]
    text = "\n".join(blocks)
    positions = [text.index(step) for step in order]
    assert positions == sorted(positions), order


def test_every_command_of_the_readme_walkthrough_works(tmp_path):
    folder = tmp_path / "checkout"
    folder.mkdir()
    for name in (".venv", "Makefile", "pyproject.toml"):  # what `make run` and `.venv/bin` need
        (folder / name).symlink_to(ROOT / name)
    port = _free_port()
    env = _environment(tmp_path, port)
    url = f"http://127.0.0.1:{port}"
    server_block, *blocks = walkthrough_blocks()
    log = tmp_path / "make-run.log"
    with log.open("w") as output:
        server = subprocess.Popen(["bash", "-c", server_block], cwd=folder, env=env,
                                  stdout=output, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        _wait_ready(url, server, log)
        script = "set -euo pipefail\n" + "".join(
            f"printf '\\n@@ block {number}\\n'\n{block}" for number, block in enumerate(blocks, 1))
        done = subprocess.run(["bash", "-c", script], cwd=folder, env=env, text=True,
                              capture_output=True, timeout=400)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        [_, account, migrant, committee, digest, api, ideas] = re.split(
            r"^@@ block \d+$", done.stdout, flags=re.M)

        # 2. the first account, and its code signs in to the dashboard
        code = re.search(r"aissa \(admin\) created\. Access code, shown only now:\s*(\S+)",
                         account).group(1)
        browser = _sign_in(url, "aissa", code)
        # 3. the migrant's walk on the real store
        assert "Information for Assamaka" in migrant and "Help near you" in migrant
        # 4. the member joins, reports, and the duty recipient's alert is shown, not sent
        assert "Welcome to the watch committee Comité de veille d'Assamaka" in committee
        assert re.search(r"R-\d{4}-00001", committee)
        assert ("to telegram:…890 (alert or answer, telegram; shown here, not delivered)"
                in committee)
        assert "URGENT R-" in committee and "1234567890" not in committee
        reports = browser.get("/dashboard/reports")
        assert reports.status_code == 200 and re.search(r"R-\d{4}-00001", reports.text)
        # 5. exports, as the dashboard's Exports page links them, and the digest with the report
        for export in ("requests.csv", "report-aggregates.csv", "report-aggregates.csv?hxl=true"):
            answer = browser.get(f"/dashboard/exports/{export}")
            assert answer.status_code == 200, export
            assert answer.headers["content-type"].startswith("text/csv"), export
        assert "Séguédine" in digest, digest
        # 6. the partner API answers the token with suppressed figures
        assert '"suppressed_below":' in api and '"rows":' in api, api
        # 7. the idea box: named in HELP, listed, answered, and the answer shown
        assert "An idea or a suggestion? Send IDEA and your message." in ideas
        assert "1 submission(s)" in ideas and "(submitter told)" in ideas
        assert "Answer from the SP/CCM: On the agenda of the next GTM meeting" in ideas
        browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()

"""The README's two commands on a fresh machine: what `make` decides before it runs anything."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _make(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_make_run_serves_on_the_port_given() -> None:
    out = _make("-n", "-W", "pyproject.toml", "run", "PORT=8123", "HOST=0.0.0.0").stdout
    assert "hanya serve --host 0.0.0.0 --port 8123" in out


def test_make_finds_a_python_of_3_11_or_newer_by_itself() -> None:
    out = _make("-n", "-W", "pyproject.toml", "install").stdout
    venv_line = next(line for line in out.splitlines() if " -m venv " in line)
    python = venv_line.split("|| ")[1].split(" -m venv")[0].strip()
    version = subprocess.run([python, "-c", "import sys; print(sys.version_info >= (3, 11))"],
                             capture_output=True, text=True).stdout
    assert version.strip() == "True"


def test_without_a_python_make_says_what_is_missing(tmp_path: Path) -> None:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("")
    done = _make("install", "PYTHON=", cwd=tmp_path)
    assert done.returncode != 0
    assert "needs Python 3.11 or newer" in done.stdout
    assert not (tmp_path / ".venv").exists()

"""Where the time goes: py-spy (sampling, attached by pid) on a server under wrk load."""

from __future__ import annotations

import collections
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PY_SPY = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
OURS = ("/bot/", "/webhooks/", "/handlers/")


def start(pid: int, seconds: float) -> tuple[subprocess.Popen[bytes], Path] | None:
    """Sample the threads holding the GIL in ``pid`` for ``seconds`` (None without py-spy)."""
    if not Path(PY_SPY).exists():
        return None
    out = Path(tempfile.mkdtemp(prefix="hanya-bench-prof-")) / "profile.txt"
    proc = subprocess.Popen([PY_SPY, "record", "--gil", "--nonblocking", "-r", "100", "-f", "raw",
                             "-o", str(out), "--pid", str(pid), "-d", str(int(seconds))],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, out


def summary(handle: tuple[subprocess.Popen[bytes], Path] | None, top: int = 14) -> list[str]:
    """Inclusive share of GIL-holding samples per function, ours and the libraries'."""
    if handle is None:
        return ["py-spy not installed (pip install -e '.[bench]')"]
    proc, out = handle
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    if not out.exists():
        shutil.rmtree(out.parent, ignore_errors=True)
        return ["py-spy could not attach (ptrace not permitted?)"]
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    lines = out.read_text().splitlines()
    shutil.rmtree(out.parent, ignore_errors=True)
    for line in lines:
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        for name in {_name(frame) for frame in stack.split(";")}:
            if name:
                inclusive[name] += int(count)
    if not total:
        return ["no samples"]
    return [f"{100 * n / total:.0f}% {name}" for name, n in inclusive.most_common(top)]


def _name(frame: str) -> str | None:
    # "function (path/to/module.py:123)" -> "module.function" for the frames worth naming
    func, _, where = frame.partition(" (")
    path = "/" + where.rsplit(":", 1)[0]  # py-spy writes paths from the package root
    if any(part in path for part in OURS):
        return f"{Path(path).parent.name}/{Path(path).stem}.{func}"
    for lib in ("sqlalchemy/orm", "sqlalchemy/engine", "sqlalchemy/sql", "starlette", "fastapi",
                "telegram", "h11", "twilio", "cryptography", "psycopg", "httpx", "pydantic"):
        if f"/{lib}/" in path:
            return f"[{lib}]"
    return None

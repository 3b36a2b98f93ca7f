"""A command's start (issue #23, row U4): wall time of ``hanya ...`` against ``python -c pass``
and against the bare import of the libraries the command really needs, each run as its own
process, the median of ``runs``.

Every process may cache its bytecode (in a scratch ``PYTHONPYCACHEPREFIX``, even where the
environment says ``PYTHONDONTWRITEBYTECODE``), and each command runs once untimed first: an
installed Hanya has its modules compiled, as the libraries of the reference have theirs. Without
it, each start compiled ~100 of our modules from source (0.1 s of CPU), which no officer on a
deployed server pays."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.procs import ROOT, SECRET_KEY

HANYA = str(Path(sys.executable).parent / "hanya")
# Command -> the libraries it needs: typer (and the rich it prints help with) and the settings
# for all; the digest reads the store and renders with babel; the check reads YAML and the
# gettext catalogues, and finds and validates phone numbers (phonenumbers: every service's
# number, and none written in a message).
COMMANDS: dict[str, list[str]] = {
    "--help": ["typer", "typer.rich_utils", "pydantic_settings"],
    "digest run daily --dry-run": ["typer", "typer.rich_utils", "pydantic_settings",
                                   "sqlalchemy.orm", "babel.dates", "yaml"],
    "content check": ["typer", "typer.rich_utils", "pydantic_settings", "yaml",
                      "babel.messages.pofile", "regex", "phonenumbers"],
}


@dataclass
class StartResult:
    command: str
    seconds: float  # median wall time of the command
    bare_python: float  # `python -c pass`
    reference: float  # `python -c "import <the libraries>"`
    ok: bool  # every run exited 0 (content check: 0 or 1, its findings)
    runs: list[float]

    @property
    def ratio(self) -> float:
        return self.seconds / self.reference


def _wall(args: list[str], env: dict[str, str], ok_codes: tuple[int, ...] = (0,)) -> \
        tuple[float, bool]:
    started = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, timeout=120, check=False)
    return time.perf_counter() - started, done.returncode in ok_codes


def measure(runs: int = 5, commands: dict[str, list[str]] | None = None) -> list[StartResult]:
    """Each command, its bare-import reference and ``python -c pass``, interleaved run by run
    (so a busier moment of the machine weighs on all three alike)."""
    commands = commands or COMMANDS
    with tempfile.TemporaryDirectory(prefix="hanya-cli-") as tmp:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "HANYA_SECRET_KEY": SECRET_KEY,
               "HANYA_DATABASE_URL": f"sqlite:///{Path(tmp) / 'cli.db'}",
               "PYTHONPYCACHEPREFIX": str(Path(tmp) / "pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([HANYA, "db", "upgrade"], env=env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
        results = []
        for command, libraries in commands.items():
            for warm_up in ([HANYA, *command.split()], [sys.executable, "-c", "pass"],
                            [sys.executable, "-c", "import " + ", ".join(libraries)]):
                _wall(warm_up, env, (0, 1))  # bytecode written, files in the page cache
            times: dict[str, list[float]] = {"cmd": [], "pass": [], "ref": []}
            ok = True
            for _ in range(runs):
                seconds, fine = _wall([HANYA, *command.split()], env,
                                      (0, 1) if command == "content check" else (0,))
                times["cmd"].append(seconds)
                ok = ok and fine
                times["pass"].append(_wall([sys.executable, "-c", "pass"], env)[0])
                times["ref"].append(_wall([sys.executable, "-c",
                                           "import " + ", ".join(libraries)], env)[0])
            results.append(StartResult(command, statistics.median(times["cmd"]),
                                       statistics.median(times["pass"]),
                                       statistics.median(times["ref"]), ok, times["cmd"]))
        return results


def start_rows(results: list[StartResult], section: str = "U4") -> list[object]:
    from bench.report import Row, verdict

    return [Row(section, f"`hanya {r.command}`: start to exit (s)", f"{r.seconds:.2f}",
                f"{r.reference:.2f} bare import of {', '.join(COMMANDS.get(r.command, []))}; "
                f"{r.bare_python:.2f} `python -c pass`", f"{r.ratio:.2f}", "≤ 2× the imports",
                verdict(r.ok and r.ratio <= 2.0),
                ("" if r.ok else "A RUN FAILED. ")
                + f"median of {len(r.runs)} runs ({min(r.runs):.2f}–{max(r.runs):.2f} s)")
            for r in results]

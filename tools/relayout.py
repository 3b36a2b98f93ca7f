"""Lay ``bot/`` out in layers (issue 18): ``bot/core``, ``bot/features/<feature>``, ``bot/app``.

    python tools/relayout.py            # move, rewrite, report (run from anywhere in the repo)
    python tools/relayout.py --dry-run  # say what would move and which files would change

Idempotent: a module already at its new place is left there, a reference already rewritten no
longer matches, so running it twice changes nothing the second time. It is written to be run
again on a tree it has never seen (the merged main, with other branches' new modules):

1. ``git mv`` each module of MOVES to its new place, creating the packages (``__init__.py``);
2. rewrite every reference in the tree's text files: dotted names with word boundaries
   (``bot.outbox`` -> ``bot.core.outbox``, so imports, ``python -m`` strings, monkeypatch and
   mock targets, entry points, logger names), ``from bot import a, b`` lists (split when
   their modules now live in different packages, keeping each local name), and file paths
   (``bot/outbox.py``, in docs, babel-*.cfg and the Makefile);
3. sort the imports of the rewritten Python files (``ruff --select I --fix``: order only),
   and split a comment or docstring line that the longer names pushed past 100 characters;
4. report what it could not resolve: a module of bot/ it has no place for (left where it is),
   a bare file name of a moved module left in prose, and a glob such as ``bot/cli_*.py``.

It changes no behaviour: only names of modules move (``bot.settings.ROOT`` counts its depth).
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# old module -> new module. Conversations stay in handlers/, web pages in webhooks/.
MOVES: dict[str, str] = {
    # The channel-neutral core: imports nothing of a feature, a conversation or an adapter.
    "bot.settings": "bot.core.settings",
    "bot.errors": "bot.core.errors",
    "bot.store": "bot.core.store",
    "bot.models": "bot.core.models",
    "bot.crypto": "bot.core.crypto",
    "bot.messages": "bot.core.messages",
    "bot.i18n": "bot.core.i18n",
    "bot.texts": "bot.core.texts",
    "bot.keywords": "bot.core.keywords",
    "bot.content": "bot.core.content",
    "bot.sms_encoding": "bot.core.sms_encoding",
    "bot.engine": "bot.core.engine",
    "bot.render": "bot.core.render",
    "bot.guard": "bot.core.guard",
    "bot.recipients": "bot.core.recipients",
    "bot.turn_writes": "bot.core.turn_writes",
    "bot.inbox": "bot.core.inbox",
    "bot.intake": "bot.core.intake",
    "bot.outbox": "bot.core.outbox",
    "bot.spool": "bot.core.spool",
    "bot.logs": "bot.core.logs",
    "bot.migrate": "bot.core.migrate",
    "bot.chat_session": "bot.core.chat_session",
    "bot.channel_registry": "bot.core.channel_registry",
    "bot.content_services": "bot.core.content_services",
    "bot.dead_letters": "bot.core.dead_letters",
    "bot.metrics": "bot.core.metrics",
    # Watch committees (issue 4).
    "bot.committee_models": "bot.features.committees.models",
    "bot.committee_admin": "bot.features.committees.admin",
    "bot.report_vocabulary": "bot.features.committees.vocabulary",
    "bot.report_parser": "bot.features.committees.parser",
    "bot.alerts": "bot.features.committees.alerts",
    "handlers.report_texts": "bot.features.committees.texts",
    "bot.cli_committee": "bot.app.cli_committee",
    # The idea box (issue 5).
    "bot.idea_models": "bot.features.ideas.models",
    "bot.idea_actions": "bot.features.ideas.actions",
    "handlers.idea_texts": "bot.features.ideas.texts",
    # Digests (issue 5).
    "bot.digest_models": "bot.features.digests.models",
    "bot.digest": "bot.features.digests.digest",
    "bot.digest_texts": "bot.features.digests.texts",
    "bot.digest_render": "bot.features.digests.render",
    "bot.chart": "bot.features.digests.chart",
    "bot.scheduler": "bot.features.digests.scheduler",
    # Content editors' tools (issue 3).
    "bot.content_tree": "bot.features.editor.check_tree",
    "bot.content_check": "bot.features.editor.check",
    "bot.content_check_text": "bot.features.editor.check_text",
    "bot.content_staleness": "bot.features.editor.staleness",
    "bot.catalog_sync": "bot.features.editor.catalog_sync",
    "bot.content_check_facts": "bot.features.editor.check_facts",
    # The dashboard's domain (issue 6); its pages stay in webhooks/dashboard/.
    "bot.dashboard_models": "bot.features.dashboard.models",
    "bot.auth": "bot.features.dashboard.auth",
    "bot.indicators": "bot.features.dashboard.indicators",
    "bot.exports": "bot.features.dashboard.exports",
    "bot.cli_users": "bot.features.dashboard.cli",
    "bot.sign_in_guard": "bot.features.dashboard.sign_in_guard",
    # The application: wires the core, the features, the conversations and the channels.
    "bot.all_models": "bot.app.all_models",
    "bot.runtime": "bot.app.runtime",
    "bot.content_reload": "bot.app.content_reload",
    "bot.content_stats": "bot.app.content_stats",
    "bot.keys": "bot.app.keys",
    "bot.retention": "bot.app.retention",
    "bot.intake_process": "bot.app.intake_process",
    "bot.cli_content": "bot.app.cli_content",
    "bot.cli_digest": "bot.app.cli_digest",
    "bot.cli_ops": "bot.app.cli_ops",
    "bot.cli": "bot.app.cli",
    "bot.cli_dead_letters": "bot.app.cli_dead_letters",
    "bot.personal_data": "bot.app.personal_data",
    "bot.content_check_emergency": "bot.app.check_emergency",
    # DELETE reaches every feature's rows: the app hands it to the inbox (bot/app/runtime.py).
    "bot.erasure": "bot.app.erasure",
    "bot.backup": "bot.app.backup",
    "bot.doctor": "bot.app.doctor",
    "bot.settings_doc": "bot.app.settings_doc",
}

PACKAGES: dict[str, str] = {
    "bot": "Hanya's code in three layers: ``core`` (channel-neutral), ``features`` (one package "
           "per feature), ``app`` (the wiring). See docs/ARCHITECTURE.md.",
    "bot.core": "The channel-neutral core: settings, store, crypto, messages, i18n, content, the "
                "engine, the intake, inbox and outbox. Imports no feature, conversation or "
                "adapter (tests/test_layers.py).",
    "bot.features": "One package per feature: its tables, texts, domain actions and CLI. Its "
                    "conversations are in handlers/, its pages in webhooks/dashboard/.",
    "bot.features.committees": "Watch committees: committees, members, reports, the one-SMS "
                               "grammar, urgent alerts, ``hanya committee``.",
    "bot.features.ideas": "The idea box: ideas and sensitive feedback, their status and texts.",
    "bot.features.digests": "Digests: figures, rendering per recipient, chart, schedule.",
    "bot.features.editor": "Content editors' tools: ``hanya content check``, staleness, catalogs.",
    "bot.features.dashboard": "The dashboard's domain: users, sign-in, indicators, exports, "
                              "``hanya user``.",
    "bot.app": "The application: the runtime, the handling process, the CLI, key rotation and "
               "retention, which wire every layer together.",
}

SUFFIXES = {".py", ".md", ".toml", ".cfg", ".ini", ".txt", ".yaml", ".yml", ".html", ".mako",
            ".sh", ".lua", ".pot", ".po", ".json"}
PLAIN_NAMES = {"Makefile", "run", "README", ".pre-commit-config.yaml"}
SKIP_DIRS = {".git", ".venv", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache",
             ".pytest_cache", ".hypothesis", "var"}
SELF = Path(__file__).resolve()
LIMIT = 100  # ruff's line-length


def path_of(module: str) -> Path:
    return ROOT.joinpath(*module.split(".")).with_suffix(".py")


def rel(module: str) -> str:
    return module.replace(".", "/") + ".py"


# --- 1. moving -------------------------------------------------------------------------------

def git(*args: str) -> None:
    subprocess.run(["git", *args], cwd=ROOT, check=True)


def docstring(text: str) -> str:
    lines = textwrap.wrap(f'"""{text}', 96)
    return "\n".join(lines) + ('"""\n' if len(lines) == 1 else '\n"""\n')


def ensure_package(package: str, dry: bool, notes: list[str]) -> None:
    parts = package.split(".")
    for depth in range(1, len(parts) + 1):
        name = ".".join(parts[:depth])
        init = ROOT.joinpath(*parts[:depth], "__init__.py")
        if init.exists():
            continue
        notes.append(f"create {init.relative_to(ROOT)}")
        if not dry:
            init.parent.mkdir(parents=True, exist_ok=True)
            init.write_text(docstring(PACKAGES.get(name, name)), encoding="utf-8")
            git("add", str(init.relative_to(ROOT)))


def move_modules(dry: bool) -> tuple[list[str], list[str]]:
    done: list[str] = []
    problems: list[str] = []
    for old, new in MOVES.items():
        source, target = path_of(old), path_of(new)
        if source.exists() and target.exists():
            problems.append(f"both {rel(old)} and {rel(new)} exist: merge them by hand")
        elif source.exists():
            ensure_package(new.rpartition(".")[0], dry, done)
            done.append(f"git mv {rel(old)} {rel(new)}")
            if not dry:
                git("mv", rel(old), rel(new))
        elif not target.exists():
            problems.append(f"{rel(old)} is gone and {rel(new)} does not exist: check MOVES")
    top = ROOT / "bot" / "__init__.py"  # its old docstring called bot/ the core
    if not dry and top.read_text(encoding="utf-8").count("\n") <= 1:
        top.write_text(docstring(PACKAGES["bot"]), encoding="utf-8")
    return done, problems


# --- 2. rewriting ----------------------------------------------------------------------------

def _dotted_pattern() -> re.Pattern[str]:
    names = sorted(MOVES, key=len, reverse=True)  # the longest first: bot.cli_ops before bot.cli
    alternatives = "|".join(re.escape(n) for n in names)
    return re.compile(rf"(?<![\w.])({alternatives})(?![\w])")


def _path_pattern() -> re.Pattern[str]:
    names = sorted(MOVES, key=len, reverse=True)
    alternatives = "|".join(re.escape(rel(n)) for n in names)
    return re.compile(rf"(?<![\w/.])({alternatives})(?![\w])")


FROM_PACKAGE = re.compile(
    r"^(?P<indent>[ \t]*)from (?P<package>bot|handlers) import "
    r"(?P<names>\([^)]*\)|[^\n#]*?)(?P<comment>[ \t]*#[^\n]*)?$", re.MULTILINE)


def _split_from_import(match: re.Match[str]) -> str:
    """``from bot import a, b as c``: each name to the package that now holds its module."""
    indent, package = match["indent"], match["package"]
    raw = match["names"].strip().strip("()")
    items = [i.strip() for i in raw.replace("\n", " ").split(",") if i.strip()]
    groups: dict[str, list[str]] = {}
    for item in items:
        name, _, alias = (part.strip() for part in item.partition(" as "))
        new = MOVES.get(f"{package}.{name}")
        if new is None:
            groups.setdefault(package, []).append(item)
            continue
        new_package, _, leaf = new.rpartition(".")
        local = alias or name
        groups.setdefault(new_package, []).append(leaf if leaf == local else f"{leaf} as {local}")
    if list(groups) == [package]:
        return match[0]
    comment = match["comment"] or ""
    lines = [f"{indent}from {pkg} import {', '.join(names)}" for pkg, names in groups.items()]
    lines[0] += comment
    return "\n".join(lines)


def rewrite_text(text: str) -> str:
    text = FROM_PACKAGE.sub(_split_from_import, text)
    text = _dotted_pattern().sub(lambda m: MOVES[m[1]], text)
    return _path_pattern().sub(lambda m: rel(MOVES[m[1].removesuffix(".py").replace("/", ".")]),
                               text)


def text_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout.split("\n")
    files = []
    for name in filter(None, listed):
        path = ROOT / name
        if set(path.relative_to(ROOT).parts) & SKIP_DIRS or path.resolve() == SELF:
            continue
        if path.is_file() and (path.suffix in SUFFIXES or path.name in PLAIN_NAMES):
            files.append(path)
    return files


def rewrite_tree(dry: bool) -> list[Path]:
    changed = []
    for path in text_files():
        try:
            before = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        after = rewrite_text(before)
        if after != before:
            changed.append(path)
            if not dry:
                path.write_text(after, encoding="utf-8")
    return changed


def sort_imports(files: list[Path]) -> list[str]:
    ruff = ROOT / ".venv" / "bin" / "ruff"
    command = str(ruff) if ruff.exists() else shutil.which("ruff")
    python = [str(p) for p in files if p.suffix == ".py"]
    if not python:
        return []
    if command is None:
        return ["ruff not found (make install): imports of the rewritten files are not sorted; "
                "run `ruff check --select I --fix` on them"]
    subprocess.run([command, "check", "--quiet", "--select", "I", "--fix", *python],
                   cwd=ROOT, check=False)
    return []


def docstring_lines(tree: ast.AST) -> set[int]:
    """The lines of module, class and function docstrings (prose: a line break changes nothing)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list) or not body or not isinstance(body[0], ast.Expr):
            continue
        value = body[0].value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            lines.update(range(value.lineno, (value.end_lineno or value.lineno) + 1))
    return lines


DIVIDER = re.compile(r"^(\s*# -+ .*? )-{3,}$")


def wrap_line(line: str, in_docstring: bool) -> list[str]:
    """A line the longer names pushed past LIMIT: a divider is trimmed, a comment or docstring
    line is split at a space (prose, so behaviour is the same); code is left as it is."""
    if len(line) <= LIMIT:
        return [line]
    if (divider := DIVIDER.match(line)) and len(divider[1]) + 3 <= LIMIT:
        return [divider[1] + "-" * (LIMIT - len(divider[1]))]
    indent = line[: len(line) - len(line.lstrip())]
    comment = line.lstrip().startswith("#")
    cut = line.rfind(" ", len(indent) + 10, LIMIT + 1)
    if not (comment or in_docstring) or cut < 0:
        return [line]
    rest = indent + ("# " if comment else "") + line[cut + 1 :]
    return [line[:cut].rstrip(), *wrap_line(rest, in_docstring)]


def wrap_long_lines(files: list[Path]) -> None:
    for path in (p for p in files if p.suffix == ".py"):
        text = path.read_text(encoding="utf-8")
        try:
            prose = docstring_lines(ast.parse(text))
        except SyntaxError:
            continue
        lines = text.split("\n")
        wrapped = [part for number, line in enumerate(lines, 1)
                   for part in wrap_line(line, number in prose)]
        if wrapped != lines:
            path.write_text("\n".join(wrapped), encoding="utf-8")


NEW_NAME = re.compile(r"\bbot[./](core|features|app)\b")


def too_long(files: list[Path]) -> list[str]:
    """Lines past the limit that name a new module (the ones this script made long)."""
    return [f"{path.relative_to(ROOT)}:{number}: longer than {LIMIT} characters"
            for path in files if path.suffix == ".py"
            for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1)
            if len(line) > LIMIT and NEW_NAME.search(line)]


# --- 3. what is left -------------------------------------------------------------------------

def leftovers() -> list[str]:
    found = []
    placed = {path_of(m).resolve() for m in MOVES.values()}
    for path in sorted((ROOT / "bot").glob("*.py")):
        if path.name != "__init__.py" and path.resolve() not in placed:
            found.append(f"{path.relative_to(ROOT)}: not in MOVES, left where it is; give it a "
                         "layer (core, features/<name>, app) in MOVES and run again")
    leaves = sorted({old.rpartition(".")[2] for old in MOVES}, key=len, reverse=True)
    bare = re.compile(rf"(?<![\w/.])({'|'.join(map(re.escape, leaves))})\.py\b")
    glob = re.compile(r"\b(?:bot|handlers)/\w*\*\w*\.py")
    for path in text_files():
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(lines, 1):
            where = f"{path.relative_to(ROOT)}:{number}"
            for match in glob.finditer(line):
                found.append(f"{where}: glob {match[0]} names old files")
            if path.suffix in {".md", ".py"}:
                for match in bare.finditer(line):
                    if not _still_exists(match[1]):
                        found.append(f"{where}: bare file name {match[0]} (moved)")
    return found


def _still_exists(leaf: str) -> bool:
    """A bare name may be a module that did not move (handlers/report.py, webhooks/app.py)."""
    return any(p.is_file() for pkg in ("bot", "handlers", "webhooks", "webhooks/dashboard")
               for p in [ROOT / pkg / f"{leaf}.py"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dry-run", action="store_true")
    dry = parser.parse_args().dry_run
    moved, problems = move_modules(dry)
    changed = rewrite_tree(dry)
    if not dry:
        problems += sort_imports(changed)
        wrap_long_lines(changed)
    print(f"{len([m for m in moved if m.startswith('git mv')])} modules moved, "
          f"{len(changed)} files rewritten{' (dry run)' if dry else ''}")
    for line in moved:
        print(f"  {line}")
    for path in changed:
        print(f"  rewrote {path.relative_to(ROOT)}")
    unresolved = problems + ([] if dry else leftovers() + too_long(changed))
    print(f"{len(unresolved)} left to a person:")
    for line in unresolved:
        print(f"  {line}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""docs/SETTINGS.md, written from ``Settings`` itself: each field's comment is its documentation.

``python -m bot.app.settings_doc`` rewrites the file; ``--check`` fails when it is stale (CI and a
test run it), so a setting the CLI names in a hint is always in the table.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from pydantic import SecretStr

from bot.core import settings as settings_module
from bot.core.settings import ROOT, Settings

SOURCE = Path(settings_module.__file__)
TARGET = ROOT / "docs" / "SETTINGS.md"
HEADER = """# Every setting

Written by `python -m bot.app.settings_doc` from the comments in `bot/core/settings.py` (do not
edit by hand). Each comes from the environment, prefix `HANYA_`, or from a `.env` file. A list
takes `a,b` or a JSON list. Paths default under the checkout (`var/`, `content/`, `locales/`).

| variable | default | what |
|---|---|---|
"""


def comments() -> dict[str, str]:
    """Each field's comment lines just above it, joined; a field right under another (no blank
    line, no comment of its own) shares its comment, as a group of limits does."""
    lines = SOURCE.read_text().splitlines()
    tree = ast.parse(SOURCE.read_text())
    found: dict[str, str] = {}
    previous = ""
    settings = next(node for node in tree.body
                    if isinstance(node, ast.ClassDef) and node.name == "Settings")
    for node in settings.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        above: list[str] = []
        row = node.lineno - 2
        while row >= 0 and lines[row].strip().startswith("#"):
            above.insert(0, lines[row].strip().lstrip("#").strip())
            row -= 1
        if not above and row >= 0 and lines[row].strip() and not lines[row].strip().startswith(
                ("@", "def ", "class ")):
            above = [previous]
        previous = found[node.target.id] = " ".join(above)
    return found


def _default(name: str) -> str:
    field = Settings.model_fields[name]
    value = field.get_default(call_default_factory=True)
    if value is None or isinstance(value, SecretStr) or name.endswith(("_key", "_token")):
        return "unset"
    if isinstance(value, Path):
        try:
            return f"`{value.relative_to(ROOT)}`"
        except ValueError:
            return f"`{value}`"
    if isinstance(value, list):
        return f"`{','.join(map(str, value))}`" if value else "empty"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if name == "database_url":
        return "`sqlite:///var/hanya.db`"
    return f"`{value}`"


def render() -> str:
    documented = comments()
    rows = [f"| `HANYA_{name.upper()}` | {_default(name)} | "
            f"{documented.get(name) or '(undocumented)'} |"
            for name in Settings.model_fields]
    return HEADER + "\n".join(rows) + "\n"


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        if not TARGET.exists() or TARGET.read_text() != text:
            print("docs/SETTINGS.md is stale: run `python -m bot.app.settings_doc`")
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

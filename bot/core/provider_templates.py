"""Pre-approved message templates (WhatsApp through Twilio's Content API), which editors own in
``content/whatsapp_templates.yaml``: by message kind and language, the template's ``ContentSid``
and what fills its variables.

WhatsApp takes a free-form message only within 24 hours of the person's last one; outside, only
a template approved by Meta. The file names, for each kind of unprompted message (``alert``,
``digest``, ``idea``, and ``menu`` for a quick-reply or list template), the template per
language::

    templates:
      alert:
        fr: {sid: HX0123456789abcdef0123456789abcdef, variables: [text]}

``variables`` lists what fills ``{{1}}``, ``{{2}}``...: ``text`` is the message itself, on one
line (WhatsApp refuses a variable with a line break or a tab). No template for a kind and a
language: the message goes to the person's other channel (bot/core/reroute.py).
``hanya content check`` checks the file with :func:`problems`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["FILE", "KINDS", "Template", "Templates", "load", "problems"]

FILE = "whatsapp_templates.yaml"
KINDS = ("alert", "digest", "idea", "menu")
VARIABLES = ("text",)
CONTENT_SID = re.compile(r"HX[0-9a-f]{32}")
# Meta's limit for one variable's text; longer is cut with an ellipsis.
MAX_VARIABLE = 1024


@dataclass(frozen=True)
class Template:
    sid: str
    variables: tuple[str, ...]

    def content_variables(self, text: str) -> str:
        """``ContentVariables``: the JSON Twilio takes, ``{"1": ...}`` in the template's order."""
        one_line = " · ".join(part.strip() for part in text.splitlines() if part.strip())
        one_line = re.sub(r"\s{4,}", "   ", one_line.replace("\t", " "))
        if len(one_line) > MAX_VARIABLE:
            one_line = one_line[:MAX_VARIABLE - 1] + "…"
        values = {"text": one_line}
        return json.dumps({str(i): values[name] for i, name in enumerate(self.variables, 1)},
                          ensure_ascii=False)


@dataclass(frozen=True)
class Templates:
    by_kind: dict[str, dict[str, Template]]

    def pick(self, kind: str | None, language: str | None,
             fallback: tuple[str, ...] = ("fr",)) -> Template | None:
        """The template for ``kind`` in ``language``, else in the first fallback language that
        has one; None when no template fits."""
        found = self.by_kind.get(kind or "", {})
        for code in (language, *fallback):
            if code and code in found:
                return found[code]
        return None


def _read(path: Path) -> Any:
    if not path.exists():
        return {"templates": {}}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {"templates": {}}


def problems(path: Path, languages: set[str]) -> list[str]:
    """What is wrong in the file (empty: nothing); each problem a sentence for the editor."""
    try:
        data = _read(path)
    except yaml.YAMLError as exc:
        return [f"not valid YAML: {exc}"]
    found: list[str] = []
    table = data.get("templates") if isinstance(data, dict) else None
    if not isinstance(table, dict):
        return ["the file must hold a 'templates' mapping: kind -> language -> template"]
    for kind, per_language in table.items():
        if kind not in KINDS:
            found.append(f"unknown message kind {kind!r} (one of: {', '.join(KINDS)})")
            continue
        if not isinstance(per_language, dict):
            found.append(f"{kind}: a mapping of language code -> template is expected")
            continue
        for code, entry in per_language.items():
            where = f"{kind}/{code}"
            if code not in languages:
                found.append(f"{where}: {code!r} is not a language of languages.yaml")
            if not isinstance(entry, dict):
                found.append(f"{where}: expected {{sid: HX..., variables: [text]}}")
                continue
            if not CONTENT_SID.fullmatch(str(entry.get("sid", ""))):
                found.append(f"{where}: sid must be a Twilio ContentSid (HX and 32 hex digits)")
            unknown = [v for v in entry.get("variables") or [] if v not in VARIABLES]
            if unknown:
                found.append(f"{where}: unknown variable(s) {unknown} (known: "
                             f"{', '.join(VARIABLES)})")
    return found


def load(content_dir: Path) -> Templates:
    """The templates in ``content_dir`` (none when the file is absent); ValueError when the
    file is wrong (the content check refuses it first)."""
    data = _read(content_dir / FILE)
    table = data.get("templates") if isinstance(data, dict) else None
    if not isinstance(table, dict):
        raise ValueError(f"{FILE}: no 'templates' mapping")
    return Templates({kind: {code: Template(str(entry["sid"]),
                                            tuple(entry.get("variables") or ()))
                             for code, entry in (per_language or {}).items()}
                      for kind, per_language in table.items()})

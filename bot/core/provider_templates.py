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

``menu`` is the main menu within the 24-hour session, as a ``twilio/list-picker`` (up to 10
items; a ``twilio/quick-reply`` takes only 3 buttons in session) whose body is ``{{1}}`` and
whose items' labels are ``{{2}}``, ``{{3}}``..., each item's id its number ("1", "2"...): a tap
comes back as that number (``ListId``, ``ButtonPayload``), read as the number typed::

    menu:
      fr: {sid: HX..., variables: [text, options], items: 9}

``text`` is then the menu's title and ``options`` its options' labels, one variable each;
``items`` says how many the template lists: the menu's first ones (a list holds ten at most;
the options after them are numbered after the title, to be typed). A menu with fewer options
than that (the editors changed menu.yaml) goes as numbered text, as it does with no template.
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
VARIABLES = ("text", "options")
CONTENT_SID = re.compile(r"HX[0-9a-f]{32}")
# Meta's limit for one variable's text; longer is cut with an ellipsis.
MAX_VARIABLE = 1024
MAX_ITEMS, MAX_ITEM = 10, 24  # a list picker's items, and the characters of an item's label


def _one_line(text: str, limit: int = MAX_VARIABLE) -> str:
    one_line = " · ".join(part.strip() for part in text.splitlines() if part.strip())
    one_line = re.sub(r"\s{4,}", "   ", one_line.replace("\t", " "))
    return one_line if len(one_line) <= limit else one_line[:limit - 1] + "…"


@dataclass(frozen=True)
class Template:
    sid: str
    variables: tuple[str, ...]
    items: int | None = None  # a menu template: how many options it lists

    def content_variables(self, text: str, options: list[str] | None = None) -> str:
        """``ContentVariables``: the JSON Twilio takes, ``{"1": ...}`` in the template's order
        (``options``, when the template has them, fill one variable each)."""
        values: list[str] = []
        for name in self.variables:
            if name == "options":
                values += [_one_line(label, MAX_ITEM) for label in options or []]
            else:
                values.append(_one_line(text))
        return json.dumps({str(i): value for i, value in enumerate(values, 1)},
                          ensure_ascii=False)

    def fits_menu(self, options: list[str]) -> bool:
        """Whether this menu template can carry these options (it lists no more than them)."""
        return "options" in self.variables and self.items is not None and (
            1 <= self.items <= len(options))

    def menu_variables(self, title: str, options: list[str]) -> str:
        """A menu's ``ContentVariables``: its first ``items`` options in the list, any after
        them numbered after the title (to be typed: a list holds ten at most)."""
        listed, rest = options[:self.items], options[self.items:]
        body = " · ".join([title, *(f"{i} {label}" for i, label
                                    in enumerate(rest, len(listed) + 1))])
        return self.content_variables(body, listed)


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
            items = entry.get("items")
            if kind == "menu" and (not isinstance(items, int) or not 1 <= items <= MAX_ITEMS
                                   or "options" not in (entry.get("variables") or [])):
                found.append(f"{where}: a menu template needs variables [text, options] and "
                             f"items: how many options it lists (1 to {MAX_ITEMS})")
            elif kind != "menu" and "options" in (entry.get("variables") or []):
                found.append(f"{where}: only a menu template has options")
    return found


def load(content_dir: Path) -> Templates:
    """The templates in ``content_dir`` (none when the file is absent); ValueError when the
    file is wrong (the content check refuses it first)."""
    data = _read(content_dir / FILE)
    table = data.get("templates") if isinstance(data, dict) else None
    if not isinstance(table, dict):
        raise ValueError(f"{FILE}: no 'templates' mapping")
    return Templates({kind: {code: Template(str(entry["sid"]),
                                            tuple(entry.get("variables") or ()),
                                            entry.get("items"))
                             for code, entry in (per_language or {}).items()}
                      for kind, per_language in table.items()})

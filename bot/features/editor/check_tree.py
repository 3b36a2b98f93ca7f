"""The framework of ``hanya content check``: findings, the YAML loader that keeps line numbers,
and the tree under check. The structural checks (``check``) and the checks of the texts
(``check_text``) both build on it, so neither imports the other's framework.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml

from bot.core.content import SAFE_LOADER
from bot.core.i18n import Language

__all__ = ["DEFAULT_REVIEW_DAYS", "REGION", "SEVERITIES", "Finding", "Located", "Report",
           "Severity", "Tree", "load_located"]

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
DEFAULT_REVIEW_DAYS = 180
REGION = "NE"  # numbers written without +country are read as Niger's


# --- findings --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    severity: Severity
    file: str  # relative to the folder holding content/ and locales/
    line: int | None
    message: str
    language: str | None = None

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        lang = f" [{self.language}]" if self.language else ""
        return f"{where}: {self.severity}{lang}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "file": self.file, "line": self.line,
                "language": self.language, "message": self.message}


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)

    def of(self, severity: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity]

    @property
    def errors(self) -> list[Finding]:
        return self.of("error")

    @property
    def ok(self) -> bool:
        """True when nothing would make a reply wrong (warnings allowed)."""
        return not self.errors

    def summary(self) -> str:
        counts = {s: len(self.of(s)) for s in SEVERITIES}
        return ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items())


# --- YAML that remembers where things are -----------------------------------------------------

class Located(dict[Any, Any]):
    """A YAML mapping that knows its own line and the line of each of its keys (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class _LineLoader(SAFE_LOADER):  # type: ignore[misc,valid-type]  # libyaml's when built with it
    pass


def _located_map(loader: _LineLoader, node: yaml.MappingNode) -> Iterator[Located]:
    data = Located()
    data.line, data.key_lines = node.start_mark.line + 1, {}
    yield data  # yielded first, as PyYAML does, so that anchors and aliases resolve
    data.update(loader.construct_mapping(node))
    for key_node, _value in node.value:
        data.key_lines[loader.construct_object(key_node)] = key_node.start_mark.line + 1


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _located_map)


def load_located(path: Path) -> Any:
    """Parse a YAML file into plain values whose mappings are ``Located``."""
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass


# --- the tree being checked ------------------------------------------------------------------

@dataclass
class Tree:
    """The content and locales folders under check, and the findings gathered so far."""

    content_dir: Path
    locales_dir: Path
    max_segments: int = 3
    review_days: int = DEFAULT_REVIEW_DAYS
    today: date = field(default_factory=date.today)
    report: Report = field(default_factory=Report)
    languages: dict[str, Language] = field(default_factory=dict)
    topics: dict[str, Any] = field(default_factory=dict)  # language -> Located key -> entry
    menu: list[str] = field(default_factory=list)
    points: set[str] = field(default_factory=set)
    catalogs: dict[Path, Any] = field(default_factory=dict)  # parsed .po files, by path
    parsed: dict[Path, Any] = field(default_factory=dict)  # YAML files read, by path

    @property
    def root(self) -> Path:
        return Path(os.path.commonpath([self.content_dir.resolve(), self.locales_dir.resolve()]))

    def show(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def add(self, severity: Severity, path: Path, line: int | None, message: str,
            language: str | None = None) -> None:
        self.report.findings.append(Finding(severity, self.show(path), line, message, language))

    def load(self, path: Path, language: str | None = None) -> Any:
        """A located YAML file, or None after recording why it cannot be read; read once per
        check (several checks, and the loader at the end, look at the same file)."""
        if path in self.parsed:
            return self.parsed[path]
        if not path.exists():
            self.add("error", path, None, "file is missing", language)
            return None
        try:
            self.parsed[path] = load_located(path)
            return self.parsed[path]
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            self.add("error", path, mark.line + 1 if mark else None,
                     f"YAML syntax error: {problem}", language)
        except UnicodeDecodeError:
            self.add("error", path, None, "not saved as UTF-8", language)
        return None

    def section(self, path: Path, key: str, kind: type) -> Any:
        """The top-level ``key`` of a YAML file, checked to be a list or a mapping."""
        data = self.load(path)
        if data is None:
            return None
        if not isinstance(data, Mapping) or not isinstance(data.get(key), kind):
            what = "a list" if kind is list else "a mapping"
            self.add("error", path, getattr(data, "line", 1), f"expected '{key}:' with {what}")
            return None
        return data[key]

    def name(self, code: str | None) -> str:
        language = self.languages.get(code or "")
        return f"{language.name} ({code})" if language else f"({code})"

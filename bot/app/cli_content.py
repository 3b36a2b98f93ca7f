"""``hanya content``: the editors' commands (check, stats, review, mark-translated,
audio-import, catalogs)."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from bot.app import check_emergency
from bot.core.errors import ContentError
from bot.core.settings import get_settings
from bot.features.editor.audio_import import import_recording
from bot.features.editor.catalog_sync import sync_catalogs
from bot.features.editor.check import Finding, check_content, review_due
from bot.features.editor.staleness import mark_translated

if TYPE_CHECKING:
    from bot.app.content_stats import LanguageStats

content_app = typer.Typer(help="Content editors' tools: check, coverage, review dates.",
                          no_args_is_help=True)
# Wide enough for the stats tables when the output goes to a file or a pipe.
console = Console(width=None if Console().is_terminal else 120)
_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


@content_app.command("check")
def check(
    as_json: Annotated[bool, typer.Option("--json", help="findings as JSON")] = False,
    quiet: Annotated[bool, typer.Option(help="errors and warnings only, no info")] = False,
) -> None:
    """Everything that would make a reply wrong or missing. Exit 1 on errors, 0 otherwise."""
    settings = get_settings()
    report = check_content(settings.content_dir, settings.locales_dir, extra=check_emergency.CHECKS,
                           max_segments=settings.sms_max_segments,
                           review_days=settings.review_days)
    findings = [f for f in report.findings if not (quiet and f.severity == "info")]
    if as_json:
        typer.echo(json.dumps({"ok": report.ok, "findings": [f.as_dict() for f in findings]},
                              ensure_ascii=False, indent=2))
    else:
        for finding in findings:
            _print_finding(finding)
        colour = "green" if report.ok else "red"
        console.print(f"[{colour}]{report.summary()}[/{colour}]")
    raise typer.Exit(0 if report.ok else 1)


def _print_finding(finding: Finding) -> None:
    """One line, assembled as text (no markup to parse: a content check prints hundreds)."""
    where = finding.file + (f":{finding.line}" if finding.line else "")
    lang = f" [{finding.language}]" if finding.language else ""
    console.print(Text.assemble(f"{where}: ", (finding.severity, _STYLE[finding.severity]),
                                f"{lang}: ", finding.message), highlight=False, soft_wrap=True)


@content_app.command("stats")
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    point: Annotated[str | None, typer.Option(help="place whose services fill 'help near "
                                                    "you' (default: the one with most)")] = None,
) -> None:
    """Translation coverage per language and the SMS cost of the main replies."""
    settings = get_settings()
    from bot.app.content_stats import content_stats  # the engine and a store: stats only

    result = content_stats(settings, point)
    if as_json:
        typer.echo(json.dumps([s.as_dict() for s in result], ensure_ascii=False, indent=2))
        return
    console.print(_coverage_table(result))
    console.print(_sms_table(result, settings.sms_max_segments))
    console.print(_recordings_table(result))


def _recordings_table(result: list[LanguageStats]) -> Table:
    table = Table(title="Recordings (voice notes on Telegram; content/<language>/audio/)")
    table.add_column("language")
    table.add_column("recordings")
    for s in result:
        table.add_row(f"{s.code} {s.name}", escape(s.recordings_line))
    return table


def _coverage_table(result: list[LanguageStats]) -> Table:
    table = Table(title="Translation coverage (topics of the menu, UI strings)")
    for column in ("language", "topics ok", "draft", "missing", "stale",
                   "UI ok", "draft", "fuzzy", "missing"):
        table.add_column(column, justify="left" if column == "language" else "right")
    for s in result:
        t, u = s.topics, s.ui
        table.add_row(f"{s.code} {s.name}", f"{t.translated}/{t.total}", str(t.draft),
                      str(t.missing), ", ".join(t.stale) or "0", f"{u.translated}/{u.total}",
                      str(u.draft), str(u.fuzzy), str(u.missing))
    return table


def _sms_table(result: list[LanguageStats], budget: int) -> Table:
    replies = list(dict.fromkeys(r.reply for s in result for r in s.sms))
    table = Table(title=f"SMS cost of the main replies: segments (pages), G = GSM-7, "
                        f"U = UCS-2; budget {budget} segments per page")
    table.add_column("reply")
    for s in result:
        table.add_column(s.code, justify="right")
    for reply in replies:
        cells = []
        for s in result:
            cost = next((r for r in s.sms if r.reply == reply), None)
            cells.append("-" if cost is None else
                         f"{cost.segments}{' (' + str(cost.pages) + ')' if cost.pages > 1 else ''}"
                         f" {cost.encoding[0]}")
        table.add_row(reply, *cells)
    totals = [str(sum(r.segments for r in s.sms)) for s in result]
    table.add_row("[bold]all replies[/bold]", *totals)
    return table


@content_app.command("review")
def review() -> None:
    """Services due for review (verified_on empty or too old), by place."""
    settings = get_settings()
    due = review_due(settings.content_dir, settings.review_days)
    by_point: dict[str, list[str]] = defaultdict(list)
    for item in due:
        by_point[item.point].append(f"  services.yaml:{item.line} {item.service_id}: "
                                    + "; ".join(item.problems))
    for point in sorted(by_point):
        console.print(f"[bold]{point}[/bold] ({len(by_point[point])})")
        for line in by_point[point]:
            console.print(line, markup=False, highlight=False)
    console.print(f"{len(due)} service(s) due for review (period: {settings.review_days} days)")


@content_app.command("mark-translated")
def mark(language: str, topic: str) -> None:
    """Record that LANGUAGE's TOPIC now matches the French source (clears 'stale')."""
    settings = get_settings()
    try:
        value = mark_translated(settings.content_dir, language, topic)
    except (ContentError, FileNotFoundError) as exc:
        console.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(1) from exc
    console.print(f"{language}/topics.yaml: {topic} marked as translated (source_hash {value})")


@content_app.command("audio-import")
def audio_import(
    language: str, key: Annotated[str, typer.Argument(help="a topic key, or 'menu'")],
    file: Annotated[Path, typer.Argument(help="the sound file: MP3, WAV, OGG, M4A...")],
    by: Annotated[str, typer.Option("--by", help="who recorded it: \"Name, organisation\"")],
    on: Annotated[str | None, typer.Option("--on", help="when (YYYY-MM-DD); today if not "
                                                        "given")] = None,
) -> None:
    """Convert a recording to OGG/Opus into content/LANGUAGE/audio/ and record its text version."""
    settings = get_settings()
    try:
        when = date.fromisoformat(on) if on else date.today()
        path, seconds = import_recording(settings.content_dir, language, key, file,
                                         recorded_by=by, recorded_on=when)
    except (ContentError, ValueError, OSError) as exc:
        console.print(f"[red]{escape(str(exc))}[/red]", highlight=False)
        raise typer.Exit(1) from exc
    console.print(f"{path.relative_to(settings.content_dir)}: {seconds:.0f} s, recorded by "
                  f"{by}, from today's text", markup=False, highlight=False)


@content_app.command("catalogs")
def catalogs(
    check_only: Annotated[bool, typer.Option("--check", help="only tell which are stale")]
    = False,
    templates: Annotated[Path | None, typer.Option(help="folder of freshly extracted .pot")]
    = None,
) -> None:
    """Update each language's .po from locales/<domain>.pot (--check: fail if stale)."""
    settings = get_settings()
    stale = sync_catalogs(settings.locales_dir, templates, check=check_only)
    for item in stale:
        verb = "stale" if check_only else "updated"
        console.print(f"{item.path}: {verb}: {item.reason}", highlight=False)
    if check_only and stale:
        raise typer.Exit(1)
    console.print("catalogs are up to date" if not stale else f"{len(stale)} file(s) updated")

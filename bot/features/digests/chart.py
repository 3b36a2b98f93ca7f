"""The weekly chart: this week against the previous one, as a PNG readable on a phone.

Matplotlib's object API with the Agg canvas (no display on a server, and no pyplot global
state, so the daily and weekly jobs may draw at once). Horizontal bars so that long labels
in any language stay readable, large type, each bar labelled with its number (or "<5" for
partners, whose small counts are drawn as empty bars).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

# Portrait, about 900 x 1200 pixels: fills a phone screen without zooming.
SIZE_INCHES, DPI = (6.0, 8.0), 150
THIS_WEEK, PREVIOUS_WEEK = "#1f6f8b", "#b8c4cc"


@dataclass(frozen=True)
class Bar:
    label: str
    now: int
    before: int


def weekly_chart(path: Path, bars: Sequence[Bar], *, title: str, legend: tuple[str, str],
                 counts: Callable[[int | None], str]) -> Path:
    """Draw ``bars`` (this week, previous week) to ``path``; return the path."""
    # Imported here, not at module load: matplotlib and numpy cost ~50 MB in every web
    # process, and only the weekly digest draws.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path.parent.mkdir(parents=True, exist_ok=True)
    shown = [(b, counts(b.now), counts(b.before)) for b in bars]
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    rows = list(range(len(shown)))[::-1]  # first bar on top
    height = 0.38
    now_values = [_value(text) for _, text, _ in shown]
    before_values = [_value(text) for _, _, text in shown]
    now_bars = axes.barh([r + height / 2 for r in rows], now_values, height,
                         color=THIS_WEEK, label=legend[0])
    before_bars = axes.barh([r - height / 2 for r in rows], before_values, height,
                            color=PREVIOUS_WEEK, label=legend[1])
    axes.bar_label(now_bars, labels=[text for _, text, _ in shown], padding=4, fontsize=13)
    axes.bar_label(before_bars, labels=[text for _, _, text in shown], padding=4,
                   fontsize=11, color="#555555")
    axes.set_yticks(rows, [bar.label for bar, _, _ in shown], fontsize=13)
    axes.set_title(title, fontsize=15, loc="left", wrap=True)
    axes.spines[["top", "right", "bottom"]].set_visible(False)
    axes.xaxis.set_visible(False)  # every bar carries its number: a scale would be clutter
    axes.set_xlim(0, max([1, *now_values, *before_values]) * 1.25)  # room for the numbers
    axes.legend(fontsize=12, loc="lower right", frameon=False)
    tmp = path.with_suffix(".tmp.png")
    figure.savefig(tmp, format="png")
    os.replace(tmp, path)  # a sender never reads a half-written file
    return path


def _value(text: str) -> int:
    """The bar length for a shown count: a hidden small count ("<5") is drawn empty."""
    return int(text) if text.isdigit() else 0

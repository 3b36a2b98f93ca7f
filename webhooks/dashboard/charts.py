"""Server-side SVG: a horizontal bar chart and the shaded schematic map of the regions.

Plain SVG markup, a few hundred bytes each, readable without any script or map tiles.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from html import escape

from markupsafe import Markup

from bot.features.dashboard.indicators import Count
from webhooks.dashboard.web import STATIC

_ROW, _LABEL_W, _BAR_W = 20, 130, 220


def bar_chart(counts: Sequence[Count], title: str, limit: int = 12) -> Markup:
    """Horizontal bars, one per count (suppressed counts get no bar, and read "<n")."""
    rows = list(counts)[:limit]
    top = max((c.value or 0 for c in rows), default=0) or 1
    height = _ROW * len(rows) + 4
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
             f'viewBox="0 0 {_LABEL_W + _BAR_W + 60} {height}"><title>{escape(title)}</title>']
    for i, c in enumerate(rows):
        y = i * _ROW + 2
        width = round(_BAR_W * (c.value or 0) / top, 1)
        shown = "&lt;" if c.value is None else str(c.value)
        parts.append(f'<text x="{_LABEL_W - 4}" y="{y + 14}" text-anchor="end">'
                     f'{escape(c.label[:22])}</text>'
                     f'<rect x="{_LABEL_W}" y="{y + 3}" width="{width}" height="{_ROW - 6}"/>'
                     f'<text x="{_LABEL_W + width + 4}" y="{y + 14}">{shown}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text inside is escaped above


@lru_cache(maxsize=1)
def _map_source() -> str:
    svg = (STATIC / "niger-regions.svg").read_text(encoding="utf-8")
    return re.sub(r"<!--.*?-->", "", svg, flags=re.S)


def shaded_map(by_region: Sequence[Count], prefix: str) -> Markup:
    """The schematic map with each region shaded in five steps by its share of the maximum.

    ``prefix`` keeps element ids unique when a page shows two maps.
    """
    top = max((c.value or 0 for c in by_region), default=0)
    shades = {c.key: _shade(c.value, top) for c in by_region}

    def shade(match: re.Match[str]) -> str:
        return f'id="{prefix}-{match[1]}" class="region shade-{shades.get(match[1], 0)}"'

    svg = re.sub(r'id="(NE\d{3})" class="region"', shade, _map_source())
    svg = svg.replace("map-title", f"{prefix}-title")
    return Markup(svg.replace("<svg ", '<svg class="map" ', 1))  # noqa: S704 - our own file


def _shade(value: int | None, top: int) -> int:
    if not value or not top:
        return 0
    return min(4, 1 + (4 * value - 1) // top)

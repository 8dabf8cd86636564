"""Inline SVG bar charts, generated as text: no JavaScript, no network, no fonts to fetch.

Each chart is one `<svg class="chart" data-chart=NAME>` with, per bar, a `<rect class="bar">`,
a `<text class="label">` and a `<text class="value">` — what the report tests count.
"""

from __future__ import annotations

from html import escape
from typing import Sequence

ROW_HEIGHT = 22
LABEL_WIDTH = 260
BAR_AREA = 560
VALUE_WIDTH = 70
MAX_LABEL_CHARS = 28


def _clip(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def bar_chart(name: str, rows: Sequence[tuple[str, float]], *, caption: str, colour: str = "#3b6ea5") -> str:
    """A horizontal bar chart, one row per (label, value), in the order given."""
    width = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH
    height = max(1, len(rows)) * ROW_HEIGHT + 8
    top = max((v for _, v in rows), default=0) or 1
    parts = [
        f'<svg class="chart" data-chart="{escape(name)}" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(caption)}">',
        f"<title>{escape(caption)}</title>",
    ]
    if not rows:
        parts.append('<text class="empty" x="4" y="18">no data</text>')
    for i, (label, value) in enumerate(rows):
        y = 4 + i * ROW_HEIGHT
        bar = max(1.0, BAR_AREA * value / top) if value else 0.0
        parts.append(
            f'<text class="label" x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(_clip(label))}</text>"
        )
        parts.append(
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y + 2}" width="{bar:.1f}" height="{ROW_HEIGHT - 6}" '
            f'fill="{colour}" data-value="{value:g}"/>'
        )
        parts.append(f'<text class="value" x="{LABEL_WIDTH + bar + 6:.1f}" y="{y + 15}">{value:g}</text>')
    parts.append("</svg>")
    return "".join(parts)

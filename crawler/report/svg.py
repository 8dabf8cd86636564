"""Inline SVG charts, generated as text: no JavaScript, no network, no fonts to fetch.

Each chart is one `<svg class="chart" data-chart=NAME>`. A bar chart has, per bar, a
`<rect class="bar">`, a `<text class="label">` and a `<text class="value">`; a column chart
(a time series, the run history) has per column a `<rect class="bar" data-label=… data-value=…>`
and, below the axis, `<text class="tick">` labels that never overlap — what the report tests
count. Labels are cut (with "…", the whole label in a `<title>`) to the width they have, counting
a CJK character as wide as two Latin ones.
"""

from __future__ import annotations

import unicodedata
from html import escape
from typing import Sequence

ROW_HEIGHT = 22
LABEL_WIDTH = 260
BAR_AREA = 560
VALUE_WIDTH = 70
FONT_PX = 12
WIDE_PX = 12.5   # a CJK character at 12px, with some room for a wider fallback font
NARROW_PX = 7.2  # a Latin letter or digit at 12px (upper bound of common sans fonts)

COLUMN_AREA = 820
COLUMN_HEIGHT = 160
TICK_ROOM = 34


def text_width(text: str) -> float:
    """Upper estimate of the width of `text` in pixels at the charts' 12px font."""
    return sum(WIDE_PX if unicodedata.east_asian_width(ch) in "WF" else NARROW_PX for ch in text)


def fit(label: str, width: float) -> str:
    """`label`, cut with "…" so that it fits in `width` pixels."""
    if text_width(label) <= width:
        return label
    kept = ""
    for ch in label:
        if text_width(kept + ch + "…") > width:
            break
        kept += ch
    return kept + "…"


def _open(name: str, caption: str, width: float, height: float) -> list[str]:
    return [
        f'<svg class="chart" data-chart="{escape(name)}" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="{escape(caption)}">',
        f"<title>{escape(caption)}</title>",
    ]


def bar_chart(name: str, rows: Sequence[tuple[str, float]], *, caption: str, colour: str = "#3b6ea5") -> str:
    """A horizontal bar chart, one row per (label, value), in the order given."""
    width = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH
    height = max(1, len(rows)) * ROW_HEIGHT + 8
    top = max((v for _, v in rows), default=0) or 1
    parts = _open(name, caption, width, height)
    if not rows:
        parts.append('<text class="empty" x="4" y="18">no data</text>')
    for i, (label, value) in enumerate(rows):
        y = 4 + i * ROW_HEIGHT
        bar = max(1.0, BAR_AREA * value / top) if value else 0.0
        parts.append(
            f'<text class="label" x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(fit(label, LABEL_WIDTH - 12))}</text>"
        )
        parts.append(
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y + 2}" width="{bar:.1f}" height="{ROW_HEIGHT - 6}" '
            f'fill="{colour}" data-value="{value:g}"/>'
        )
        parts.append(f'<text class="value" x="{LABEL_WIDTH + bar + 6:.1f}" y="{y + 15}">{value:g}</text>')
    parts.append("</svg>")
    return "".join(parts)


def column_chart(name: str, columns: Sequence[tuple[str, float, str]], *, caption: str,
                 tick_labels: Sequence[str] | None = None, unit: str = "") -> str:
    """Vertical columns left to right — a time series or a run history: one column per
    (label, value, colour). `tick_labels` (default: the labels) are shown below the axis, as
    many as fit without overlapping (first and last always); the y axis shows the maximum."""
    left, right = 48, 12
    width = left + COLUMN_AREA + right
    height = COLUMN_HEIGHT + TICK_ROOM + 10
    parts = _open(name, caption, width, height)
    base = 8 + COLUMN_HEIGHT
    if not columns:
        parts.append('<text class="empty" x="4" y="18">no data</text></svg>')
        return "".join(parts)
    top = max(v for _, v, _ in columns) or 1
    step = COLUMN_AREA / len(columns)
    bar_width = max(1.0, step * 0.8)
    parts.append(f'<line class="axis" x1="{left}" y1="{base}" x2="{left + COLUMN_AREA}" y2="{base}" stroke="#888"/>')
    parts.append(f'<text class="ymax" x="{left - 6}" y="16" text-anchor="end">{top:g}</text>')
    parts.append(f'<text class="ymin" x="{left - 6}" y="{base}" text-anchor="end">0</text>')
    for i, (label, value, colour) in enumerate(columns):
        h = COLUMN_HEIGHT * value / top if value else 0.0
        x = left + i * step + (step - bar_width) / 2
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{base - h:.1f}" width="{bar_width:.1f}" height="{h:.1f}" '
            f'fill="{colour}" data-label="{escape(label)}" data-value="{value:g}"><title>{escape(label)}: '
            f"{value:g}{escape(unit)}</title></rect>"
        )
    ticks = list(tick_labels) if tick_labels is not None else [label for label, _, _ in columns]
    widest = max(text_width(t) for t in ticks) + 10
    every = max(1, int(-(-widest // step)))  # columns per tick so that tick labels never overlap
    last = len(ticks) - 1  # first and last always; between them every `every`-th, none too near the last
    shown = {i for i in range(0, len(ticks), every) if i == 0 or last - i >= every} | {last}
    for i in sorted(shown):
        x = left + i * step + step / 2
        anchor = "start" if i == 0 else "end" if i == len(ticks) - 1 else "middle"
        x = left if i == 0 else left + COLUMN_AREA if i == len(ticks) - 1 else x
        parts.append(f'<text class="tick" x="{x:.1f}" y="{base + 18}" text-anchor="{anchor}">{escape(ticks[i])}</text>')
    parts.append("</svg>")
    return "".join(parts)

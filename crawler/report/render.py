"""Run report renderers: a self-contained HTML page and a plain-text version for cron mail.

`write_report()` writes `report.html` (inline CSS, inline SVG charts from `svg.py`; no scripts,
no external resources) and `report.json` (the same numbers, from `stats.summarise`).
`write_text_report()` writes `report.txt`. The crawl runner calls both at the end of a run with
the run's output folder; there are no settings.
"""

from __future__ import annotations

import datetime as dt
import json
from html import escape
from pathlib import Path
from typing import Any, Iterable, Mapping

from crawler.report.stats import RunStats, summarise
from crawler.report.svg import bar_chart

MAX_BARS = 40
"""A chart shows at most this many bars; the rest are summed into one "others (N)" bar."""

CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
margin:2em auto;max-width:960px;color:#222;background:#fff}
h1{font-size:1.5em;border-bottom:2px solid #3b6ea5;padding-bottom:.3em}
h2{font-size:1.15em;margin-top:1.8em}
.totals{display:grid;grid-template-columns:repeat(4,1fr);gap:.6em}
.total{background:#f2f5f9;border-radius:6px;padding:.6em .8em}
.total b{display:block;font-size:1.5em}
svg.chart text{font-size:12px;fill:#222}
svg.chart rect.bar{rx:2}
table{border-collapse:collapse;width:100%;font-size:.9em}
td,th{border-bottom:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
td.url{word-break:break-all;color:#555}
footer{margin-top:2em;color:#777;font-size:.85em}
"""

_TOTAL_LABELS = [
    ("pages_fetched", "pages fetched"),
    ("items", "items"),
    ("duplicates", "duplicates"),
    ("not_modified", "not modified"),
    ("failures", "failures"),
    ("duplicate_clusters", "duplicate clusters"),
    ("duration_seconds", "duration (s)"),
]


def _capped(rows: list[tuple[str, float]]) -> list[tuple[str, float]]:
    if len(rows) <= MAX_BARS:
        return rows
    rest = rows[MAX_BARS - 1 :]
    return rows[: MAX_BARS - 1] + [(f"others ({len(rest)})", sum(v for _, v in rest))]


def _section(heading: str, body: str) -> str:
    return f"<section><h2>{escape(heading)}</h2>{body}</section>"


def render_html(summary: Mapping[str, Any]) -> str:
    """The report page for a summary made by `stats.summarise`."""
    charts = summary["charts"]
    totals = summary["totals"]
    total_html = "".join(
        f'<div class="total" data-total="{key}"><b>{totals[key]:g}</b>{escape(label)}</div>'
        for key, label in _TOTAL_LABELS
    )
    sections = [_section("Totals", f'<div class="totals">{total_html}</div>')]
    for key, heading, colour in (
        ("items_per_source", "Items per source", "#3b6ea5"),
        ("items_per_day", "Items per day (published)", "#4c9a6a"),
        ("items_per_region", "Items per region (province)", "#b5763a"),
    ):
        rows = [(str(k), float(v)) for k, v in charts[key]]
        sections.append(_section(heading, bar_chart(key, _capped(rows), caption=heading, colour=colour)))

    clusters = charts["duplicate_clusters"]
    cluster_rows = [(c["label"], float(c["size"])) for c in clusters]
    table = "".join(
        f"<tr><td>{escape(c['label'])}</td><td>{c['size']}</td><td>{escape(', '.join(c['sites']))}</td></tr>"
        for c in clusters[:MAX_BARS]
    )
    sections.append(
        _section(
            "Duplicate clusters (largest first)",
            bar_chart("duplicate_clusters", _capped(cluster_rows), caption="Duplicate clusters", colour="#8a5aa8")
            + f'<table class="clusters"><tr><th>cluster</th><th>copies</th><th>sites</th></tr>{table}</table>',
        )
    )

    failures = charts["failures_by_kind"]
    fail_rows = [(f["kind"], float(f["count"])) for f in failures]
    examples = "".join(
        f"<tr><td>{escape(f['kind'])}</td><td>{f['count']}</td>"
        f"<td class=\"url\">{'<br>'.join(escape(u) for u in f['examples'])}</td></tr>"
        for f in failures
    )
    sections.append(
        _section(
            "Failures by kind",
            bar_chart("failures_by_kind", _capped(fail_rows), caption="Failures by kind", colour="#b03a3a")
            + f'<table class="failures"><tr><th>kind</th><th>count</th><th>example URLs</th></tr>{examples}</table>',
        )
    )
    title = escape(summary["title"])
    started = escape(str(summary.get("started_at") or ""))
    generated = escape(str(summary.get("generated_at") or ""))
    return (
        '<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{CSS}</style></head><body>"
        f"<h1>{title}</h1>{''.join(sections)}"
        f"<footer>run started {started} · report generated {generated} · healthcrawl</footer>"
        "</body></html>"
    )


def render_text(summary: Mapping[str, Any]) -> str:
    """A plain-text version of the report (for cron mail)."""
    t = summary["totals"]
    lines = [summary["title"], "=" * max(8, len(summary["title"]) * 2), ""]
    lines += [f"{label:>20}: {t[key]:g}" for key, label in _TOTAL_LABELS]

    def block(heading: str, rows: Iterable[tuple[str, Any]]) -> None:
        rows = list(rows)
        lines.extend(["", heading, "-" * len(heading)])
        if not rows:
            lines.append("  (none)")
        for label, value in rows[:MAX_BARS]:
            lines.append(f"  {value:>7}  {label}")

    c = summary["charts"]
    block("Items per source", ((k, v) for k, v in c["items_per_source"]))
    block("Items per day", ((k, v) for k, v in c["items_per_day"]))
    block("Items per region", ((k, v) for k, v in c["items_per_region"]))
    block(
        "Duplicate clusters",
        ((f"{d['label']}  [{', '.join(d['sites'])}]", d["size"]) for d in c["duplicate_clusters"]),
    )
    lines.extend(["", "Failures by kind", "----------------"])
    if not c["failures_by_kind"]:
        lines.append("  (none)")
    for f in c["failures_by_kind"]:
        lines.append(f"  {f['count']:>7}  {f['kind']}")
        lines.extend(f"           e.g. {u}" for u in f["examples"])
    return "\n".join(lines) + "\n"


def _summary(stats: RunStats, items: Iterable[Any], clusters: list[dict], title: str) -> dict[str, Any]:
    summary = summarise(stats, items, clusters, title=title)
    summary["generated_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    return summary


def write_report(
    out_dir: Path, stats: RunStats, items: Iterable[Any], clusters: list[dict], *, title: str,
    stem: str = "report",
) -> tuple[Path, Path]:
    """Write `<stem>.html` and `<stem>.json` (default `report.*`) into `out_dir`; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = _summary(stats, items, clusters, title)
    html_path = out_dir / f"{stem}.html"
    json_path = out_dir / f"{stem}.json"
    html_path.write_text(render_html(summary), encoding="utf-8")
    json_path.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return html_path, json_path


def write_text_report(
    out_dir: Path, stats: RunStats, items: Iterable[Any], clusters: list[dict], *, title: str,
    stem: str = "report",
) -> Path:
    """Write `<stem>.txt` (default `report.txt`) into `out_dir`; return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{stem}.txt"
    path.write_text(render_text(_summary(stats, items, clusters, title)), encoding="utf-8")
    return path

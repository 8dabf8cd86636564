"""Run report renderers: a self-contained HTML page and a plain-text version for cron mail.

`write_report()` writes `report.html` (inline CSS with a CJK font stack, inline SVG charts from
`svg.py`; no scripts, no external resources — links to live pages are plain anchors) and
`report.json` (the same numbers, from `stats.summarise`). The page shows, top to bottom: the
exit code and finish reason (a run's), totals, the per-source table (pages, new, duplicates,
304, failures by kind with examples, seconds, last successful run), this run's new articles
linked to the live page and to the archived copy (`warc/<file>`, offset), items over time as a
time series (per day, week or month by span), the run history of `runs.jsonl` (new items per
run, coloured by exit code), items per source and region, repost clusters, failures by kind,
and the time the page was generated.
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
from crawler.report.svg import bar_chart, column_chart, fit

EXIT_MEANINGS = {0: "done", 1: "failures a person must look at", 2: "bad arguments or spec", 3: "interrupted"}
EXIT_COLOURS = {0: "#4c9a6a", 1: "#b03a3a", 2: "#b03a3a", 3: "#d08a2a"}
MAX_ARTICLES = 300
"""The list of this run's new articles shows at most this many (the count says how many more)."""
MAX_HISTORY = 120
"""The run history chart shows the last this many runs of `runs.jsonl`."""

MAX_BARS = 40
"""A chart shows at most this many bars; the rest are summed into one "others (N)" bar."""

FONTS = ('"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","Source Han Sans CN","PingFang SC",'
         '"Hiragino Sans GB","Microsoft YaHei","WenQuanYi Micro Hei","WenQuanYi Zen Hei","Droid Sans Fallback",'
         '"SimHei","Heiti SC",system-ui,sans-serif')
"""A CJK font stack: the Simplified Chinese fonts of Linux, macOS and Windows before the generic family."""

CSS = """
body{font-family:""" + FONTS + """;
margin:2em auto;max-width:960px;color:#222;background:#fff;padding:0 1em}
svg.chart{max-width:100%;height:auto;font-family:""" + FONTS + """}
p.status{font-size:1.05em;padding:.5em .8em;border-radius:6px;background:#eef5ee}
p.status.bad{background:#f8e6e6}
p.status.interrupted{background:#fbf0dc}
td.num,th.num{text-align:right;white-space:nowrap}
a.archived{color:#6a4a8a}
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


def _status(run: Mapping[str, Any] | None) -> str:
    if not run:
        return ""
    code = int(run.get("exit_code", 0))
    css = "" if code == 0 else " interrupted" if code == 3 else " bad"
    return (f'<p class="status{css}" data-exit-code="{code}" data-finish-reason="{escape(str(run.get("finish_reason")))}">'
            f'<b>exit {code}</b> ({escape(EXIT_MEANINGS.get(code, "?"))}) · finish reason '
            f'<b>{escape(str(run.get("finish_reason")))}</b> · {escape(str(run.get("kind", "")))} started '
            f'{escape(str(run.get("started", "")))} · {float(run.get("seconds") or 0):.1f} s</p>')


def _source_table(summary: Mapping[str, Any]) -> str:
    rows = []
    for name, row in summary["sources"].items():
        kinds = row.get("failure_kinds") or {}
        failures = "".join(
            f'<div class="failure" data-kind="{escape(kind)}">{escape(kind)}: {info["count"]}'
            + "".join(f'<br><span class="url">{escape(u)}</span>' for u in info["examples"][:2]) + "</div>"
            for kind, info in kinds.items())
        rows.append(
            f'<tr data-source="{escape(name)}"><td>{escape(name if name != "-" else "- (robots.txt, no source)")}</td>'
            f'<td class="num">{row["pages_fetched"]}</td>'
            f'<td class="num">{row["new_items"]}</td><td class="num">{row["duplicates"]}</td>'
            f'<td class="num">{row["not_modified"]}</td><td class="url">{failures or "0"}</td>'
            f'<td class="num">{float(row["seconds"]):.1f}</td>'
            f'<td>{escape(str(row.get("last_success") or "never"))}</td></tr>')
    head = ('<tr><th>source</th><th class="num">pages</th><th class="num">new</th><th class="num">duplicates</th>'
            '<th class="num">304</th><th>failures by kind (examples)</th><th class="num">seconds</th>'
            '<th>last successful run</th></tr>')
    return f'<table class="sources">{head}{"".join(rows)}</table>'


def _articles(summary: Mapping[str, Any], root: str) -> str:
    articles = summary.get("new_articles")
    if articles is None:
        return ""
    rows = []
    for a in articles:
        archived = ""
        if a.get("warc_filename"):
            archived = (f'<a class="archived" href="{escape(root)}warc/{escape(str(a["warc_filename"]))}" '
                        f'title="record at offset {a.get("warc_offset")}">WARC @{a.get("warc_offset")}</a>')
        rows.append(f'<tr><td>{escape(str(a.get("published") or "")[:10])}</td><td>{escape(str(a.get("source_name") or ""))}</td>'
                    f'<td><a class="live" href="{escape(str(a["url"]))}">{escape(str(a.get("title") or a["url"]))}</a>'
                    f'{" (repost)" if a.get("duplicate_of") else ""}</td><td>{archived}</td></tr>')
    total = int(summary.get("new_articles_total", len(articles)))
    more = f"<p>… and {total - len(articles)} more (items.jsonl)</p>" if total > len(articles) else ""
    empty = "<p>no new article in this run</p>" if not articles else ""
    return _section(f"New articles of this run ({total})",
                    empty + ('<table class="articles"><tr><th>published</th><th>source</th><th>article (live page)</th>'
                             f'<th>archived copy</th></tr>{"".join(rows)}</table>' if rows else "") + more)


def _history(summary: Mapping[str, Any]) -> str:
    runs = list(summary.get("history") or [])[-MAX_HISTORY:]
    columns = [(f'{r.get("started", "?")} · exit {r.get("exit_code")} · {r.get("kind", "")}',
                float((r.get("totals") or {}).get("new_items", 0)), EXIT_COLOURS.get(int(r.get("exit_code", 1)), "#777"))
               for r in runs]
    ticks = [str(r.get("started", "?"))[:10] for r in runs]
    legend = ('<p class="legend">new items per run; colour: <span style="color:#4c9a6a">exit 0</span>, '
              '<span style="color:#b03a3a">exit 1/2</span>, <span style="color:#d08a2a">exit 3</span></p>')
    return _section(f"Run history ({len(runs)} runs, runs.jsonl)",
                    column_chart("run_history", columns, caption="New items per run", tick_labels=ticks,
                                 unit=" new items") + legend)


def _over_time(series: Mapping[str, Any]) -> str:
    unit = series.get("unit", "day")
    columns = [(str(start), float(n), "#4c9a6a") for start, n in series.get("points", [])]
    ticks = [start[:7] if unit == "month" else start for start, _, _ in columns]
    undated = int(series.get("undated", 0))
    note = f'<p class="undated">{undated} items without a date</p>' if undated else ""
    scope = f"{series['scope']}, " if series.get("scope") else ""
    return _section(f"Items over time ({scope}published, per {unit})",
                    column_chart("items_over_time", columns, caption=f"Items per {unit} (published)",
                                 tick_labels=ticks, unit=" items") + note)


def _failures(charts: Mapping[str, Any]) -> str:
    failures = charts["failures_by_kind"]
    fail_rows = [(f["kind"], float(f["count"])) for f in failures]
    examples = "".join(
        f"<tr><td>{escape(f['kind'])}</td><td>{f['count']}</td>"
        f"<td class=\"url\">{'<br>'.join(escape(u) for u in f['examples'])}</td></tr>"
        for f in failures
    )
    return (
        _section(
            "Failures by kind",
            bar_chart("failures_by_kind", _capped(fail_rows), caption="Failures by kind", colour="#b03a3a")
            + f'<table class="failures"><tr><th>kind</th><th>count</th><th>example URLs</th></tr>{examples}</table>',
        )
    )


def render_html(summary: Mapping[str, Any], *, root: str = "") -> str:
    """The report page for a summary made by `stats.summarise` (plus, from a run, `run`,
    `history`, `new_articles`); `root` is the output folder relative to the page (links to
    the archived copies)."""
    charts = summary["charts"]
    totals = summary["totals"]
    total_html = "".join(
        f'<div class="total" data-total="{key}"><b>{totals[key]:g}</b>{escape(label)}</div>'
        for key, label in _TOTAL_LABELS
    )
    sections = [_status(summary.get("run")), _section("Totals", f'<div class="totals">{total_html}</div>'),
                _section("Sources", _source_table(summary)), _failures(charts), _articles(summary, root),
                _over_time(charts["items_over_time"]), _history(summary)]
    for key, heading, colour in (
        ("items_per_source", "Items per source", "#3b6ea5"),
        ("items_per_region", "Items per region (province)", "#b5763a"),
    ):
        rows = [(str(k), float(v)) for k, v in charts[key]]
        sections.append(_section(heading, bar_chart(key, _capped(rows), caption=heading, colour=colour)))

    clusters = charts["duplicate_clusters"]
    cluster_rows = [(c["label"], float(c["size"])) for c in clusters]
    table = "".join(
        f"<tr><td>{escape(fit(c['label'], 420))}</td><td>{c['size']}</td><td>{escape(', '.join(c['sites']))}</td></tr>"
        for c in clusters[:MAX_BARS]
    )
    sections.append(
        _section(
            "Duplicate clusters (largest first)",
            bar_chart("duplicate_clusters", _capped(cluster_rows), caption="Duplicate clusters", colour="#8a5aa8")
            + f'<table class="clusters"><tr><th>cluster</th><th>copies</th><th>sites</th></tr>{table}</table>',
        )
    )

    title = escape(summary["title"])
    started = escape(str(summary.get("started_at") or ""))
    generated = escape(str(summary.get("generated_at") or ""))
    return (
        '<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{CSS}</style></head><body>"
        f"<h1>{title}</h1>{''.join(sections)}"
        f"<footer>run started {started} · report generated <time class=\"generated\">{generated}</time> · healthcrawl</footer>"
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

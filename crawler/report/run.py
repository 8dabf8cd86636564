"""The run report: what a person reads the morning after a harvest.

Writes, in `OUT/reports/`, `run-<UTC timestamp>.json` (totals and per-source counters: pages
fetched, new items, duplicates, not-modified, failures by kind with example URLs, time taken;
plus, under "charts", the numbers behind the charts), the same as text (`.txt`), and the
self-contained HTML report (`crawler.report.render`: exit code and finish reason, the
per-source table with each source's last successful run, this run's new articles with links to
the live page and the archived copy, items over time, the run history from `runs.jsonl`, items
per source and region, repost clusters, failures), also copied to `OUT/report.html`; and
appends one line to `OUT/runs.jsonl`, the run history (totals and per-source pages, new items,
failures). Links are the current ones: the clusters come from the dedup
index, and a source's duplicates count its items of this run relinked later in the run
(`crawler.dedup.links.relinked_since`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from collections.abc import Iterator
from typing import Any

TOTAL_KEYS = {
    "pages_fetched": "response_received_count",
    "new_items": "item_scraped_count",
    "dropped": "item_dropped_count",
    "not_modified": "harvest/not_modified",
    "articles_skipped_seen": "dedup/seen_skipped",
    "duplicates_exact": "dedup/exact",
    "duplicates_near": "dedup/near",
    "extract_errors": "extract/errors",
    "warc_captures": "archive/captures",
}

# Counters of the protections (rejected pages, robots policy, refused addresses and redirects,
# stripped credentials, dropped bombs), copied as they are into the JSON report.
GUARD_STAT_PREFIXES = ("extract/rejected/", "robotstxt/", "guard/", "auth/", "httpcompression/", "spider/bad_")


# What the archive holds of a network-level failure (`network:<kind>`, counted by the capture
# and decoding middlewares): the report says it next to the count.
NETWORK_ARCHIVED = {
    "network:data-loss": "archived as received, with WARC-Truncated: length",
    "network:bad-content-encoding": "archived as sent (the body does not decode)",
}
NETWORK_NOT_ARCHIVED = "not archived: the download ended before a response Scrapy could deliver"


def archived_note(kind: str) -> str | None:
    """For a `network:` failure kind, what the WARC holds of it; None for other kinds."""
    if not kind.startswith("network:"):
        return None
    return NETWORK_ARCHIVED.get(kind, NETWORK_NOT_ARCHIVED)


def per_source(stats: dict[str, Any], failures: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    for key, value in stats.items():
        if not key.startswith("source/"):
            continue
        _, name, rest = key.split("/", 2)
        row = table.setdefault(name, {"pages_fetched": 0, "new_items": 0, "duplicates": 0, "not_modified": 0,
                                      "failures": {}, "requests": {}, "seconds": 0.0})
        if rest == "pages":
            row["pages_fetched"] = value
        elif rest in ("new_items", "duplicates", "not_modified", "seconds"):
            row[rest] = value
        elif rest.startswith("failures/"):
            kind = rest.split("/", 1)[1]
            row["failures"][kind] = {"count": value, "examples": list(failures.get(name, {}).get(kind, []))}
            if archived_note(kind):
                row["failures"][kind]["archive"] = archived_note(kind)
        elif rest.startswith("requests/"):
            row["requests"][rest.split("/", 1)[1]] = value
    return dict(sorted(table.items()))


def render_text(report: dict[str, Any]) -> str:
    t = report["totals"]
    lines = [
        f"healthcrawl {report['kind']} · {report['started']} · {report['seconds']:.1f} s · exit {report['exit_code']}"
        f" ({report['finish_reason']})",
        f"pages fetched {t['pages_fetched']} · new items {t['new_items']} · duplicates "
        f"{t['duplicates_exact'] + t['duplicates_near']} · not modified {t['not_modified']} · "
        f"articles skipped (already stored) {t['articles_skipped_seen']} · extraction errors {t['extract_errors']}",
        "",
        f"{'source':<28}{'pages':>7}{'new':>6}{'dups':>6}{'304':>6}{'fail':>6}{'secs':>8}",
    ]
    for name, row in report["sources"].items():
        fails = sum(f["count"] for f in row["failures"].values())
        lines.append(f"{name[:27]:<28}{row['pages_fetched']:>7}{row['new_items']:>6}{row['duplicates']:>6}"
                     f"{row['not_modified']:>6}{fails:>6}{row['seconds']:>8.1f}")
        for kind, info in row["failures"].items():
            note = f"  ({info['archive']})" if info.get("archive") else ""
            lines.append(f"    {kind}: {info['count']}  e.g. {', '.join(info['examples'][:2])}{note}")
    return "\n".join(lines) + "\n"


REPORT_FIELDS = ("id", "source_name", "site", "published", "regions", "publisher_region", "url", "title",
                 "warc_filename", "warc_offset", "duplicate_of")
SKIPPED_SEEN_KEYS = ("harvest/skipped_seen", "dedup/seen_skipped")  # article links the spiders / the seen middleware skip


_PUBLISHED = re.compile(rb'"published":\s*"(\d{4}-\d{2}-\d{2})')


def published_days(path: Path) -> dict[str, int]:
    """Items per publication day over the whole items file (`unknown`: no date), read with a
    regular expression per line — no JSON parsing, memory flat — for the items-over-time chart."""
    from crawler.dedup.links import is_relink_line

    days: dict[str, int] = {}
    if not path.is_file():
        return days
    with path.open("rb") as fh:
        for line in fh:
            if not line.strip() or is_relink_line(line):
                continue
            found = _PUBLISHED.search(line)
            day = found.group(1).decode() if found else "unknown"
            days[day] = days.get(day, 0) + 1
    return days


def read_history(out_dir: Path, limit: int = 1000) -> list[dict[str, Any]]:
    """The last `limit` runs of `OUT/runs.jsonl`, oldest first (torn or foreign lines skipped)."""
    path = out_dir / "runs.jsonl"
    if not path.is_file():
        return []
    runs = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                run = json.loads(line)
            except ValueError:
                continue
            if isinstance(run, dict) and "started" in run:
                runs.append(run)
    return runs[-limit:]


def last_successes(history: list[dict[str, Any]]) -> dict[str, str]:
    """Per source, the start of the last run that fetched it without a failure."""
    found: dict[str, str] = {}
    for run in history:
        for name, row in (run.get("sources") or {}).items():
            if row.get("pages_fetched") and not row.get("failures"):
                found[name] = str(run["started"])
    return found


def _history_line(report: dict[str, Any]) -> dict[str, Any]:
    line = {k: report[k] for k in ("kind", "started", "seconds", "exit_code", "finish_reason", "totals")}
    line["sources"] = {name: {"pages_fetched": row["pages_fetched"], "new_items": row["new_items"],
                              "failures": sum(f["count"] for f in row["failures"].values())}
                       for name, row in report["sources"].items()}
    return line


def items_since(path: Path, offset: int) -> Iterator[dict[str, Any]]:
    """Items appended to the JSON-lines file after byte `offset` (this run's new items),
    streamed, with only the fields the charts use (memory stays flat however long the run);
    relink records (`crawler.dedup.links`) are not items and are skipped."""
    from crawler.dedup.links import is_relink_line

    if not path.is_file():  # not a device such as /dev/full, which reads as endless zeros
        return
    with path.open("rb") as fh:
        fh.seek(offset)
        for line in fh:
            if is_relink_line(line):
                continue
            try:
                item = json.loads(line)
            except ValueError:  # blank or torn line: not an item
                continue
            yield {key: item.get(key) for key in REPORT_FIELDS}


def cluster_dicts(out_dir: Path, limit: int = 50) -> list[dict[str, Any]]:
    """The largest repost clusters of the output folder (their current canonicals, read-only),
    as plain dicts for the report."""
    from crawler.dedup import INDEX_FILENAME, read_clusters

    if not (out_dir / INDEX_FILENAME).exists():
        return []
    clusters = read_clusters(out_dir, min_size=2)[0][:limit]
    return [{"canonical_id": c.canonical_id, "title": c.members[0].title or c.canonical_id,
             "members": [{"url": m.url, "site": m.site, "published": m.published, "kind": m.kind}
                         for m in c.members]} for c in clusters]


def run_stats(report: dict[str, Any], failures: dict[str, dict[str, list[str]]]) -> Any:
    from crawler.report import RunStats, SourceStats

    stats = RunStats(started_at=report["started"], duration_seconds=report["seconds"])
    for name, row in report["sources"].items():
        stats.sources[name] = SourceStats(
            pages_fetched=row["pages_fetched"], new_items=row["new_items"], duplicates=row["duplicates"],
            not_modified=row["not_modified"], seconds=row["seconds"],
            failures={kind: list(failures.get(name, {}).get(kind, [])) or ["?"] * info["count"]
                      for kind, info in row["failures"].items()})
    return stats


def write_run_report(out_dir: Path, *, kind: str, stats: dict[str, Any], failures: dict[str, Any],
                     started: dt.datetime, seconds: float, exit_code: int,
                     items_offset: int = 0, items_file: str = "items.jsonl") -> tuple[list[Path], str]:
    reports = out_dir / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    report = {
        "kind": kind,
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "exit_code": exit_code,
        "finish_reason": stats.get("finish_reason", "unknown"),
        "totals": {name: stats.get(key, 0) for name, key in TOTAL_KEYS.items()}
        | {"articles_skipped_seen": sum(stats.get(key, 0) for key in SKIPPED_SEEN_KEYS)},
        "sources": per_source(stats, failures),
        "guards": {key: value for key, value in sorted(stats.items()) if key.startswith(GUARD_STAT_PREFIXES)},
        "output": str(out_dir),
    }
    from crawler.dedup.links import relinked_since
    from crawler.report import render_html, summarise
    from crawler.report.render import MAX_ARTICLES, MAX_HISTORY
    from crawler.report.stats import time_series

    # reposts of this run relinked after they were counted (their original came later in the run)
    for source, change in relinked_since(out_dir / items_file, items_offset).items():
        if source in report["sources"]:
            report["sources"][source]["duplicates"] += change
    new_articles: list[dict[str, Any]] = []

    def listed(items: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for item in items:  # the charts stream them; the page lists the first MAX_ARTICLES
            if len(new_articles) < MAX_ARTICLES:
                new_articles.append(item)
            yield item

    charts = summarise(run_stats(report, failures), listed(items_since(out_dir / items_file, items_offset)),
                       cluster_dicts(out_dir), title=f"healthcrawl {kind} · {report['started']}")
    days = published_days(out_dir / items_file)
    charts["charts"]["items_over_time"] = time_series(days) | {"scope": f"all {sum(days.values())} items of {items_file}"}
    history = [*read_history(out_dir), _history_line(report)]
    successes = last_successes(history)
    for name, row in charts["sources"].items():
        if name in report["sources"]:  # true counts (the examples kept are capped)
            row["failure_kinds"] = {kind: {"count": info["count"], "examples": info["examples"][:3]}
                                    for kind, info in report["sources"][name]["failures"].items()}
        row["last_success"] = successes.get(name)
    report["charts"] = charts
    page = dict(charts, run={k: report[k] for k in ("kind", "started", "seconds", "exit_code", "finish_reason")},
                history=history[-MAX_HISTORY:], new_articles=new_articles, new_articles_total=charts["totals"]["items"],
                generated_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    html_path = reports / f"run-{stamp}.html"
    html_path.write_text(render_html(page, root="../"), encoding="utf-8")
    (out_dir / "report.html").write_text(render_html(page), encoding="utf-8")  # the latest run, at one place
    json_path = reports / f"run-{stamp}.json"
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    text = render_text(report)
    text_path = reports / f"run-{stamp}.txt"
    text_path.write_text(text, encoding="utf-8")
    from crawler.store.jsonl import repair_torn_tail

    repair_torn_tail(out_dir / "runs.jsonl")   # a line torn by a killed run is cut, not appended to
    with (out_dir / "runs.jsonl").open("a", encoding="utf-8") as runs:
        runs.write(json.dumps(history[-1], ensure_ascii=False, default=str) + "\n")
    return [json_path, text_path, html_path], text + f"report: {html_path}\n"

"""Run reports: what a crawl fetched, kept, skipped and failed, for people to read.

    from crawler.report import RunStats, write_report, write_text_report
    stats = RunStats(started_at=..., duration_seconds=...)
    stats.source("gz-nanming").pages_fetched += 1
    write_report(out_dir, stats, items, clusters, title="healthcrawl run 2025-04-07")

`report.html` is self-contained (inline CSS and SVG charts, no scripts, no network);
`report.json` holds the same numbers; `report.txt` is for cron mail.
"""

from crawler.report.render import render_html, render_text, write_report, write_text_report
from crawler.report.stats import RunStats, SourceStats, summarise

__all__ = [
    "RunStats",
    "SourceStats",
    "render_html",
    "render_text",
    "summarise",
    "write_report",
    "write_text_report",
]

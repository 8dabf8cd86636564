"""Runs one crawl in this process: the settings, the lock, the report.

`run_crawl()` is what `healthcrawl crawl`, `harvest` and `demo` call: it takes the output
folder's lock (`crawler.runs.lock`), builds Scrapy settings from `crawler.settings` plus the
command's overrides, runs the `news` spider through Scrapy's `CrawlerProcess`, then writes the
run report (`crawler.report.run`) and returns an exit code:
0 finished (or skipped: another run holds the lock), 1 failures a person must look at
(storage error, spider exceptions, nothing reachable), 3 interrupted (SIGTERM/SIGINT).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess

from crawler.runs.config import build_settings
from crawler.runs.lock import LockHeld, output_lock

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 3


@dataclass
class RunOutcome:
    exit_code: int
    skipped: bool = False
    stats: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
    report_paths: list[Path] = field(default_factory=list)


def exit_code_for(stats: dict[str, Any]) -> int:
    reason = stats.get("finish_reason")
    if stats.get("store/error") or reason == "store-error":
        return EXIT_FAILURES
    if reason in ("shutdown", "cancelled"):
        return EXIT_INTERRUPTED
    if stats.get("spider_exceptions/count") or stats.get("log_count/CRITICAL"):  # Scrapy's key
        return EXIT_FAILURES
    if stats.get("response_received_count", 0) == 0 and not stats.get("distributed/worker"):
        return EXIT_FAILURES  # (one worker of a distributed crawl may get no work: the launcher checks the sum)
    return EXIT_OK


def run_crawl(*, out_dir: Path, spider_kwargs: dict[str, Any], overrides: dict[str, Any] | None = None,
              kind: str = "crawl", take_lock: bool = True) -> RunOutcome:
    """Run the `news` spider once into `out_dir` (see module docstring for exit codes).
    `take_lock=False` when the caller already holds the output folder's lock."""
    from crawler.report.run import write_run_report
    from spiders.news import NewsSpider

    try:
        with output_lock(out_dir) if take_lock else nullcontext(out_dir):
            started = dt.datetime.now(dt.timezone.utc)
            t0 = time.monotonic()
            settings = build_settings(out_dir, overrides)
            if settings.get("REDIS_URL"):
                from crawler.distributed.connection import RedisUnavailable, check_reachable

                try:
                    check_reachable(settings["REDIS_URL"])
                except RedisUnavailable as exc:
                    return RunOutcome(EXIT_FAILURES, summary=f"healthcrawl: {exc}")
            items_path = out_dir / settings.get("STORE_ITEMS_FILE")
            items_offset = items_path.stat().st_size if items_path.exists() else 0
            process = CrawlerProcess(settings)
            crawler = process.create_crawler(NewsSpider)
            process.crawl(crawler, **spider_kwargs)
            process.start()
            stats = dict(crawler.stats.get_stats() if crawler.stats else {})
            failures = getattr(crawler, "healthcrawl_failures", {})
            code = exit_code_for(stats)
            paths, summary = write_run_report(
                out_dir, kind=kind, stats=stats, failures=failures, started=started,
                seconds=time.monotonic() - t0, exit_code=code, items_offset=items_offset,
                items_file=settings.get("STORE_ITEMS_FILE"),
            )
            return RunOutcome(code, stats=stats, summary=summary, report_paths=paths)
    except LockHeld as exc:
        return RunOutcome(EXIT_OK, skipped=True, summary=f"skipped: {exc}")

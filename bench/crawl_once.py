"""One full-pipeline crawl (`healthcrawl crawl URL`) in this process, with numbers out.

    python bench/crawl_once.py URL --out DIR [--workers N] [--max-pages N] [--json FILE] [-s NAME=VALUE]

Runs exactly what `healthcrawl crawl URL --out DIR --allow-private` runs (`crawler.runs.harvest.run_crawl`
with the same overrides as the CLI) plus the downloader settings the baseline spider uses
(`bench.baseline_spider.CRAWL_SETTINGS`), then prints one JSON line: `pages`
(response_received_count), `items` (items stored), `seconds` (crawler process start to end,
as in the run report), `elapsed` (Scrapy's `elapsed_time_seconds`), `exit_code`, `max_rss_kb`
(this process's peak RSS, `VmHWM`), `cpu_main_s` (CPU seconds of this process,
not of extraction workers).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.baseline_spider import CRAWL_SETTINGS  # noqa: E402
from bench.summary import peak_rss_kb  # noqa: E402
from crawler.runs.harvest import run_crawl  # noqa: E402


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="One full-pipeline crawl with numbers out.")
    parser.add_argument("url")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=0, help="EXTRACT_WORKERS")
    parser.add_argument("--max-pages", type=int, default=100_000)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="extra Scrapy setting (e.g. EXTRACT_WORKERS=2)")
    args = parser.parse_args(argv)
    # spider max_pages is capped at 1000 by the spec model (spiders.spec.ListingEntry); the page budget
    # that counts here is CLOSESPIDER_PAGECOUNT.
    overrides = {**CRAWL_SETTINGS, "GUARD_ALLOW_PRIVATE": True, "EXTRACT_WORKERS": args.workers,
                 "CLOSESPIDER_PAGECOUNT": args.max_pages, "PROGRESS_ENABLED": False,
                 **dict(item.split("=", 1) for item in args.set)}
    t0 = time.monotonic()
    outcome = run_crawl(out_dir=args.out, spider_kwargs={"urls": args.url, "max_pages": min(args.max_pages, 1000)},
                        overrides=overrides, kind="crawl")
    stats = outcome.stats
    result = {"pages": stats.get("response_received_count", 0), "items": stats.get("store/items", 0),
              "seconds": round(time.monotonic() - t0, 3), "elapsed": stats.get("elapsed_time_seconds"),
              "exit_code": outcome.exit_code, "workers": args.workers,
              "max_rss_kb": peak_rss_kb(),
              "cpu_main_s": round(_cpu(resource.RUSAGE_SELF), 2)}
    line = json.dumps(result)
    if args.json:
        args.json.write_text(line + "\n")
    print(line)
    return outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())

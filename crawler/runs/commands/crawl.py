"""`scrapy crawl news -a source=NAME`: Scrapy's own crawl command, with healthcrawl's checks.

- `-a source=` / `-a sources_dir=` are validated before the crawl starts: an unknown source or a
  bad spec is one line on stderr and exit 2 (Scrapy's own command logs two tracebacks, runs an
  empty crawl and exits 0).
- The exit code follows `crawler.runs.harvest.exit_code_for` (1: failures a person must look at).
- A feed (`-o/-O`) that received no item while articles were skipped because the output folder
  (`HEALTHCRAWL_OUT`) already stores them says so, naming that folder.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError as ScrapyUsageError


SKIPPED_SEEN_KEYS = ("harvest/skipped_seen", "dedup/seen_skipped")  # the spiders' and the seen middleware's


def nothing_exported_note(stats: dict[str, Any], out_dir: str) -> str | None:
    """The line telling why a feed stayed empty, or None when it did not (or for another reason)."""
    skipped = sum(int(stats.get(key, 0) or 0) for key in SKIPPED_SEEN_KEYS)
    if stats.get("item_scraped_count", 0) or not skipped:
        return None
    return (f"0 items exported: {skipped} articles were skipped because the output folder {out_dir} already "
            f"stores them (use -s HEALTHCRAWL_OUT=<new folder> to export everything again)")


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise ScrapyUsageError("give one spider name" if args else None)
        from spiders.spec import SpecError, load_specs, select_specs

        spargs = dict(opts.spargs)
        assert self.settings is not None
        if args[0] in ("news", "listing", "sitemap", "feed") and not spargs.get("urls"):
            try:
                select_specs(load_specs(spargs.get("sources_dir") or self.settings.get("SOURCES_DIR")),
                             spargs.get("source"))
            except SpecError as exc:
                print(f"scrapy crawl {args[0]}: {exc}", file=sys.stderr)
                self.exitcode = 2
                return
        from crawler.runs.harvest import exit_code_for

        assert self.crawler_process is not None
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
        self.exitcode = exit_code_for(stats)
        if crawler.settings.get("FEEDS"):
            note = nothing_exported_note(stats, crawler.settings.get("HEALTHCRAWL_OUT"))
            if note:
                print(f"scrapy crawl {args[0]}: {note}", file=sys.stderr)

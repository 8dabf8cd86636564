"""Dedup stage: links reposts to their canonical copy.

Asks the run's `Deduplicator` (exact content hash, then MinHash LSH near-duplicates; SQLite
in the output folder) and sets `duplicate_of`. With `DEDUP_DROP_REPOSTS` the repost is dropped
instead of stored (its capture stays in the WARC). Stats: `dedup/new`, `dedup/exact`,
`dedup/near`, `dedup/same-id`. Settings: `DEDUP_ENABLED` and the other `DEDUP_*`.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from crawler.items import Article
from crawler.pages.stages import link_duplicates
from crawler.extensions.run_state import RunState


class DedupPipeline:
    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("DEDUP_ENABLED", True):
            raise NotConfigured("set DEDUP_ENABLED=True to link reposts")
        self.crawler = crawler
        self.drop_reposts = crawler.settings.getbool("DEDUP_DROP_REPOSTS", False)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "DedupPipeline":
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        verdict = link_duplicates(item, RunState.of(self.crawler).dedup)
        self.crawler.stats.inc_value(f"dedup/{verdict.kind}")
        if verdict.kind == "same-id":
            # the same canonical URL stored before (e.g. re-crawl without seen-store)
            self.crawler.stats.inc_value("dedup/already_stored")
        if item.duplicate_of and self.drop_reposts:
            raise DropItem(f"repost: {item.url} is a repost of {item.duplicate_of}")
        return item

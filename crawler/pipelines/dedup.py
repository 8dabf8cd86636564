"""Dedup stage: links reposts to their canonical copy.

Asks the run's `Deduplicator` (exact content hash, then MinHash LSH near-duplicates; SQLite
in the output folder) and sets `duplicate_of`. With `DEDUP_DROP_REPOSTS` the repost is dropped
instead of stored (its capture stays in the WARC). Stats: `dedup/new`, `dedup/exact`,
`dedup/near`, `dedup/same-id` (counted by the crawl's `StageSequence.link`, which this
adapts). Settings: `DEDUP_ENABLED` and the other `DEDUP_*`.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from crawler.extensions.run_state import RunState
from crawler.items import Article


class DedupPipeline:
    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("DEDUP_ENABLED"):
            raise NotConfigured("set DEDUP_ENABLED=True to link reposts")
        self.crawler = crawler
        self.stages = RunState.of(crawler).stages

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "DedupPipeline":
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        self.stages.link(item, RunState.of(self.crawler).dedup)
        if self.stages.dropped_as_repost(item):
            raise DropItem(f"repost: {item.url} is a repost of {item.duplicate_of}")
        return item

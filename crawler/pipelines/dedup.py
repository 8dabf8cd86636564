"""Dedup stage: links reposts to their canonical copy.

Asks the run's `Deduplicator` (exact content hash, then MinHash LSH near-duplicates; SQLite
in the output folder) and sets `duplicate_of`. With `DEDUP_DROP_REPOSTS` the repost is dropped
instead of stored (its capture stays in the WARC). Stats: `dedup/new`, `dedup/exact`,
`dedup/near`, `dedup/same-id` (counted by the crawl's `StageSequence.link`, which this
adapts). Settings: `DEDUP_ENABLED` and the other `DEDUP_*`.
"""

from __future__ import annotations

import sqlite3

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from crawler.extensions.run_state import RunState, StorageFailed, sqlite_failure
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
        state = RunState.of(self.crawler)
        try:
            self.stages.link(item, state.dedup)
        except StorageFailed as exc:   # reported once already
            raise DropItem(f"store-error: {exc}", log_level="DEBUG") from None
        except (sqlite3.Error, ValueError) as exc:  # disk full, I/O error: one line, the run stops (exit 1)
            if not sqlite_failure(exc):
                raise
            raise DropItem(f"store-error: {state.storage_failed(state.out_dir / 'dedup.sqlite', exc)}",
                           log_level="DEBUG") from None
        if self.stages.dropped_as_repost(item):
            raise DropItem(f"repost: {item.url} is a repost of {item.duplicate_of}")
        return item

"""Store stage: appends each validated `Article` to the JSON-lines file in the output folder
(`STORE_ITEMS_FILE`, default `items.jsonl`) and records its URL in the seen-store.

An item reaches this stage only after its response record was written and flushed to the
WARC by the capture middleware. A write error (disk full, I/O error) names the file, stops
the crawl (close reason `store-error`) and leaves every line written before it valid.
Stats: `store/items`. Settings: `STORE_ENABLED`, `STORE_ITEMS_FILE`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from crawler.items import Article
from crawler.state import RunState
from crawler.store.jsonl import JsonLinesWriter, StoreError
from crawler.urls import canonicalize_url

logger = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("STORE_ENABLED", True):
            raise NotConfigured("set STORE_ENABLED=True to write items.jsonl")
        self.crawler = crawler
        self.writer: JsonLinesWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "StorePipeline":
        return cls(crawler)

    def open_spider(self) -> None:
        state = RunState.of(self.crawler)
        self.writer = JsonLinesWriter(state.out_dir / self.crawler.settings.get("STORE_ITEMS_FILE", "items.jsonl"))

    def close_spider(self) -> None:
        if self.writer is not None:
            self.writer.close()

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article) or self.writer is None:
            return item
        try:
            self.writer.write(item)
        except StoreError as exc:
            logger.error("%s", exc)
            self.crawler.stats.set_value("store/error", str(exc))
            self.failed = True
            assert self.crawler.engine is not None
            asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="store-error"))
            raise DropItem(str(exc)) from exc
        self.crawler.stats.inc_value("store/items")
        seen = RunState.of(self.crawler).seen_store
        if seen is not None:
            for url in {item.canonical_url, canonicalize_url(item.url)}:
                seen.add(url, item.id, item.fetched_at)
        return item

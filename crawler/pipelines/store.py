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
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from crawler.items import Article
from crawler.pages.stages import link_duplicates
from crawler.extensions.run_state import RunState
from crawler.store.jsonl import JsonLinesWriter, StoreError
from crawler.urls import canonicalize_url

logger = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("STORE_ENABLED"):
            raise NotConfigured("set STORE_ENABLED=True to write items.jsonl")
        self.crawler = crawler
        self.writer: JsonLinesWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "StorePipeline":
        return cls(crawler)

    def open_spider(self) -> None:
        state = RunState.of(self.crawler)
        path = state.out_dir / self.crawler.settings.get("STORE_ITEMS_FILE")
        self.writer = JsonLinesWriter(path)
        reconciled = reconcile_tail(path, state)
        if reconciled:
            logger.warning("%s: %d items written just before an interrupted run were re-recorded in the "
                           "seen-store and dedup index", path, reconciled)

    def _commit(self) -> None:
        """Make the item's URL and dedup record durable right after its line is written."""
        state = RunState.of(self.crawler)
        if self.crawler.settings.getbool("DEDUP_ENABLED"):
            state.dedup.commit()
        elif state.seen_store is not None:
            state.seen_store.flush()

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
            assert self.crawler.engine is not None
            asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="store-error"))
            raise DropItem(f"store-error: {exc}") from exc
        RunState.of(self.crawler).stages.stored(item)
        seen = RunState.of(self.crawler).seen_store
        if seen is not None:
            for url in {item.canonical_url, canonicalize_url(item.url)}:
                seen.add(url, item.id, item.fetched_at)
        self._commit()
        return item


def reconcile_tail(path: Path, state: RunState, lines: int = 256) -> int:
    """After a kill, the last items written may not be in the seen-store yet (the line is
    written first, the store committed right after). Record those so the next run neither
    re-requests nor re-stores them. Returns how many were missing."""
    seen = state.seen_store
    if seen is None or not path.exists() or path.stat().st_size == 0:
        return 0
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - lines * 8192))
        tail = fh.read().splitlines()[-lines:]
    missing = 0
    for raw in tail:
        try:
            item = Article.model_validate_json(raw)
        except ValueError:
            continue
        if seen.has(item.canonical_url):
            continue
        missing += 1
        if state.settings.getbool("DEDUP_ENABLED"):
            link_duplicates(item, state.dedup)
        for url in {item.canonical_url, canonicalize_url(item.url)}:
            seen.add(url, item.id, item.fetched_at)
    if missing:
        if state.settings.getbool("DEDUP_ENABLED"):
            state.dedup.commit()
        seen.flush()
    return missing

"""Store stage: appends each validated `Article` to the JSON-lines file in the output folder
(`STORE_ITEMS_FILE`, default `items.jsonl`) and records its URL in the seen-store.

An item reaches this stage only after its response record was written and flushed to the
WARC by the capture middleware. A write error (disk full, I/O error) names the file, stops
the crawl (close reason `store-error`) and leaves every line written before it valid.
When the spider opens, the seen-store (and dedup index) is reconciled with the items file
(`reconcile_items`): items the store misses — the last ones before a kill, or all of them when
`seen.sqlite` was lost, emptied, set aside as damaged or restored from an older copy — are
recorded again, so the run neither re-requests nor re-stores them.
Stats: `store/items`, `store/reconciled`. Settings: `STORE_ENABLED`, `STORE_ITEMS_FILE`.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from crawler.items import Article
from crawler.pages.stages import link_duplicates
from crawler.extensions.run_state import RunState, StorageFailed
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
        try:
            reconciled = reconcile_items(path, state, full="dedup.sqlite" in state.set_aside)
        except StorageFailed:   # reported once already; the run is stopping
            return
        except sqlite3.Error as exc:
            state.storage_failed(state.out_dir / "seen.sqlite", exc)
            return
        self.crawler.stats.set_value("store/reconciled", reconciled)
        if reconciled:
            logger.warning("%s: %d stored items were missing from the seen-store or dedup index and were "
                           "recorded again (an interrupted run, or a lost or damaged store)", path, reconciled)

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
        state = RunState.of(self.crawler)
        try:
            self.writer.write(item)
        except StoreError as exc:
            raise DropItem(f"store-error: {state.storage_failed(self.writer.path, exc)}", log_level="DEBUG") from None
        state.stages.stored(item)
        seen = None
        try:
            seen = state.seen_store
            if seen is not None:
                for url in {item.canonical_url, canonicalize_url(item.url)}:
                    seen.add(url, item.id, item.fetched_at)
            self._commit()
        except StorageFailed as exc:   # reported once already
            raise DropItem(f"store-error: {exc}", log_level="DEBUG") from None
        except sqlite3.Error as exc:  # the line is written: the next run re-records it (reconcile_items)
            where = getattr(seen, "path", state.out_dir / "seen.sqlite")
            raise DropItem(f"store-error: {state.storage_failed(where, exc)}", log_level="DEBUG") from None
        return item


def _lines_backwards(path: Path, end: int, chunk: int = 1 << 20) -> Iterator[tuple[int, bytes]]:
    """(offset, line) of the whole non-empty lines of `path` before byte `end`, last first (a
    torn last line, without its newline, is not a line)."""
    with path.open("rb") as fh:
        buf_start, buf = end, b""
        last_whole = False        # does buf's last part end with a newline (just after buf)?
        while buf_start > 0:
            start = max(0, buf_start - chunk)
            fh.seek(start)
            buf = fh.read(buf_start - start) + buf
            buf_start = start
            parts = buf.split(b"\n")
            offsets, pos = [], start
            for part in parts:
                offsets.append(pos)
                pos += len(part) + 1
            first = 0 if start == 0 else 1      # parts[0] may begin before `start`
            last = len(parts) - 1 if last_whole else len(parts) - 2
            for n in range(last, first - 1, -1):
                if parts[n]:
                    yield offsets[n], parts[n]
            if len(parts) > 1:
                last_whole = True
            buf = parts[0]


def reconcile_items(path: Path, state: RunState, *, full: bool = False, block: int = 256) -> int:
    """Record in the seen-store (and the dedup index) every stored item it misses. Items are
    appended in order and recorded right after, so the scan runs from the end backwards and
    stops after `block` items in a row that the store knows; it reads the whole file when the
    seen-store is empty or `full` (the dedup index was set aside). Missing items are recorded
    oldest first, as they were stored. Returns how many were missing."""
    from crawler.dedup.links import is_relink_line

    seen = state.seen_store
    if seen is None or not path.is_file() or path.stat().st_size == 0:
        return 0
    dedup = state.settings.getbool("DEDUP_ENABLED")
    full = full or len(seen) == 0
    end = path.stat().st_size
    missing: list[int] = []
    known_in_a_row = 0
    for offset, raw in _lines_backwards(path, end):
        if is_relink_line(raw):
            continue
        try:
            canonical = json.loads(raw).get("canonical_url")
        except (ValueError, AttributeError):
            continue
        if full or not canonical or not seen.has(canonical):
            missing.append(offset)
            known_in_a_row = 0
            continue
        known_in_a_row += 1
        if known_in_a_row >= block:
            break
    if not missing:
        return 0
    recorded = 0
    with path.open("rb") as fh:
        for offset in reversed(missing):
            fh.seek(offset)
            raw = fh.readline()
            try:
                item = Article.model_validate_json(raw)
            except ValueError:
                continue
            if dedup:
                link_duplicates(item, state.dedup)
            for url in {item.canonical_url, canonicalize_url(item.url)}:
                seen.add(url, item.id, item.fetched_at)
            recorded += 1
            if recorded % 1000 == 0:
                state.dedup.commit() if dedup else seen.flush()
    if dedup:
        state.dedup.commit()
    seen.flush()
    return recorded

"""Process-page stage: `CapturedPage` in, `Article` out (or dropped with a reason).

Calls `crawler.pages.process.process_page` — the same function replay and `healthcrawl extract` use.
With `EXTRACT_WORKERS` > 0 the work runs in a `crawler.pages.pool.ExtractionPool` of that many
worker processes so the reactor thread stays free and every core is used (a negative value
means one per CPU); 0 runs it inline. A page crosses to a worker without its capture
reference and comes back as an `Article` or a `(reason, message)` pair.

Ordering rule: items leave this stage in **fetch order** — the order the spider handed the
captured pages to the pipeline, which is the order their response records were written to
the WARC (`warc_filename`, `warc_offset` on every item record it). With the pool, a page whose
extraction finishes early waits until every page fetched before it has left the stage, so
the metadata records (written here), dedup's choice of canonical copy and `items.jsonl` see
the same order with or without the pool, and replay, which follows the metadata records,
gives the same items in the same order.

A page that holds no article is dropped with `DropItem` and counted in
`extract/rejected/<reason>`; an unexpected error in extraction is logged with the URL and
counted in `extract/errors` — one bad page never stops the crawl, and its WARC record is
already on disk. If a worker process dies, the pages it held are extracted in this process. A WARC `metadata` record with the extraction summary is written next to each
response (`ARCHIVE_ENABLED`).
Region and topic tagging (`tag_article` with the source's region) runs here too, in the
worker when there is a pool, so it is off the reactor as well; the tag stage then only applies
the source's relevance threshold. `TAGS_ENABLED=False` switches tagging off.
The stages themselves, their settings and stats are the crawl's `StageSequence`
(`crawler.pages.sequence`; `RunState.of(crawler).stages`): `EXTRACT_WORKERS`, `TAGS_ENABLED`,
`EXTRACT_MIN_TEXT_CHARS` and the other `EXTRACT_*` options of
`crawler.extract.Extractor.from_settings`. With a pool and dedup on, workers
also compute each article's MinHash signature (`DEDUP_SHINGLE_SIZE`, `DEDUP_NUM_PERM`), which
the dedup stage then uses instead of hashing in the reactor thread.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.extensions.run_state import RunState, StorageFailed
from crawler.items import Article
from crawler.pages.process import CapturedPage
from crawler.pages.provenance import extraction_summary
from crawler.pages.stages import Result
from crawler.urls import canonicalize_url

__all__ = ["ProcessPagePipeline", "source_spec"]

logger = logging.getLogger(__name__)


def source_spec(crawler: Crawler, name: str | None) -> Any:
    """The running spider's spec called `name`, or None."""
    for spec in getattr(crawler.spider, "sources", None) or []:
        if spec.name == name:
            return spec
    return None


class _FetchOrder:
    """Lets items leave in the order they entered: `ticket()` on entry, `await wait(t)` before
    leaving, `done(t)` when gone (always, also on errors or cancellation)."""

    def __init__(self) -> None:
        self.next_ticket = 0
        self.leaving = 0                      # the ticket whose turn it is
        self.finished: set[int] = set()       # tickets done out of turn (errors)
        self.waiters: dict[int, asyncio.Future[None]] = {}

    def ticket(self) -> int:
        self.next_ticket += 1
        return self.next_ticket - 1

    async def wait(self, ticket: int) -> None:
        if ticket != self.leaving:
            waiter = asyncio.get_running_loop().create_future()
            self.waiters[ticket] = waiter
            await waiter

    def done(self, ticket: int) -> None:
        self.finished.add(ticket)
        while self.leaving in self.finished:
            self.finished.discard(self.leaving)
            self.leaving += 1
        waiter = self.waiters.pop(self.leaving, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class ProcessPagePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stages = RunState.of(crawler).stages
        self.pool = self.stages.start_pool()
        self.order = _FetchOrder()
        self.archive = crawler.settings.getbool("ARCHIVE_ENABLED")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ProcessPagePipeline":
        return cls(crawler)

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.close()

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, CapturedPage):
            return item
        spec = source_spec(self.crawler, item.source_name)
        region = spec.region if spec is not None else None
        if self.pool is None:
            return self._finish(item, self.stages.extract(item, region))
        ticket = self.order.ticket()
        try:
            result = await self.pool.process(item, region, tag=self.stages.tag)
            await self.order.wait(ticket)
            return self._finish(item, result)
        finally:
            self.order.done(ticket)

    def _finish(self, item: CapturedPage, result: Result) -> Article:
        self._write_metadata(item, result)
        result = self.stages.counted(result)
        if isinstance(result, Article):
            return result
        reason, message = result
        state = RunState.of(self.crawler)
        if reason == "error":
            logger.error("extraction failed for %s: %s (page archived in %s)", item.url, message, item.warc_filename)
        try:
            if reason != "http-error" and state.seen_store is not None:
                state.seen_store.add(canonicalize_url(item.url), None, item.fetched_at)
        except StorageFailed as exc:   # reported once already
            raise DropItem(f"store-error: {exc}", log_level="DEBUG") from None
        except sqlite3.Error as exc:   # disk full: one line, exit 1
            raise DropItem(f"store-error: {state.storage_failed(state.out_dir / 'seen.sqlite', exc)}",
                           log_level="DEBUG") from None
        raise DropItem(f"{reason}: no article at {item.url}: {message}")

    def _write_metadata(self, page: CapturedPage, result: Result) -> None:
        ref = page.extra.get("warc_ref") if page.extra else None
        if not self.archive or ref is None:
            return
        spec = source_spec(self.crawler, page.source_name)
        state = RunState.of(self.crawler)
        try:
            state.writer.write_metadata(
                url=page.url, refers_to=ref,
                fields=extraction_summary(result, source_name=page.source_name, spec=spec),
            )
        except OSError as exc:  # disk full mid-record: cut back by the writer; one line, exit 1
            raise DropItem(f"store-error: {state.storage_failed(state.writer.current_path or state.warc_dir, exc)}",
                           log_level="DEBUG") from None

"""Process-page stage: `CapturedPage` in, `Article` out (or dropped with a reason).

Calls `crawler.page.process_page` — the same function replay and `healthcrawl extract` use.
With `EXTRACT_WORKERS` > 0 the work runs in a pool of that many worker processes so the
reactor thread stays free and every core is used; 0 runs it inline. A page that holds no
article is dropped with `DropItem` and counted in `extract/rejected/<reason>`; an unexpected
error in extraction is logged with the URL and counted in `extract/errors` — one bad page never
stops the crawl, and its WARC record is already on disk. A WARC `metadata` record with the
extraction summary is written next to each response (`ARCHIVE_ENABLED`).
Settings: `EXTRACT_WORKERS`, `EXTRACT_MIN_TEXT_CHARS`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.extract import Extractor
from crawler.items import Article
from crawler.page import CapturedPage, NotAnArticle, process_page
from crawler.state import RunState
from crawler.urls import canonicalize_url
from crawler.versions import extraction_summary


def source_spec(crawler: Crawler, name: str | None) -> Any:
    """The running spider's spec called `name`, or None."""
    for spec in getattr(crawler.spider, "sources", None) or []:
        if spec.name == name:
            return spec
    return None

logger = logging.getLogger(__name__)


def extractor_from_settings(settings: Any) -> Extractor:
    return Extractor(min_text_chars=settings.getint("EXTRACT_MIN_TEXT_CHARS", 30))


def _safe_process(page: CapturedPage, extractor: Extractor) -> Article | tuple[str, str]:
    """Runs in a worker: returns the article or (reason, message) — never raises."""
    try:
        return process_page(page, extractor)
    except NotAnArticle as exc:
        return (exc.reason, str(exc))
    except Exception as exc:  # noqa: BLE001 - reported with the URL by the caller
        return ("error", f"{type(exc).__name__}: {exc}")


class ProcessPagePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.extractor = extractor_from_settings(crawler.settings)
        workers = crawler.settings.getint("EXTRACT_WORKERS", 0)
        if workers < 0:
            workers = os.cpu_count() or 1
        self.pool = ProcessPoolExecutor(max_workers=workers) if workers else None
        self.archive = crawler.settings.getbool("ARCHIVE_ENABLED", True)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ProcessPagePipeline":
        return cls(crawler)

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, CapturedPage):
            return item
        if self.pool is not None:
            result = await asyncio.wrap_future(self.pool.submit(_safe_process, item, self.extractor))
        else:
            result = _safe_process(item, self.extractor)
        self._write_metadata(item, result)
        if isinstance(result, Article):
            self.stats.inc_value("extract/articles")
            return result
        reason, message = result
        state = RunState.of(self.crawler)
        if reason == "error":
            self.stats.inc_value("extract/errors")
            logger.error("extraction failed for %s: %s (page archived in %s)", item.url, message, item.warc_filename)
        else:
            self.stats.inc_value(f"extract/rejected/{reason}")
        failures = getattr(state, "failures", None)
        if failures is not None:
            failures.setdefault(f"extract:{reason}", []).append(item.url)
        if state.seen_store is not None and reason != "http-error":
            state.seen_store.add(canonicalize_url(item.url), None, item.fetched_at)
        raise DropItem(f"{reason}: no article at {item.url}: {message}")

    def _write_metadata(self, page: CapturedPage, result: Article | tuple[str, str]) -> None:
        ref = page.extra.get("warc_ref") if page.extra else None
        if not self.archive or ref is None:
            return
        spec = source_spec(self.crawler, page.source_name)
        RunState.of(self.crawler).writer.write_metadata(
            url=page.url, refers_to=ref,
            fields=extraction_summary(result, source_name=page.source_name, spec=spec),
        )

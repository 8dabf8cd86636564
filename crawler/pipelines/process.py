"""Process-page stage: `CapturedPage` in, `Article` out (or dropped with a reason).

Calls `crawler.page.process_page` — the same function replay and `healthcrawl extract` use.
With `EXTRACT_WORKERS` > 0 the work runs in an `ExtractionPool` of that many worker processes
so the reactor thread stays free and every core is used (a negative value means one per CPU);
0 runs it inline. Workers are started from a clean forkserver (never forked from the running
reactor), build their `Extractor` once and warm trafilatura, lxml and OpenCC before the first
page; a page crosses to a worker without its capture reference and comes back as an
`Article` or a `(reason, message)` pair.

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
Settings: `EXTRACT_WORKERS`, `TAGS_ENABLED`, `EXTRACT_MIN_TEXT_CHARS` and the other
`EXTRACT_*` options of `crawler.extract.Extractor.from_settings`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.extract import Extractor
from crawler.items import Article
from crawler.page import CapturedPage, NotAnArticle, process_page
from crawler.postprocess import tag_article
from crawler.state import RunState
from crawler.urls import canonicalize_url
from crawler.versions import extraction_summary

__all__ = ["ExtractionPool", "ProcessPagePipeline", "extractor_from_settings", "pool_size", "process_and_tag",
           "safe_process"]

logger = logging.getLogger(__name__)

Result = Article | tuple[str, str]
T = TypeVar("T")

# A small Traditional-Chinese page run once in every new worker: loads trafilatura's and
# lxml's parsers and the OpenCC dictionaries before the first real page arrives.
_WARM_PAGE = CapturedPage(
    url="http://warm.invalid/a/1.html", status=200, headers={"content-type": "text/html; charset=utf-8"},
    body=("<html><head><title>醫院推進醫共體建設</title></head><body><div class='content'>"
          + "<p>近日，縣人民醫院召開醫共體建設工作推進會，全縣基層醫療機構全部接入區域健康信息平臺。</p>" * 6
          + "</div></body></html>").encode("utf-8"),
    fetched_at="2024-01-01T00:00:00+00:00",
)


def source_spec(crawler: Crawler, name: str | None) -> Any:
    """The running spider's spec called `name`, or None."""
    for spec in getattr(crawler.spider, "sources", None) or []:
        if spec.name == name:
            return spec
    return None


def extractor_from_settings(settings: Any) -> Extractor:
    return Extractor.from_settings(settings)


def pool_size(workers: int) -> int:
    """`EXTRACT_WORKERS` / `--workers` as a process count: negative means one per CPU."""
    return (os.cpu_count() or 1) if workers < 0 else workers


def safe_process(page: CapturedPage, extractor: Extractor) -> Result:
    """`process_page` that never raises: the article or (reason, message)."""
    try:
        return process_page(page, extractor)
    except NotAnArticle as exc:
        return (exc.reason, str(exc))
    except Exception as exc:  # noqa: BLE001 - reported with the URL by the caller
        return ("error", f"{type(exc).__name__}: {exc}")


def process_and_tag(page: CapturedPage, extractor: Extractor, region: Any = None, *, tag: bool = False) -> Result:
    """`safe_process`, then `tag_article(article, region)` when `tag` (never raises)."""
    result = safe_process(page, extractor)
    if tag and isinstance(result, Article):
        try:
            tag_article(result, region)
        except Exception as exc:  # noqa: BLE001 - reported with the URL by the caller
            return ("error", f"tagging: {type(exc).__name__}: {exc}")
    return result


# -- worker side --------------------------------------------------------------------------
_worker_extractor: Extractor | None = None


def _init_worker(extractor: Extractor) -> None:
    global _worker_extractor
    _worker_extractor = extractor
    process_and_tag(_WARM_PAGE, extractor, None, tag=True)


def _work(page: CapturedPage, region: Any, tag: bool) -> Result:
    assert _worker_extractor is not None, "extraction worker used before its initializer ran"
    return process_and_tag(page, _worker_extractor, region, tag=tag)


def _work_batch(jobs: list[tuple[CapturedPage, Any]], tag: bool) -> list[Result]:
    return [_work(page, region, tag) for page, region in jobs]


def _pool_context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["crawler.page", "crawler.extract"])
        return context
    return multiprocessing.get_context("spawn")


class ExtractionPool:
    """`workers` processes running `process_page` with one `Extractor` each.

    `submit(page)` returns a `concurrent.futures.Future` of the result; `map_ordered(pairs)`
    yields results in input order with a bounded number of pages in flight, sent in batches
    (replay uses it). Pages cross without `extra` (capture references stay here)."""

    def __init__(self, workers: int, extractor: Extractor) -> None:
        if workers < 1:
            raise ValueError(f"an extraction pool needs at least one worker, got {workers}")
        self.workers = workers
        self.extractor = extractor
        self.executor = ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context(),
                                            initializer=_init_worker, initargs=(extractor,))

    @staticmethod
    def _bare(page: CapturedPage) -> CapturedPage:
        return dataclasses.replace(page, extra={}) if page.extra else page

    def submit(self, page: CapturedPage, region: Any = None, *, tag: bool = False) -> Future[Result]:
        return self.executor.submit(_work, self._bare(page), region, tag)

    def map_ordered(self, pairs: Iterable[tuple[CapturedPage, T]], *, region_of: Any = None, batch: int = 8,
                    window: int | None = None) -> Iterator[tuple[CapturedPage, T, Result]]:
        """(page, context, result) for each (page, context) of `pairs`, in input order; pages
        go out in batches of `batch`, at most `window` batches in flight (bounded memory).
        With `region_of(context)`, articles are also tagged in the worker with that region."""
        tag = region_of is not None
        window = window or 4 * self.workers
        pending: deque[tuple[list[tuple[CapturedPage, T]], list[tuple[CapturedPage, Any]],
                             Future[list[Result]]]] = deque()
        chunk: list[tuple[CapturedPage, T]] = []

        def send() -> None:
            jobs = [(self._bare(page), region_of(context) if tag else None) for page, context in chunk]
            pending.append((chunk, jobs, self.executor.submit(_work_batch, jobs, tag)))

        def drain(limit: int) -> Iterator[tuple[CapturedPage, T, Result]]:
            while len(pending) > limit:
                sent, jobs, future = pending.popleft()
                try:
                    results = future.result()
                except Exception as exc:  # noqa: BLE001 - a dead worker: do this batch here
                    logger.error("extraction worker failed (%s: %s); extracting %d pages in this process",
                                 type(exc).__name__, exc, len(jobs))
                    results = [process_and_tag(page, self.extractor, region, tag=tag) for page, region in jobs]
                for (page, context), result in zip(sent, results):
                    yield page, context, result

        for pair in pairs:
            chunk.append(pair)
            if len(chunk) >= batch:
                send()
                chunk = []
                yield from drain(window)
        if chunk:
            send()
        yield from drain(0)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


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
        self.stats = crawler.stats
        self.extractor = extractor_from_settings(crawler.settings)
        workers = pool_size(crawler.settings.getint("EXTRACT_WORKERS", 0))
        self.pool = ExtractionPool(workers, self.extractor) if workers else None
        self.order = _FetchOrder()
        self.archive = crawler.settings.getbool("ARCHIVE_ENABLED", True)
        self.tag = crawler.settings.getbool("TAGS_ENABLED", True)

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
            return self._finish(item, process_and_tag(item, self.extractor, region, tag=self.tag))
        ticket = self.order.ticket()
        try:
            future = self.pool.submit(item, region, tag=self.tag)
            try:
                result = await asyncio.wrap_future(future)
            except Exception as exc:  # noqa: BLE001 - a dead worker: extract this page here
                logger.error("extraction worker failed for %s (%s: %s); extracting it in this process",
                             item.url, type(exc).__name__, exc)
                result = process_and_tag(item, self.extractor, region, tag=self.tag)
            await self.order.wait(ticket)
            return self._finish(item, result)
        finally:
            self.order.done(ticket)

    def _finish(self, item: CapturedPage, result: Result) -> Article:
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
        if state.seen_store is not None and reason != "http-error":
            state.seen_store.add(canonicalize_url(item.url), None, item.fetched_at)
        raise DropItem(f"{reason}: no article at {item.url}: {message}")

    def _write_metadata(self, page: CapturedPage, result: Result) -> None:
        ref = page.extra.get("warc_ref") if page.extra else None
        if not self.archive or ref is None:
            return
        spec = source_spec(self.crawler, page.source_name)
        RunState.of(self.crawler).writer.write_metadata(
            url=page.url, refers_to=ref,
            fields=extraction_summary(result, source_name=page.source_name, spec=spec),
        )

"""Per-source counters for the run report: `source/<name>/pages`, `/new_items`,
`/duplicates`, `/not_modified`, `/failures/<kind>` (+ example URLs kept in memory), and
`source/<name>/seconds` (first to last response). Always on; costs a dict update per event."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.items import Article

# an ad-hoc crawl offers every page to extraction: an index page is no failure there
INDEX_REASONS = frozenset({"link-list", "no-main-text"})
MAX_EXAMPLES = 200  # failing URLs kept per source and kind for the report


class SourceCounters:
    """The per-source failure and drop counters with their example URLs, shared by this
    extension (a crawl) and `crawler.runs.replay`, so both write the same stats keys."""

    def __init__(self, stats: Any) -> None:
        self.stats = stats
        self.examples: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))

    def fail(self, source: str, kind: str, url: str) -> None:
        self.stats.inc_value(f"source/{source}/failures/{kind}")
        examples = self.examples[source][kind]
        if len(examples) < MAX_EXAMPLES:
            examples.append(url)

    def dropped(self, source: str, key: str, url: str, *, adhoc: bool = False) -> None:
        """An item dropped with reason `key` (`repost`, `below-relevance`, `store-error`, or the
        extraction reason)."""
        if key == "repost":
            self.stats.inc_value(f"source/{source}/duplicates")
        elif key == "below-relevance":
            self.stats.inc_value(f"source/{source}/filtered")
        elif key == "store-error":
            self.fail(source, key, url)
        elif key in INDEX_REASONS and adhoc:
            self.stats.inc_value(f"source/{source}/not_articles")  # an ad-hoc crawl offers every page
        else:
            self.fail(source, f"extract:{key}", url)


class SourceStatsExtension:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.counters = SourceCounters(crawler.stats)
        self.examples = self.counters.examples
        self.first: dict[str, float] = {}
        self.last: dict[str, float] = {}
        cs = crawler.signals
        cs.connect(self.response_received, signal=signals.response_received)
        cs.connect(self.item_scraped, signal=signals.item_scraped)
        cs.connect(self.item_dropped, signal=signals.item_dropped)
        cs.connect(self.item_error, signal=signals.item_error)
        cs.connect(self.spider_error, signal=signals.spider_error)
        cs.connect(self.request_dropped, signal=signals.request_dropped)
        cs.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "SourceStatsExtension":
        return cls(crawler)

    def failure(self, source: str, kind: str, url: str) -> None:
        """Count a failure of `kind` for `source` and keep `url` as an example (components that
        see failures this extension's signals do not, e.g. the robots.txt policy, call this)."""
        self._fail(source, kind, url)

    def _fail(self, source: str, kind: str, url: str) -> None:
        self.counters.fail(source, kind, url)

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        source = request.meta.get("hc_source", "-")
        now = time.monotonic()
        self.first.setdefault(source, now)
        self.last[source] = now
        self.stats.inc_value(f"source/{source}/pages")
        kind = request.meta.get("hc_kind", "other")
        self.stats.inc_value(f"source/{source}/requests/{kind}")
        if response.status == 304:
            self.stats.inc_value(f"source/{source}/not_modified")
        elif response.status >= 400:
            self._fail(source, f"http-{response.status}", response.url)

    def item_scraped(self, item: Any, response: Response, spider: Spider) -> None:
        if isinstance(item, Article):
            source = item.source_name or "-"
            self.stats.inc_value(f"source/{source}/new_items")
            if item.duplicate_of:
                self.stats.inc_value(f"source/{source}/duplicates")

    def item_dropped(self, item: Any, response: Response, exception: BaseException, spider: Spider) -> None:
        """Every stage's DropItem message starts with a key: `repost`, `below-relevance`,
        `store-error`, or the extraction reason (`no-main-text`, `link-list`, …). Scrapy reports
        the item as the spider yielded it (a CapturedPage), whichever stage dropped it."""
        source = getattr(item, "source_name", None) or "-"
        key = str(exception).split(":", 1)[0].strip() or "dropped"
        self.counters.dropped(source, key, getattr(item, "url", "?"), adhoc=getattr(spider, "adhoc", False))

    def item_error(self, item: Any, response: Response, spider: Spider, failure: Failure) -> None:
        source = getattr(item, "source_name", None) or "-"
        self._fail(source, "pipeline-error", getattr(item, "url", "?"))

    def spider_error(self, failure: Failure, response: Response | None, spider: Spider) -> None:
        if response is None:  # raised in start(): no response to blame
            self._fail("-", "spider-error", "start()")
            return
        self._fail(response.meta.get("hc_source", "-"), "spider-error", response.url)

    def request_dropped(self, request: Request, spider: Spider) -> None:
        self.stats.inc_value(f"source/{request.meta.get('hc_source', '-')}/requests_dropped")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        for source, start in self.first.items():
            self.stats.set_value(f"source/{source}/seconds", round(self.last[source] - start, 3))

"""Seen-store middleware: never request an article the output folder already holds.

Requests marked `meta["hc_kind"] == "article"` whose canonical URL is in the run's seen-store
(`RunState.seen_store`, SQLite in the output folder; Redis in distributed mode) are dropped
with `IgnoreRequest` and counted in `dedup/seen_skipped`. Listing, feed and sitemap requests
always go through. Settings: `DEDUP_SEEN_STORE` (default True).
"""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured

from crawler.extensions.run_state import RunState


class SeenStoreMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("DEDUP_SEEN_STORE"):
            raise NotConfigured("set DEDUP_SEEN_STORE=True to skip articles already stored")
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "SeenStoreMiddleware":
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if request.meta.get("hc_kind") != "article":
            return None
        if RunState.of(self.crawler).seen_before(request.url):
            self.crawler.stats.inc_value("dedup/seen_skipped")
            raise IgnoreRequest(f"already stored: {request.url}")
        return None

"""Page budget: at most `CRAWL_MAX_PAGES` requests go to the network (0 = no limit).

`healthcrawl crawl --max-pages N` sets it. Unlike Scrapy's `CLOSESPIDER_PAGECOUNT`, which
stops after N responses while requests already in flight still complete, this refuses the
request that would exceed the budget, so the count is exact. robots.txt fetches do not count.
Stats: `budget/refused`.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured


class PageBudgetMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.limit = crawler.settings.getint("CRAWL_MAX_PAGES")
        if self.limit <= 0:
            raise NotConfigured  # off by default: no message, so nothing is logged
        self.crawler = crawler
        self.issued = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "PageBudgetMiddleware":
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if request.meta.get("dont_obey_robotstxt") and request.url.endswith("/robots.txt"):
            return None
        if self.issued >= self.limit:
            self.crawler.stats.inc_value("budget/refused")
            raise IgnoreRequest(f"page budget of {self.limit} reached: {request.url}")
        self.issued += 1
        return None

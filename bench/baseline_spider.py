"""Baseline for the crawl benchmark: Scrapy + bare trafilatura, no archive, no pipeline.

Crawls like `healthcrawl crawl URL` does (start page and `/sitemap.xml`, every same-site link
followed, every HTML page offered to extraction) with the same downloader settings the
benchmark gives the full pipeline, and calls `trafilatura.extract(body)` on each page in the
callback. Nothing is written but a JSON line of numbers:

    python bench/baseline_spider.py URL --max-pages N [--json FILE]

prints/writes `{"pages": response_received_count, "extracted": n, "seconds": s, "elapsed": e}`:
`seconds` from creating the crawler process to its end (like the run report's `seconds`),
`elapsed` Scrapy's `elapsed_time_seconds` (engine start to spider closed).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
import trafilatura
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response, TextResponse
from scrapy.spiders import SitemapSpider

# Downloader settings shared with the full-pipeline run in crawl_bench (same politeness-free
# local crawl: no delay, no autothrottle, 16 requests, 8 per host as an ad-hoc spec sets).
CRAWL_SETTINGS: dict[str, Any] = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "ROBOTSTXT_OBEY": True,
    "LOG_LEVEL": "WARNING",
}


class BaselineSpider(SitemapSpider):
    name = "baseline"

    def __init__(self, url: str, **kwargs: Any) -> None:
        root = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
        self.sitemap_urls = [root + "/sitemap.xml"]
        self.start_url = url
        self.host = urlsplit(url).netloc
        self.extracted = 0
        super().__init__(**kwargs)

    async def start(self):  # type: ignore[no-untyped-def, override]
        async for request in super().start():
            yield request
        yield scrapy.Request(self.start_url, callback=self.parse, dont_filter=True)

    def parse(self, response: Response) -> Iterable[Any]:
        if not isinstance(response, TextResponse):
            return
        if trafilatura.extract(response.body, url=response.url) is not None:
            self.extracted += 1
        for href in response.xpath("//a/@href").getall():
            url = response.urljoin(href.strip()).split("#", 1)[0]
            if urlsplit(url).netloc == self.host:
                yield scrapy.Request(url, callback=self.parse)


def run(url: str, max_pages: int) -> dict[str, Any]:
    t0 = time.monotonic()
    process = CrawlerProcess({**CRAWL_SETTINGS, "CLOSESPIDER_PAGECOUNT": max_pages,
                              "TELNETCONSOLE_ENABLED": False, "COOKIES_ENABLED": False})
    crawler = process.create_crawler(BaselineSpider)
    process.crawl(crawler, url=url)
    process.start()
    seconds = time.monotonic() - t0
    stats = crawler.stats.get_stats() if crawler.stats else {}
    return {"pages": stats.get("response_received_count", 0), "extracted": crawler.spider.extracted,
            "seconds": round(seconds, 3), "elapsed": stats.get("elapsed_time_seconds"),
            "cpu_main_s": round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Scrapy + bare trafilatura baseline crawl.")
    parser.add_argument("url")
    parser.add_argument("--max-pages", type=int, default=100_000)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    result = run(args.url, args.max_pages)
    line = json.dumps(result)
    if args.json:
        args.json.write_text(line + "\n")
    print(line)
    return 0 if result["pages"] else 1


if __name__ == "__main__":
    sys.exit(main())

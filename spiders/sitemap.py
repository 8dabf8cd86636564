"""Sitemap spider: reads `[[sitemap]]` entries (urlset, sitemap index, Google News sitemap,
gzipped or not) with the safe XML parser in `spiders.xmlfeeds`; honours the source's
`cutoff_days` using `news:publication_date` / `lastmod`.

Articles a sitemap announces are not all handed to Scrapy at once: a news site's sitemap can
list tens of thousands, and a pending Scrapy request (headers, meta, fingerprint, parsed URL)
costs ~2 KB where its URL costs ~0.2 KB. They wait as URLs, one queue per download slot, and
`CRAWL_SITEMAP_BATCH` of each slot's are scheduled whenever the scheduler runs empty (Scrapy's
`scheduler_empty` signal), so peak memory does not grow with the sitemap. `CRAWL_SITEMAP_BATCH
= 0` schedules them as they are read, as in distributed mode (its add-on sets 0), whose queue is
shared in Redis rather than held by this process.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response

from spiders.base import SourceSpider
from spiders.spec import SourceSpec

# (source, article URL, announced date) of an article waiting to be scheduled
Announced = tuple[SourceSpec, str, str | None]


class SitemapMixin(SourceSpider):
    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Any:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.release_announced, signal=signals.scheduler_empty)
        crawler.signals.connect(spider.announced_keep_open, signal=signals.spider_idle)
        return spider

    def start_sitemap(self, spec: SourceSpec) -> Iterable[scrapy.Request]:
        for index, entry in enumerate(spec.sitemap):
            yield scrapy.Request(entry.url, callback=self.parse_sitemap, dont_filter=True,
                                 meta=self.spec_meta(spec, "sitemap", hc_entry=index))

    def parse_sitemap(self, response: Response) -> Iterable[Any]:
        spec, pattern, links = self.announced_links(response, "sitemap")
        waiting = self.announced_queue(spec)
        announced: set[str] = self.__dict__.setdefault("_announced_urls", set())
        for link in links:
            url = response.urljoin(link.url)
            if link.is_sitemap:
                if self.in_scope(spec, url):
                    yield scrapy.Request(url, callback=self.parse_sitemap,
                                         meta=self.spec_meta(spec, "sitemap", hc_entry=response.meta.get("hc_entry")))
                continue
            if waiting is not None:
                if pattern is None or pattern.search(url):
                    waiting.append((spec, url, link.date))
                    announced.add(url)
                continue
            request = self.announced_article(spec, pattern, url, link.date)
            if request is not None:
                yield request

    # -- scheduling announced articles in batches ------------------------------------------
    def sitemap_batch(self) -> int:
        """Announced articles scheduled per download slot when the scheduler runs empty;
        0 when they are scheduled as they are read (`CRAWL_SITEMAP_BATCH` = 0, which the Redis
        add-on sets: the shared queue must hold them)."""
        batch = self.settings.getint("CRAWL_SITEMAP_BATCH")
        if batch < 0:
            raise ValueError(f"CRAWL_SITEMAP_BATCH must be >= 0, got {batch}")
        return batch

    def announced_queue(self, spec: SourceSpec) -> deque[Announced] | None:
        """The queue of `spec`'s download slot, or None when announced articles are scheduled
        as they are read."""
        if not self.sitemap_batch():
            return None
        queues: dict[str, deque[Announced]] = self.__dict__.setdefault("_announced", {})
        return queues.setdefault(urlsplit(spec.homepage).hostname or "", deque())

    def announced_waiting(self) -> int:
        """Announced articles not scheduled yet."""
        return sum(len(q) for q in self.__dict__.get("_announced", {}).values())

    def is_announced(self, url: str) -> bool:
        """True while `url` waits in a sitemap queue: link following leaves it to the sitemap
        (it is fetched once either way), so followed links do not pile up in the scheduler."""
        return url in self.__dict__.get("_announced_urls", ())

    def release_announced(self) -> int:
        """`scheduler_empty` handler: schedule up to `CRAWL_SITEMAP_BATCH` waiting articles of
        each download slot (round robin, so one big sitemap does not starve the other sources).
        Returns how many requests were handed to the engine."""
        queues: dict[str, deque[Announced]] = self.__dict__.get("_announced", {})
        if not queues:
            return 0
        engine = self.crawler.engine
        batch, released = self.sitemap_batch(), 0
        for slot in list(queues):
            waiting = queues[slot]
            taken = 0
            while waiting and taken < batch:
                spec, url, date = waiting.popleft()
                self._announced_urls.discard(url)
                request = self.announced_article(spec, None, url, date)  # seen-store checked now
                if request is not None:
                    engine.crawl(request)
                    taken += 1
            released += taken
            if not waiting:
                del queues[slot]
        return released

    def announced_keep_open(self) -> None:
        """`spider_idle` handler: the scheduler can run empty with articles still waiting when
        every request of the last batch was a duplicate; schedule the next batch instead of
        closing."""
        if self.announced_waiting():
            self.release_announced()
            raise DontCloseSpider("announced sitemap articles are waiting")


class SitemapSpider(SitemapMixin):
    """`scrapy crawl sitemap -a source=NAME`: only the sitemap entries of the sources."""

    name = "sitemap"

    def start_requests_for(self, spec: SourceSpec) -> Iterable[scrapy.Request]:
        return self.start_sitemap(spec)

"""Feed spider: reads `[[feed]]` entries (RSS 2.0, RDF, Atom) with the safe XML parser;
honours `cutoff_days` using the items' dates."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import scrapy
from scrapy.http import Response

from spiders.base import SourceSpider
from spiders.spec import SourceSpec
from spiders.xmlfeeds import FeedError, parse_links


class FeedMixin(SourceSpider):
    def start_feed(self, spec: SourceSpec) -> Iterable[scrapy.Request]:
        for index, entry in enumerate(spec.feed):
            yield scrapy.Request(entry.url, callback=self.parse_feed_links, dont_filter=True,
                                 meta=self.spec_meta(spec, "feed", hc_entry=index))

    def parse_feed_links(self, response: Response) -> Iterable[Any]:
        spec = self.spec_by_name(response.meta["hc_source"])
        index = response.meta.get("hc_entry")
        pattern_src = spec.feed[index].article_links if index is not None and spec.feed else None
        pattern = re.compile(pattern_src) if pattern_src else None
        try:
            links = parse_links(response.body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
        except FeedError as exc:
            self.logger.error("unreadable feed %s: %s", response.url, exc)
            self.crawler.stats.inc_value("spider/bad_feed")
            return
        for link in links:
            url = response.urljoin(link.url)
            if pattern is not None and not pattern.search(url):
                continue
            if self.is_seen(url):
                self.crawler.stats.inc_value("harvest/skipped_seen")
                continue
            request = self.article_request(spec, url, date=link.date)
            if request is not None:
                yield request


class FeedSpider(FeedMixin):
    """`scrapy crawl feed -a source=NAME`: only the feed entries of the sources."""

    name = "feed"

    def start_requests_for(self, spec: SourceSpec) -> Iterable[scrapy.Request]:
        return self.start_feed(spec)

"""Feed spider: reads `[[feed]]` entries (RSS 2.0, RDF, Atom) with the safe XML parser;
honours `cutoff_days` using the items' dates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import scrapy
from scrapy.http import Response

from spiders.base import SourceSpider
from spiders.spec import SourceSpec


class FeedMixin(SourceSpider):
    def start_feed(self, spec: SourceSpec) -> Iterable[scrapy.Request]:
        for index, entry in enumerate(spec.feed):
            yield scrapy.Request(entry.url, callback=self.parse_feed_links, dont_filter=True,
                                 meta=self.spec_meta(spec, "feed", hc_entry=index))

    def parse_feed_links(self, response: Response) -> Iterable[Any]:
        spec, pattern, links = self.announced_links(response, "feed")
        for link in links:
            request = self.announced_article(spec, pattern, response.urljoin(link.url), link.date)
            if request is not None:
                yield request


class FeedSpider(FeedMixin):
    """`scrapy crawl feed -a source=NAME`: only the feed entries of the sources."""

    name = "feed"

    def start_requests_for(self, spec: SourceSpec) -> Iterable[scrapy.Request]:
        return self.start_feed(spec)

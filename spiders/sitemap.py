"""Sitemap spider: reads `[[sitemap]]` entries (urlset, sitemap index, Google News sitemap,
gzipped or not) with the safe XML parser in `spiders.xmlfeeds`; honours the source's
`cutoff_days` using `news:publication_date` / `lastmod`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import scrapy
from scrapy.http import Response

from spiders.base import SourceSpider
from spiders.spec import SourceSpec


class SitemapMixin(SourceSpider):
    def start_sitemap(self, spec: SourceSpec) -> Iterable[scrapy.Request]:
        for index, entry in enumerate(spec.sitemap):
            yield scrapy.Request(entry.url, callback=self.parse_sitemap, dont_filter=True,
                                 meta=self.spec_meta(spec, "sitemap", hc_entry=index))

    def parse_sitemap(self, response: Response) -> Iterable[Any]:
        spec, pattern, links = self.announced_links(response, "sitemap")
        for link in links:
            url = response.urljoin(link.url)
            if link.is_sitemap:
                if self.in_scope(spec, url):
                    yield scrapy.Request(url, callback=self.parse_sitemap,
                                         meta=self.spec_meta(spec, "sitemap", hc_entry=response.meta.get("hc_entry")))
                continue
            request = self.announced_article(spec, pattern, url, link.date)
            if request is not None:
                yield request


class SitemapSpider(SitemapMixin):
    """`scrapy crawl sitemap -a source=NAME`: only the sitemap entries of the sources."""

    name = "sitemap"

    def start_requests_for(self, spec: SourceSpec) -> Iterable[scrapy.Request]:
        return self.start_sitemap(spec)

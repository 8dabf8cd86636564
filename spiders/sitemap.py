"""Sitemap spider: reads `[[sitemap]]` entries (urlset, sitemap index, Google News sitemap,
gzipped or not) with the safe XML parser in `spiders.xmlfeeds`; honours the source's
`cutoff_days` using `news:publication_date` / `lastmod`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import scrapy
from scrapy.http import Response

from spiders.base import SourceSpider
from spiders.spec import SourceSpec
from spiders.xmlfeeds import FeedError, parse_links


class SitemapMixin(SourceSpider):
    def start_sitemap(self, spec: SourceSpec) -> Iterable[scrapy.Request]:
        for index, entry in enumerate(spec.sitemap):
            yield scrapy.Request(entry.url, callback=self.parse_sitemap, dont_filter=True,
                                 meta=self.spec_meta(spec, "sitemap", hc_entry=index))

    def parse_sitemap(self, response: Response) -> Iterable[Any]:
        spec = self.spec_by_name(response.meta["hc_source"])
        index = response.meta.get("hc_entry")
        pattern_src = spec.sitemap[index].article_links if index is not None and spec.sitemap else None
        pattern = re.compile(pattern_src) if pattern_src else None
        try:
            links = parse_links(response.body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
        except FeedError as exc:
            self.logger.error("unreadable sitemap %s: %s", response.url, exc)
            self.crawler.stats.inc_value("spider/bad_sitemap")
            return
        for link in links:
            url = response.urljoin(link.url)
            if link.is_sitemap:
                if self.in_scope(spec, url):
                    yield scrapy.Request(url, callback=self.parse_sitemap,
                                         meta=self.spec_meta(spec, "sitemap", hc_entry=index))
                continue
            if pattern is not None and not pattern.search(url):
                continue
            if self.is_seen(url):
                self.crawler.stats.inc_value("harvest/skipped_seen")
                continue
            request = self.article_request(spec, url, date=link.date)
            if request is not None:
                yield request


class SitemapSpider(SitemapMixin):
    """`scrapy crawl sitemap -a source=NAME`: only the sitemap entries of the sources."""

    name = "sitemap"

    def start_requests_for(self, spec: SourceSpec) -> Iterable[scrapy.Request]:
        return self.start_sitemap(spec)

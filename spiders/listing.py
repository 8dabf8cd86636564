"""Listing-page spider: reads `[[listing]]` entries, follows article links and pagination.

Article links are same-site links matching the entry's `article_links` regex (any same-site
link that looks like an article when the spec gives none). Pagination follows
`next_page_xpath` up to `max_pages`, and stops early, in harvest mode, on a listing page whose
article links are all already in the seen-store ("nothing new").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse

from spiders.base import ARTICLE_HINT, SourceSpider
from spiders.spec import ListingEntry, SourceSpec


class ListingMixin(SourceSpider):
    def start_listing(self, spec: SourceSpec) -> Iterable[scrapy.Request]:
        for index, entry in enumerate(spec.listing):
            yield scrapy.Request(entry.url, callback=self.parse_listing,
                                 meta=self.spec_meta(spec, "listing", hc_entry=index, hc_page=1),
                                 dont_filter=True)

    def parse_listing(self, response: Response) -> Iterable[Any]:
        if not isinstance(response, TextResponse):
            self.crawler.stats.inc_value("spider/listing_not_text")
            return
        spec = self.spec_by_name(response.meta["hc_source"])
        entry: ListingEntry = spec.listing[response.meta["hc_entry"]]
        pattern = re.compile(entry.article_links) if entry.article_links else None
        links: list[str] = []
        for href in response.xpath("//a/@href").getall():
            url = response.urljoin(href.strip())
            if url == response.url or not self.in_scope(spec, url):
                continue
            path = url.split("#", 1)[0]
            if pattern is not None:
                if not pattern.search(path):
                    continue
            elif not ARTICLE_HINT.search(path.split("?", 1)[0]) or "index" in path.rsplit("/", 1)[-1]:
                continue
            if path not in links:
                links.append(path)
        new = 0
        for url in links:
            if self.is_seen(url):
                self.crawler.stats.inc_value("harvest/skipped_seen")
                continue
            request = self.article_request(spec, url)
            if request is not None:
                new += 1
                yield request
        if self.adhoc:
            yield from self.discover(spec, response)
        page = response.meta["hc_page"]
        if page >= entry.max_pages:
            return
        # "nothing new" stops pagination only for a listing page a completed run already saw
        # (its validators are committed at the end of a finished run): after a killed run,
        # the next run pages on and fetches what the killed run never reached.
        if links and new == 0 and response.meta.get("hc_validators") is not None:
            self.crawler.stats.inc_value("harvest/pagination_stopped_nothing_new")
            return
        for href in response.xpath(entry.next_page_xpath).getall()[:1]:
            url = response.urljoin(href.strip())
            if self.in_scope(spec, url):
                yield scrapy.Request(url, callback=self.parse_listing,
                                     meta=self.spec_meta(spec, "listing", hc_entry=response.meta["hc_entry"],
                                                         hc_page=page + 1))

    def discover(self, spec: SourceSpec, response: TextResponse) -> Iterable[scrapy.Request]:
        """Ad-hoc mode: feeds announced by the page; overridden where sitemaps are known."""
        for href in response.xpath(
            "//link[@rel='alternate'][contains(@type,'rss') or contains(@type,'atom')]/@href"
        ).getall():
            url = response.urljoin(href)
            if self.in_scope(spec, url):
                yield scrapy.Request(url, callback=self.parse_feed_links, meta=self.spec_meta(spec, "feed"))

    def parse_feed_links(self, response: Response) -> Iterable[Any]:  # provided by FeedMixin
        return []


class ListingSpider(ListingMixin):
    """`scrapy crawl listing -a source=NAME`: only the listing entries of the sources."""

    name = "listing"

    def start_requests_for(self, spec: SourceSpec) -> Iterable[scrapy.Request]:
        return self.start_listing(spec)

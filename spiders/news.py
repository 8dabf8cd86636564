"""The `news` spider: every entry of every selected source (listing, sitemap, feed).

`scrapy crawl news -a source=NAME` crawls one source, without `source` all enabled ones;
`-a urls="URL …"` crawls a site ad hoc (what `healthcrawl crawl URL…` runs): every same-site
page is followed and offered to extraction, and the site's `/sitemap.xml` and announced feeds
are read too; every page also goes through `spiders.pagination.discover`, the listing
spider's discovery (script-only pagers, CDATA records, JSON listings). Page budget:
`CRAWL_MAX_PAGES` (set by `--max-pages`).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from spiders import pagination
from spiders.feed import FeedMixin
from spiders.listing import ListingMixin, html_selector, response_text
from spiders.sitemap import SitemapMixin
from spiders.spec import SourceSpec


class NewsSpider(ListingMixin, SitemapMixin, FeedMixin):
    name = "news"

    def start_requests_for(self, spec: SourceSpec) -> Iterable[scrapy.Request]:
        if self.adhoc:
            roots = {f"{urlsplit(e.url).scheme}://{urlsplit(e.url).netloc}" for e in spec.listing}
            for root in sorted(roots):
                yield scrapy.Request(root + "/sitemap.xml", callback=self.parse_sitemap,
                                     meta=self.spec_meta(spec, "sitemap"))
            for entry in spec.listing:
                yield scrapy.Request(entry.url, callback=self.parse_adhoc, dont_filter=True,
                                     meta=self.spec_meta(spec, "listing"))
            return
        yield from self.start_listing(spec)
        yield from self.start_sitemap(spec)
        yield from self.start_feed(spec)

    def article_request(self, spec: SourceSpec, url: str, *, date: str | None = None) -> scrapy.Request | None:
        request = super().article_request(spec, url, date=date)
        if request is not None and self.adhoc:
            request = request.replace(callback=self.parse_adhoc)
        return request

    def parse_adhoc(self, response: Response) -> Iterable[Any]:
        """Ad-hoc mode: offer an HTML page to extraction and follow every same-site link, plus
        what `spiders.pagination` reads from it (script-only pagers, CDATA and JSON records,
        data-proxy pages), so a JSON or XML answer is read too, never xpath'ed."""
        spec = self.spec_by_name(response.meta["hc_source"])
        text, ctype = response_text(response)
        kind = pagination.body_kind(text, ctype)
        if kind == "html" and "html" in (ctype or "text/html").lower():
            yield self.captured(response)  # start pages too: extraction rejects what is no article
        selector = html_selector(response, text) if kind == "html" else None
        listing = pagination.discover(response.url, text, content_type=ctype, in_scope=partial(self.in_scope, spec),
                                      selector=selector, scripts_only=True)
        hrefs = selector.xpath("//a/@href").getall() if selector is not None else []
        found = [response.urljoin(h.strip()).split("#", 1)[0] for h in dict.fromkeys(hrefs)]
        found += [*listing.articles, *([listing.next_url] if listing.next_url else [])]
        followed = self.__dict__.setdefault("_followed", set())  # links already handled this run
        for url in found:
            if url in followed or not url.startswith(("http://", "https://")):
                continue  # handled already, or javascript:/mailto:/tel: — nothing to fetch
            followed.add(url)
            if not self.is_announced(url) and not self.is_seen(url):  # announced: the sitemap fetches it
                request = self.article_request(spec, url)  # checks the scope
                if request is not None:
                    yield request
        yield from self.discover(spec, response)

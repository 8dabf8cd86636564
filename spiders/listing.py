"""Listing-page spider: reads `[[listing]]` entries, follows article links and pagination.

Each listing response (HTML, JSON or XML) goes through `spiders.pagination.discover`, which
reads the page's own pagination (rel=next, next labels and classes, numbered links, TRS
`createPageHTML`, Hanweb JCMS `datastore`/`dataproxy.jsp`, Guangdong `gkmlpt` JSON, any JSON
`page=`/`total`) and its article links (anchors, script text, CDATA records, JSON string
values) matching the entry's `article_links` regex (any same-site link that looks like an
article when the spec gives none). The entry's `pagination` field names a family or a URL
template instead of detection; `next_page_xpath`, when given, is tried first. The source's
`cutoff_days` skips an article whose listing row prints an older date, and a page whose every
article is older ends the pagination (listings run newest first).

Pagination follows one next page at a time, up to `max_pages` pages per entry whatever the
scheme, never requests a listing URL twice in a run, and stops early, in harvest mode, on a
listing page a completed run already saw whose article links are all in the seen-store
("nothing new"). A listing page that comes back `304 Not Modified` is read from the capture
that run archived, so a shell page that never changes (gkmlpt's) still leads to its listing. A listing whose body says nothing usable yields nothing and counts
`spider/listing_unreadable`; it never raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import partial
from typing import Any

import scrapy
from scrapy.http import HtmlResponse, Response, TextResponse
from w3lib.encoding import html_to_unicode

from archive.reader import DamagedRecordError, read_record_at
from spiders import pagination
from spiders.base import SourceSpider
from spiders.spec import ListingEntry, SourceSpec


def response_text(response: Response) -> tuple[str, str]:
    """(text, Content-Type) of any response: Scrapy's decoding for text responses, the
    header/BOM/meta charset for the rest."""
    ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    if isinstance(response, TextResponse):
        return response.text, ctype
    return html_to_unicode(ctype, response.body)[1], ctype


def html_selector(response: Response, text: str) -> scrapy.Selector:
    """An HTML selector over the page: the response's own (parsed once, cached by Scrapy) when it
    is an HTML response, else one built from `text` (an HTML page served as text/plain, XML…)."""
    if isinstance(response, HtmlResponse):
        return response.selector
    return scrapy.Selector(text=text, type="html")


class ListingMixin(SourceSpider):
    def start_listing(self, spec: SourceSpec) -> Iterable[scrapy.Request]:
        for index, entry in enumerate(spec.listing):
            self.listing_visited(spec, index).add(entry.url)
            yield scrapy.Request(entry.url, callback=self.parse_listing,
                                 meta=self.spec_meta(spec, "listing", hc_entry=index, hc_page=1,
                                                     handle_httpstatus_list=[304]),
                                 dont_filter=True)

    def listing_visited(self, spec: SourceSpec, index: int) -> set[str]:
        """Listing URLs requested for one entry in this run (never requested again)."""
        visited: dict[tuple[str, int], set[str]] = self.__dict__.setdefault("_listing_visited", {})
        return visited.setdefault((spec.name, index), set())

    def read_listing(self, response: Response, spec: SourceSpec, entry: ListingEntry | None,
                     page: int, visited: set[str]) -> pagination.Listing:
        """What the listing response says (articles, next page), whatever its body type."""
        text, ctype = response_text(response)
        pattern = re.compile(entry.article_links) if entry is not None and entry.article_links else None
        listing = pagination.discover(
            response.url, text, content_type=ctype, article_links=pattern,
            pagination=entry.pagination if entry is not None else None,
            entry_url=entry.url if entry is not None else None, page=page,
            in_scope=partial(self.in_scope, spec), visited=visited,
            page_size=response.meta.get("hc_page_size"))
        if entry is not None and entry.next_page_xpath and listing.kind == "html":
            for href in html_selector(response, text).xpath(entry.next_page_xpath).getall():
                url = response.urljoin(href.strip()).split("#", 1)[0]
                if url not in visited and self.in_scope(spec, url):
                    listing.next_url, listing.scheme = url, "next_page_xpath"
                    break
        for problem in listing.problems:
            self.logger.warning("listing %s: %s", spec.name, problem)
        if not listing.articles and listing.next_url is None:
            self.crawler.stats.inc_value("spider/listing_unreadable" if listing.problems else "spider/listing_empty")
        self.crawler.stats.inc_value(f"listing/scheme/{listing.scheme}")
        return listing

    def archived_listing(self, response: Response) -> Response | None:
        """A `304 Not Modified` listing page as the body a completed run archived (a listing
        shell, e.g. gkmlpt's, does not change while the listing it points at does); None
        when there is no readable capture."""
        known = response.meta.get("hc_validators")
        state = self.run_state()
        if known is None or state is None:
            return None
        ref = known.stored.ref
        try:
            record = read_record_at(state.warc_dir / ref.filename, ref.offset,
                                    max_body=self.settings.getint("DOWNLOAD_MAXSIZE"))
        except (OSError, DamagedRecordError) as exc:
            self.logger.error("listing %s: archived capture %s@%d unreadable: %s", response.url, ref.filename,
                              ref.offset, exc)
            self.crawler.stats.inc_value("spider/listing_archive_unreadable")
            return None
        headers = {k: v for k, v in record.http_headers if k.lower() == "content-type"}
        return HtmlResponse(response.url, status=200, body=record.payload, headers=headers,
                            request=response.request)

    def parse_listing(self, response: Response) -> Iterable[Any]:
        spec = self.spec_by_name(response.meta["hc_source"])
        index = response.meta["hc_entry"]
        entry: ListingEntry = spec.listing[index]
        page = response.meta["hc_page"]
        visited = self.listing_visited(spec, index)
        visited.add(response.url)
        if response.status == 304:
            archived = self.archived_listing(response)
            if archived is None:
                return
            response = archived
        listing = self.read_listing(response, spec, entry, page, visited)
        new = 0
        for url in listing.articles:
            if self.is_seen(url):
                self.crawler.stats.inc_value("harvest/skipped_seen")
                continue
            request = self.article_request(spec, url, date=listing.dates.get(url))   # cutoff_days
            if request is not None:
                new += 1
                yield request
        if self.adhoc and listing.kind == "html":
            yield from self.discover(spec, response)
        if page >= entry.max_pages or listing.next_url is None:
            return
        # "nothing new" stops pagination only for a listing page a completed run already saw
        # (its validators are committed at the end of a finished run): after a killed run,
        # the next run pages on and fetches what the killed run never reached.
        if listing.articles and new == 0 and response.meta.get("hc_validators") is not None:
            self.crawler.stats.inc_value("harvest/pagination_stopped_nothing_new")
            return
        if listing.articles and all(self.past_cutoff(spec, listing.dates.get(u)) for u in listing.articles):
            self.crawler.stats.inc_value("harvest/pagination_stopped_cutoff")
            return  # listings run newest first: every article here is past cutoff_days, so are the next pages'
        if listing.scheme == "template" and not listing.articles:
            return  # a URL template pages on blindly: a page without articles is past the end
        url = listing.next_url
        if url in visited or not self.in_scope(spec, url):
            return
        visited.add(url)
        yield scrapy.Request(url, callback=self.parse_listing,
                             meta=self.spec_meta(spec, "listing", hc_entry=index, hc_page=page + 1,
                                                 hc_page_size=response.meta.get("hc_page_size") or listing.page_size,
                                                 handle_httpstatus_list=[304]))

    def discover(self, spec: SourceSpec, response: Response) -> Iterable[scrapy.Request]:
        """Ad-hoc mode: feeds announced by an HTML page; overridden where sitemaps are known."""
        if not isinstance(response, TextResponse) or pagination.body_kind(response.text[:300]) != "html":
            return
        for href in html_selector(response, response.text).xpath(
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

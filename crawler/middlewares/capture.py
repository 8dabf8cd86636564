"""Capture middleware: archive every HTTP exchange before anything is derived from it.

Sits at order 950, below Scrapy's decompression (590), redirect (600) and cookies (700)
middlewares, so `process_response` sees the response exactly as the server sent it (body
still gzip/br-encoded, redirects not yet followed) and the request as finally sent. For each
response it writes, through the run's `WarcWriter`:
- a `request` + `response` pair; or
- a `revisit` (identical-payload-digest) + `request` when the archive already holds the same
  payload (`crawler.store.capture_index`); or
- a `revisit` (server-not-modified) + `request` for a 304 answer to a conditional request.
Listing, feed and sitemap requests are made conditional (`If-None-Match` /
`If-Modified-Since`) from the validators of their last 200 response. The record pointer goes
to `request.meta["hc_capture"]` and the capture time to `meta["hc_fetched_at"]`. Responses
served from Scrapy's HTTP cache are not archived again.

Settings: `ARCHIVE_ENABLED` (default True), `ARCHIVE_REVISITS` (default True),
`HARVEST_CONDITIONAL` (default True). Stats: `archive/captures`, `archive/revisits`,
`archive/bytes`, `harvest/not_modified`.
"""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.store.capture_index import Stored, payload_digest
from crawler.pages.process import fetched_at
from crawler.extensions.run_state import RunState

CONDITIONAL_KINDS = ("listing", "feed", "sitemap")


def _pairs(headers: object) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, values in headers.items():  # type: ignore[attr-defined]
        name = key.decode("latin-1")
        for value in values:
            pairs.append((name, value.decode("latin-1")))
    return pairs


class CaptureMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("ARCHIVE_ENABLED"):
            raise NotConfigured("set ARCHIVE_ENABLED=True to write WARC files")
        self.crawler = crawler
        self.stats = crawler.stats
        self.revisits = settings.getbool("ARCHIVE_REVISITS")
        self.conditional = settings.getbool("HARVEST_CONDITIONAL")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "CaptureMiddleware":
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if not self.conditional or request.meta.get("hc_kind") not in CONDITIONAL_KINDS:
            return None
        known = RunState.of(self.crawler).captures.validators(request.url)
        if known is None:
            return None
        if known.etag and b"If-None-Match" not in request.headers:
            request.headers[b"If-None-Match"] = known.etag
        if known.last_modified and b"If-Modified-Since" not in request.headers:
            request.headers[b"If-Modified-Since"] = known.last_modified
        request.meta["hc_validators"] = known
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        if "cached" in response.flags or "archived" in response.flags:
            return response
        state = RunState.of(self.crawler)
        when = dt.datetime.now(dt.timezone.utc)
        request_headers = _pairs(request.headers)
        if not any(k.lower() == "host" for k, _ in request_headers):
            request_headers.insert(0, ("Host", urlsplit(request.url).netloc))
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        common = dict(url=request.url, method=request.method, request_headers=request_headers,
                      request_body=request.body or b"", status=response.status, reason=reason,
                      response_headers=_pairs(response.headers), http_version=response.protocol or "HTTP/1.1",
                      date=when, ip=str(response.ip_address) if response.ip_address is not None else None)
        known = request.meta.get("hc_validators")
        stored: Stored | None = None
        if response.status == 304 and known is not None:
            ref = state.writer.write_revisit(refers_to=known.stored.ref, refers_to_url=known.stored.url,
                                             profile="server-not-modified", **common)
            self.stats.inc_value("harvest/not_modified")
            self.stats.inc_value("archive/revisits")
        else:
            digest = payload_digest(response.body)
            hit = state.captures.find_payload(digest) if self.revisits and response.status == 200 else None
            if hit is not None:
                ref = state.writer.write_revisit(refers_to=hit.ref, refers_to_url=hit.url, **common)
                stored = hit
                self.stats.inc_value("archive/revisits")
            else:
                ref = state.writer.write_capture(body=response.body, **common)
                self.stats.inc_value("archive/bytes", len(response.body))
                if response.status == 200:
                    stored = Stored(request.url, ref)
                    state.captures.add_payload(request.url, ref)
            self.stats.inc_value("archive/captures")
        if stored is not None and self.conditional and request.meta.get("hc_kind") in CONDITIONAL_KINDS:
            state.captures.remember(request.url, response.headers.get(b"ETag", b"").decode("latin-1") or None,
                                    response.headers.get(b"Last-Modified", b"").decode("latin-1") or None, stored)
        request.meta["hc_capture"] = ref
        request.meta["hc_fetched_at"] = fetched_at(when)
        return response

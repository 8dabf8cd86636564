"""Capture middleware: archive every HTTP exchange before anything is derived from it.

Sits at order 950, below Scrapy's decompression (590), redirect (600) and cookies (700)
middlewares, so `process_response` sees the response exactly as the server sent it (body
still gzip/br-encoded, redirects not yet followed) and the request as finally sent. Writes a
WARC `request` + `response` pair through the run's `WarcWriter`, then stores the record
pointer in `request.meta["hc_capture"]` and the capture time in `meta["hc_fetched_at"]`.
Responses served from Scrapy's HTTP cache are not archived again.

Settings: `ARCHIVE_ENABLED` (default True). Stats: `archive/captures`, `archive/bytes`.
"""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.state import RunState


def _pairs(headers: object) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, values in headers.items():  # type: ignore[attr-defined]
        name = key.decode("latin-1")
        for value in values:
            pairs.append((name, value.decode("latin-1")))
    return pairs


class CaptureMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("ARCHIVE_ENABLED", True):
            raise NotConfigured("set ARCHIVE_ENABLED=True to write WARC files")
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "CaptureMiddleware":
        return cls(crawler)

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
        ip = str(response.ip_address) if response.ip_address is not None else None
        ref = state.writer.write_capture(
            url=request.url,
            method=request.method,
            request_headers=request_headers,
            request_body=request.body or b"",
            status=response.status,
            reason=reason,
            response_headers=_pairs(response.headers),
            body=response.body,
            http_version=response.protocol or "HTTP/1.1",
            date=when,
            ip=ip,
        )
        request.meta["hc_capture"] = ref
        request.meta["hc_fetched_at"] = when.isoformat(timespec="seconds")
        self.stats.inc_value("archive/captures")
        self.stats.inc_value("archive/bytes", len(response.body))
        return response

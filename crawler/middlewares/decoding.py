"""Content decoding that names a body it cannot decode instead of raising a traceback.

Scrapy's `HttpCompressionMiddleware` (order 590), subclassed: when a body does not decode as
its `Content-Encoding` says (a `gzip` header on a plain body, a cut deflate stream, a bad
brotli frame), the failure is counted per source as `source/<name>/failures/network:bad-content-encoding`
with the URL as an example, logged in one warning line, and the response is dropped
(`IgnoreRequest`). The exchange itself is already in the WARC as sent: the capture middleware
(order 950) sits below this one. Bombs (`DOWNLOAD_MAXSIZE` exceeded while decoding) are still
Scrapy's own `IgnoreRequest`. Settings: those of Scrapy's middleware (`COMPRESSION_ENABLED`,
`DOWNLOAD_MAXSIZE`, `DOWNLOAD_WARNSIZE`). Stats: `network/bad-content-encoding`.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

logger = logging.getLogger(__name__)

KIND = "network:bad-content-encoding"


class ContentDecodingMiddleware(HttpCompressionMiddleware):
    """`HttpCompressionMiddleware` that turns an undecodable body into a counted failure."""

    def __init__(self, stats: Any = None, *, crawler: Any = None) -> None:
        super().__init__(stats, crawler=crawler)
        self.crawler = crawler

    def process_response(self, request: Request, response: Response) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest:
            raise
        except Exception as exc:  # noqa: BLE001 - gzip/zlib/brotli/zstd each raise their own type
            encoding = b",".join(response.headers.getlist("Content-Encoding")).decode("latin-1")
            message = (f"{request.url}: body does not decode as Content-Encoding {encoding!r} "
                       f"({type(exc).__name__}: {exc}); archived as sent, not processed")
            logger.warning("%s", message)
            self._count(request)
            raise IgnoreRequest(f"{KIND}: {message}") from None

    def _count(self, request: Request) -> None:
        from crawler.extensions.source_stats import SourceStatsExtension

        crawler = getattr(self, "crawler", None)
        if crawler is None:
            return
        source = request.meta.get("hc_source", "-")
        extension = crawler.get_extension(SourceStatsExtension)
        if extension is not None:
            extension.failure(source, KIND, request.url)
        crawler.stats.inc_value("network/bad-content-encoding")

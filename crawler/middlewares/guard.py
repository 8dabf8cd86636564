"""Private-address guard for URLs: refuses requests to IP literals in private, loopback and
link-local ranges, to `localhost`, and to any scheme but http/https (a redirect to `file:`,
`ftp:` or `data:` ends here too). Host names are checked after resolution by
`crawler.guard.GuardedResolver`. Order 55: before anything else touches the request.
Settings: `GUARD_ALLOW_PRIVATE`. Stats: `guard/refused`.
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

from crawler.guard import is_forbidden_ip

logger = logging.getLogger(__name__)


class PrivateAddressMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.allow_private = crawler.settings.getbool("GUARD_ALLOW_PRIVATE", False)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "PrivateAddressMiddleware":
        return cls(crawler)

    def _refuse(self, request: Request, why: str) -> None:
        self.crawler.stats.inc_value("guard/refused")
        logger.warning("refused %s: %s", request.url, why)
        raise IgnoreRequest(f"{request.url}: {why}")

    def process_request(self, request: Request) -> None:
        parts = urlparse_cached(request)
        if parts.scheme not in ("http", "https"):
            self._refuse(request, f"scheme {parts.scheme!r} is not crawled (only http/https)")
        host = (parts.hostname or "").lower()
        if self.allow_private:
            return None
        if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
            self._refuse(request, "loopback host name (use --allow-private to allow)")
        if is_forbidden_ip(host):
            self._refuse(request, f"private/loopback address {host} (use --allow-private to allow)")
        return None

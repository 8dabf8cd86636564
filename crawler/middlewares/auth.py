"""Credential scoping: an `Authorization` header never leaves the origin it was meant for.

Scrapy's `RedirectMiddleware` (2.19) already drops `Authorization` when a redirect changes
scheme, host or port. But headers are re-added further down the chain for the redirected
request — `HttpAuthMiddleware` (`HTTP_USER`/`HTTP_PASS`, matched by domain, any port) and
`DefaultHeadersMiddleware` (`DEFAULT_REQUEST_HEADERS`) — so a redirect to another port of the
same host, or to another host, could still carry the credentials. This middleware runs after
both (order 450, `process_request`) and removes `Authorization` from any request whose
origin (scheme, host, port) differs from the origin of the first URL in its redirect chain.

No settings (always on). Stats: `auth/stripped`.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or DEFAULT_PORTS.get(scheme)


class AuthorizationScopeMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "AuthorizationScopeMiddleware":
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        chain = request.meta.get("redirect_urls")
        if not chain or b"Authorization" not in request.headers:
            return None
        if origin(chain[0]) != origin(request.url):
            del request.headers[b"Authorization"]
            self.crawler.stats.inc_value("auth/stripped")
            logger.info("dropped the Authorization header on the redirect from %s to %s (other origin)",
                        chain[0], request.url)
        return None

"""Request guards: where the crawler may go, and which redirects it follows.

`PrivateAddressMiddleware` (order 55, before anything else touches the request) refuses requests
to IP literals in private, loopback and link-local ranges, to `localhost`, and to any scheme but
http/https. Host names are checked after resolution by `crawler.security.guard.GuardedResolver`.
Settings: `GUARD_ALLOW_PRIVATE`. Stats: `guard/refused`.

`RedirectGuardMiddleware` (order 605, so its `process_response` runs just before Scrapy's
`RedirectMiddleware` at 600) stops, with a warning naming both URLs, a redirect
- to a scheme other than http/https (`file:`, `ftp:`, `data:`, `javascript:` …): Scrapy would
  silently hand the 3xx to the spider; stat `guard/redirect_scheme`;
- back to a URL already visited in the same chain (a loop): stat `guard/redirect_loop`;
- past `REDIRECT_MAX_TIMES` hops (Scrapy drops those at DEBUG level only): stat
  `guard/redirect_max`.
Each raises `IgnoreRequest`; the 3xx response itself is already archived (capture is at 950).
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached
from w3lib.url import safe_url_string

from crawler.security.guard import is_forbidden_ip

logger = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class PrivateAddressMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.allow_private = crawler.settings.getbool("GUARD_ALLOW_PRIVATE")

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


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


class RedirectGuardMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_redirects = crawler.settings.getint("REDIRECT_MAX_TIMES")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "RedirectGuardMiddleware":
        return cls(crawler)

    def _stop(self, request: Request, stat: str, why: str) -> None:
        self.crawler.stats.inc_value(stat)
        logger.warning("redirect stopped at %s: %s", request.url, why)
        raise IgnoreRequest(f"{request.url}: {why}")

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in REDIRECT_STATUSES or b"Location" not in response.headers:
            return response
        if request.meta.get("dont_redirect") or request.meta.get("handle_httpstatus_all") \
                or response.status in request.meta.get("handle_httpstatus_list", ()):
            return response
        raw = response.headers[b"Location"] or b""
        location = safe_url_string(raw.decode("latin-1").strip())
        target = urljoin(request.url, location)
        scheme = urlsplit(target).scheme.lower()
        if scheme not in ("http", "https"):
            self._stop(request, "guard/redirect_scheme",
                       f"redirect to {target[:200]!r} refused (scheme {scheme!r}; only http/https)")
        chain = [_without_fragment(u) for u in request.meta.get("redirect_urls", [])] + [_without_fragment(request.url)]
        if _without_fragment(target) in chain:
            self._stop(request, "guard/redirect_loop", f"redirect loop back to {target} after {len(chain)} hops")
        if request.meta.get("redirect_times", 0) >= self.max_redirects:
            self._stop(request, "guard/redirect_max",
                       f"more than {self.max_redirects} redirects (REDIRECT_MAX_TIMES), started at {chain[0]}")
        return response

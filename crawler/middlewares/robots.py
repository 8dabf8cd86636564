"""robots.txt per RFC 9309, replacing Scrapy's `RobotsTxtMiddleware` (order 100).

Scrapy's middleware treats every failure as "allow all". RFC 9309 §2.3.1 says otherwise, and
this subclass follows it, once per host for the whole run:
- 2xx: the body is parsed leniently (Protego); only the first `ROBOTSTXT_MAX_SIZE` bytes
  (default 500 KiB, the minimum the RFC asks a crawler to parse) are read, cut at a line end,
  so 10 MB of junk or binary costs nothing and crashes nothing. Stat `robotstxt/truncated`.
- 4xx ("unavailable"): allow all. Stat `robotstxt/allow_all_4xx`.
- 5xx or no answer at all (timeout, refused connection, DNS failure — "unreachable"):
  every URL of the host is disallowed for the run. Logged as a warning, counted in
  `robotstxt/host_disallowed_5xx`, and reported per source in the run report as the failure
  kind `robots-unreachable` (with the robots.txt URL as example).
The retry middleware retries a 5xx or timeout `RETRY_TIMES` times before this decides.
Settings: `ROBOTSTXT_OBEY`, `ROBOTSTXT_MAX_SIZE`, `ROBOTSTXT_PARSER`, `ROBOTSTXT_USER_AGENT`.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from crawler.extensions.source_stats import SourceStatsExtension

logger = logging.getLogger(__name__)

DEFAULT_MAX_SIZE = 500 * 1024


class DisallowAll:
    """Parser stand-in for a host whose robots.txt could not be fetched (5xx/unreachable)."""

    def __init__(self, why: str) -> None:
        self.why = why

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        return False

    def crawl_delay(self, user_agent: str | bytes) -> float | None:
        return None


def cap_robots_body(body: bytes, max_size: int) -> bytes:
    """The first `max_size` bytes of `body`, cut after the last complete line."""
    if len(body) <= max_size:
        return body
    head = body[:max_size]
    cut = max(head.rfind(b"\n"), head.rfind(b"\r"))
    return head[: cut + 1] if cut >= 0 else b""


class RobotsPolicyMiddleware(RobotsTxtMiddleware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.max_size = crawler.settings.getint("ROBOTSTXT_MAX_SIZE")
        self._first_request: dict[str, Request] = {}  # netloc -> the request that asked for robots.txt

    def process_request_2(self, rp: Any, request: Request) -> None:
        if isinstance(rp, DisallowAll):
            self._stats.inc_value("robotstxt/forbidden")
            self._stats.inc_value("robotstxt/forbidden_unreachable")
            raise IgnoreRequest(f"{request.url}: {rp.why}")
        super().process_request_2(rp, request)

    def _disallow_host(self, netloc: str, request: Request, why: str) -> None:
        robots_url = f"{request.url.split('://', 1)[0]}://{netloc}/robots.txt"
        message = f"robots.txt {robots_url} {why}: host disallowed for this run (RFC 9309 §2.3.1.4)"
        logger.warning(message)
        self._stats.inc_value("robotstxt/host_disallowed_5xx")
        source = request.meta.get("hc_source", "-")
        sources = self.crawler.get_extension(SourceStatsExtension)
        if sources is not None:
            sources.failure(source, "robots-unreachable", robots_url)
        else:
            self._stats.inc_value(f"source/{source}/failures/robots-unreachable")
        self._resolve(netloc, DisallowAll(message))

    def _resolve(self, netloc: str, parser: Any) -> None:
        pending = self._parsers[netloc]
        self._parsers[netloc] = parser
        if hasattr(pending, "callback"):
            pending.callback(parser)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500:
            self._stats.inc_value("robotstxt/response_count")
            self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
            self._disallow_host(netloc, request, f"answered HTTP {response.status}")
            return
        if 400 <= response.status < 500:
            self._stats.inc_value("robotstxt/response_count")
            self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
            self._stats.inc_value("robotstxt/allow_all_4xx")
            self._resolve(netloc, None)
            return
        body = cap_robots_body(response.body, self.max_size)
        if len(body) < len(response.body):
            self._stats.inc_value("robotstxt/truncated")
            logger.info("robots.txt %s is %d bytes: only the first %d were parsed (ROBOTSTXT_MAX_SIZE)",
                        response.url, len(response.body), len(body))
        await super()._parse_robots(response.replace(body=body), netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, IgnoreRequest):  # refused by our own guards: the request is refused too
            super()._robots_error(exc, netloc)
            return
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        request = self._first_request.get(netloc) or Request(f"http://{netloc}/")
        self._disallow_host(netloc, request, f"unreachable ({type(exc).__name__}: {exc})")

    async def robot_parser(self, request: Request) -> Any:
        self._first_request.setdefault(urlparse_cached(request).netloc, request)
        return await super().robot_parser(request)

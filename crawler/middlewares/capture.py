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

An item's pointer is always a `response` record of its own URL holding the payload: a page
whose payload the archive already holds under the same URL is written as a revisit, but
`meta["hc_capture"]` then names the earlier response record; a payload first stored under
another URL is stored again in full for any page that may become an item (only listing, feed
and sitemap answers are written as revisits of another URL).

Faults (docs/faults.md): a write that fails (disk full, I/O error) cuts the WARC back to its
last whole record, is reported once through `RunState.storage_failed` (one line naming the
file, close reason `store-error`, exit 1) and the response is ignored. A download that fails at
the network level (connection closed mid-body, Content-Length longer than the body, bad
chunking, a garbage or HTTP/0.9 answer, timeouts, refused connections, DNS) is counted per
source as `source/<name>/failures/network:<kind>` with example URLs, after the last retry; a
response Scrapy delivers with the `dataloss` flag (`DOWNLOAD_FAIL_ON_DATALOSS = False`) is
archived with `WARC-Truncated: length` and goes no further (`network:data-loss`). Scrapy's
downloader gives no bytes of a failed download, so those are not archived; the report's
failure kinds say so.

Settings: `ARCHIVE_ENABLED` (default True), `ARCHIVE_REVISITS` (default True),
`HARVEST_CONDITIONAL` (default True), `RETRY_*` (whether a failure is the last attempt).
Stats: `archive/captures`, `archive/revisits`, `archive/bytes`, `archive/truncated`,
`harvest/not_modified`.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    NotConfigured,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.utils.misc import load_object

from crawler.store.capture_index import Stored, payload_digest
from crawler.pages.process import fetched_at
from crawler.extensions.run_state import RunState

CONDITIONAL_KINDS = ("listing", "feed", "sitemap")


def network_failure_kind(exc: BaseException) -> str:
    """A short stable key for a download that failed below HTTP: `bad-chunking` (a chunk size
    that is not a number), `data-loss` (the body ended before its Content-Length or last
    chunk), `bad-response` (a status line that does not parse: garbage, HTTP/0.9),
    `connection-lost` (closed before a whole status line and headers arrived), `timeout`,
    `connection-refused`, `dns`, or `other:<exception class>`."""
    if isinstance(exc, DownloadTimeoutError):
        return "timeout"
    if isinstance(exc, DownloadConnectionRefusedError):
        return "connection-refused"
    if isinstance(exc, CannotResolveHostError):
        return "dns"
    text = " ".join(_causes(exc))
    if "MalformedChunked" in text:
        return "bad-chunking"
    if isinstance(exc, ResponseDataLossError) or "DataLoss" in text:
        return "data-loss"
    if "ParseError" in text or "BadStatusLine" in text:
        return "bad-response"
    if "ConnectionLost" in text or "ConnectionDone" in text or "ResponseFailed" in text \
            or "ResponseNeverReceived" in text:
        return "connection-lost"
    return f"other:{type(exc).__name__}"


def _causes(exc: BaseException) -> list[str]:
    """Class names and messages along the exception's cause chain (Twisted keeps the real
    reason inside `reasons` failures of ResponseFailed / ResponseNeverReceived)."""
    out: list[str] = []
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack and len(out) < 40:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        value = getattr(item, "value", item)   # a twisted Failure holds the exception in .value
        out.append(f"{type(value).__name__}: {value}")
        stack.extend(getattr(value, "reasons", []) or [])
        stack.append(getattr(value, "__cause__", None))
        stack.append(getattr(value, "__context__", None))
    return out


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
        self.retry_enabled = settings.getbool("RETRY_ENABLED")
        self.retry_times = settings.getint("RETRY_TIMES")
        self.retry_exceptions = tuple(load_object(x) if isinstance(x, str) else x
                                      for x in settings.getlist("RETRY_EXCEPTIONS"))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "CaptureMiddleware":
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if request.meta.get("retry_times", 0) >= request.meta.get("max_retry_times", self.retry_times) \
                or not self.retry_enabled:
            # the last attempt: a body cut short arrives (flag `dataloss`) to be archived as
            # WARC-Truncated and counted, instead of failing with nothing kept
            request.meta.setdefault("download_fail_on_dataloss", False)
        if not self.conditional or request.meta.get("hc_kind") not in CONDITIONAL_KINDS:
            return None
        state = RunState.of(self.crawler)
        try:
            known = state.captures.validators(request.url)
        except sqlite3.Error as exc:
            raise IgnoreRequest(state.storage_failed(state.captures.path, exc)) from None
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
        try:
            ref, stored = self._archive(request, response, state, common)
        except OSError as exc:
            raise IgnoreRequest(state.storage_failed(state.writer.current_path or state.warc_dir, exc)) from None
        except sqlite3.Error as exc:
            raise IgnoreRequest(state.storage_failed(state.captures.path, exc)) from None
        if "dataloss" in response.flags:
            self._count_failure(request, "data-loss")
            raise IgnoreRequest(f"network:data-loss: {request.url}: body shorter than announced "
                                f"(archived with WARC-Truncated in {ref.filename} at {ref.offset})")
        if stored is not None and self.conditional and request.meta.get("hc_kind") in CONDITIONAL_KINDS:
            state.captures.remember(request.url, response.headers.get(b"ETag", b"").decode("latin-1") or None,
                                    response.headers.get(b"Last-Modified", b"").decode("latin-1") or None, stored)
        request.meta["hc_capture"] = stored.ref if stored is not None and stored.url == request.url else ref
        request.meta["hc_fetched_at"] = fetched_at(when)
        return response

    def _archive(self, request: Request, response: Response, state: RunState,
                 common: dict[str, Any]) -> tuple[Any, Stored | None]:
        """Write the exchange; returns (the record written, the response record holding the
        payload when there is one)."""
        known = request.meta.get("hc_validators")
        stored: Stored | None = None
        if response.status == 304 and known is not None:
            ref = state.writer.write_revisit(refers_to=known.stored.ref, refers_to_url=known.stored.url,
                                             profile="server-not-modified", **common)
            self.stats.inc_value("harvest/not_modified")
            self.stats.inc_value("archive/revisits")
            return ref, None
        truncated = "length" if "dataloss" in response.flags else None
        digest = payload_digest(response.body)
        hit = (state.captures.find_payload(digest)
               if self.revisits and response.status == 200 and truncated is None else None)
        if hit is not None and hit.url != request.url and request.meta.get("hc_kind") not in CONDITIONAL_KINDS:
            hit = None   # a page that may become an item gets its own response record
        if hit is not None:
            ref = state.writer.write_revisit(refers_to=hit.ref, refers_to_url=hit.url, **common)
            stored = hit
            self.stats.inc_value("archive/revisits")
        else:
            ref = state.writer.write_capture(body=response.body, truncated=truncated, **common)
            self.stats.inc_value("archive/bytes", len(response.body))
            if truncated:
                self.stats.inc_value("archive/truncated")
            elif response.status == 200:
                stored = Stored(request.url, ref)
                state.captures.add_payload(request.url, ref)
        self.stats.inc_value("archive/captures")
        return ref, stored

    def process_exception(self, request: Request, exception: BaseException) -> None:
        """Count a network-level failure per source and kind, once per URL: after its last
        attempt (RetryMiddleware retries the kinds in `RETRY_EXCEPTIONS`)."""
        if isinstance(exception, IgnoreRequest):
            return None
        retries = request.meta.get("retry_times", 0)
        limit = request.meta.get("max_retry_times", self.retry_times)
        retried = (self.retry_enabled and not request.meta.get("dont_retry")
                   and isinstance(exception, self.retry_exceptions) and retries < limit)
        if not retried:
            self._count_failure(request, network_failure_kind(exception))
        return None

    def _count_failure(self, request: Request, kind: str) -> None:
        from crawler.extensions.source_stats import SourceStatsExtension

        source = request.meta.get("hc_source", "-")
        extension = self.crawler.get_extension(SourceStatsExtension)
        if extension is not None:
            extension.failure(source, f"network:{kind}", request.url)
        else:
            self.stats.inc_value(f"source/{source}/failures/network:{kind}")
        self.stats.inc_value(f"network/{kind}")

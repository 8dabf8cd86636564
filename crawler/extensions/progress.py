"""What a person sees while a crawl runs: a live view on a terminal, one line per unreachable host.

`ProgressExtension`: when stderr is a terminal, rewrites one status line every
`PROGRESS_INTERVAL` seconds — pages, items, rate, queue (scheduled + in flight), errors; a
warning or error logged meanwhile is printed above it (the line is cleared first). When stderr
is not a terminal (cron, CI, pipes) nothing is printed here: the log's warnings and errors and
the run's summary are the record. Settings: `PROGRESS_ENABLED`, `PROGRESS_INTERVAL`,
`PROGRESS_FORCE` (plain lines even without a terminal).

`UnreachableHostLog`: a download that fails because the host cannot be reached (DNS lookup
failed, connection refused, timeout, connection lost, TLS failure) is logged once per host, as
one line naming the host, the cause and the first URL, without traceback; the later messages
Scrapy and the middlewares log about that host for the same cause are dropped. Setting:
`LOG_UNREACHABLE_ONCE`.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from typing import Any
from urllib.parse import urlsplit

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

# exception class name -> the cause a person reads
CAUSES = {
    "DNSLookupError": "DNS lookup failed",
    "CannotResolveHostError": "DNS lookup failed",
    "ConnectionRefusedError": "connection refused",
    "DownloadConnectionRefusedError": "connection refused",
    "TimeoutError": "timeout",
    "TCPTimedOutError": "timeout",
    "DownloadTimeoutError": "timeout",
    "UserTimeoutError": "timeout",
    "NoRouteError": "no route to host",
    "ConnectError": "cannot connect",
    "ConnectionLost": "connection lost",
    "ConnectionDone": "connection closed",
    "ResponseNeverReceived": "no response (connection lost)",
    "ResponseFailed": "response failed (connection lost)",
    "DownloadFailedError": "download failed",
    "SSLError": "TLS handshake failed",
    "Error": None,  # too generic (OpenSSL.SSL.Error is matched by module below)
}
_URL = re.compile(r"https?://[^\s<>()\"']+")
_NAMED = re.compile(r"\b(" + "|".join(sorted((n for n, c in CAUSES.items() if c), key=len, reverse=True)) + r")\b")
_MARKERS = tuple(name for name, cause in CAUSES.items() if cause) + (
    "unreachable", "DNS lookup failed", "Connection was refused", "took longer than", "Connection to the other side")


def unreachable_cause(exc: BaseException | None) -> str | None:
    """The cause a person reads ('DNS lookup failed', 'connection refused', 'timeout' …) when
    `exc` (or what it was raised from) means the host could not be reached, else None."""
    seen = 0
    while exc is not None and seen < 5:
        name = type(exc).__name__
        cause = CAUSES.get(name)
        if cause:
            return cause
        if type(exc).__module__.startswith("OpenSSL"):
            return "TLS handshake failed"
        reasons = getattr(exc, "reasons", None)  # ResponseNeverReceived/ResponseFailed wrap Failures
        if reasons:
            inner = getattr(reasons[0], "value", None)
            if isinstance(inner, BaseException) and unreachable_cause(inner):
                return unreachable_cause(inner)
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def _record_exception(record: logging.LogRecord) -> BaseException | None:
    if record.exc_info and isinstance(record.exc_info[1], BaseException):
        return record.exc_info[1]
    args = record.args
    values = args.values() if isinstance(args, dict) else (args or ())
    for value in values:
        if isinstance(value, BaseException):
            return value
        inner = getattr(value, "value", None)  # a twisted Failure
        if isinstance(inner, BaseException):
            return inner
    return None


class UnreachableFilter(logging.Filter):
    """The logging filter behind `UnreachableHostLog` (installed on the root handlers)."""

    def __init__(self) -> None:
        super().__init__()
        self.reported: dict[str, str] = {}  # netloc -> cause

    def filter(self, record: logging.LogRecord) -> bool:
        return self._rewrite(record) if record.levelno >= logging.WARNING else True

    def _rewrite(self, record: logging.LogRecord) -> bool:
        exc = _record_exception(record)
        cause = unreachable_cause(exc)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to judge
            return True
        urls = _URL.findall(message)
        hosts = [urlsplit(u).netloc for u in urls]
        if not hosts:
            return True
        host = hosts[0]
        if cause is None:
            named = _NAMED.search(message)  # the robots policy's line names the exception class
            if named is None or host in self.reported:
                # a follow-up about a host already reported, or nothing about reaching a host
                return host not in self.reported or not any(m in message for m in _MARKERS)
            self.reported[host] = CAUSES[named.group(1)] or "unreachable"
            record.msg, record.args = "%s unreachable: %s (%s)", (host, self.reported[host], message)
            return True
        if record.name == "scrapy.downloadermiddlewares.robotstxt" or (
                record.name.startswith("scrapy.") and urlsplit(urls[0]).path == "/robots.txt"):
            return False  # the robots policy middleware reports it, with what it means for the host
        if host in self.reported:
            return False
        self.reported[host] = cause
        record.msg = "%s unreachable: %s (%s; first failed: %s)"
        record.args = (host, cause, str(exc).strip().rstrip("."), urls[0])
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


class UnreachableHostLog:
    """Installs `UnreachableFilter` on the root log handlers while the spider runs."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("LOG_UNREACHABLE_ONCE"):
            raise NotConfigured("LOG_UNREACHABLE_ONCE is off")
        self.filter = UnreachableFilter()
        self.handlers: list[logging.Handler] = []
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "UnreachableHostLog":
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        for handler in logging.getLogger().handlers:
            if self.filter not in handler.filters:
                handler.addFilter(self.filter)
                self.handlers.append(handler)

    def engine_stopped(self) -> None:
        for handler in self.handlers:
            handler.removeFilter(self.filter)
        self.handlers.clear()


def queue_size(crawler: Crawler) -> int:
    """Requests waiting in the scheduler plus those being downloaded."""
    engine = getattr(crawler, "engine", None)
    if engine is None:
        return 0
    waiting = 0
    scheduler = getattr(engine, "scheduler", None)
    try:
        waiting = len(scheduler) if scheduler is not None else 0  # type: ignore[arg-type]
    except TypeError:  # a scheduler without __len__
        waiting = 0
    active = len(getattr(getattr(engine, "downloader", None), "active", ()) or ())
    return waiting + active


class ProgressExtension:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("PROGRESS_ENABLED"):
            raise NotConfigured("set PROGRESS_ENABLED=True for a progress line")
        self.tty = sys.stderr.isatty()
        self.force = settings.getbool("PROGRESS_FORCE")
        self.crawler = crawler
        self.active = self.tty or self.force  # under cron: stay quiet
        self.interval = settings.getfloat("PROGRESS_INTERVAL")
        self.loop: task.LoopingCall | None = None
        self.started = time.monotonic()
        self.shown = False
        self.log_gate: logging.Filter | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ProgressExtension":
        return cls(crawler)

    def line(self) -> str:
        stats = self.crawler.stats
        pages = stats.get_value("response_received_count", 0)
        items = stats.get_value("item_scraped_count", 0)
        errors = (stats.get_value("log_count/ERROR", 0) + stats.get_value("extract/errors", 0)
                  + stats.get_value("downloader/exception_count", 0))
        dropped = stats.get_value("item_dropped_count", 0)
        seconds = max(time.monotonic() - self.started, 1e-6)
        return (f"pages {pages} · items {items} · not articles/dropped {dropped} · "
                f"{pages / seconds:.1f} pages/s · queue {queue_size(self.crawler)} · errors {errors}")

    def clear(self) -> None:
        """Wipe the status line (before a log message is written under it)."""
        if self.tty and self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False

    def tick(self) -> None:
        if self.tty:
            sys.stderr.write("\r\x1b[K" + self.line())
            self.shown = True
        else:
            sys.stderr.write(self.line() + "\n")
        sys.stderr.flush()

    def spider_opened(self, spider: Spider) -> None:
        if not self.active:
            return
        if self.tty:  # a warning goes above the status line, not into it
            gate = logging.Filter()
            gate.filter = lambda record: (self.clear(), True)[1]  # type: ignore[method-assign]
            self.log_gate = gate
            for handler in logging.getLogger().handlers:
                handler.addFilter(gate)
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider: Spider) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.clear()
        if self.log_gate is not None:
            for handler in logging.getLogger().handlers:
                handler.removeFilter(self.log_gate)

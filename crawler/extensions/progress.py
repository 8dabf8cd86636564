"""Live progress on a terminal; silence under cron.

When stderr is a terminal, rewrites one status line every `PROGRESS_INTERVAL` seconds:
pages, items, rate, errors. When it is not (cron, CI, pipes) nothing is printed here; the
run's summary and the log's warnings and errors are the record. Settings: `PROGRESS_ENABLED`,
`PROGRESS_INTERVAL`, `PROGRESS_FORCE` (print plain lines even without a terminal).
"""

from __future__ import annotations

import sys
import time

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task


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
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ProgressExtension":
        return cls(crawler)

    def line(self) -> str:
        stats = self.crawler.stats
        pages = stats.get_value("response_received_count", 0)
        items = stats.get_value("item_scraped_count", 0)
        errors = stats.get_value("log_count/ERROR", 0) + stats.get_value("extract/errors", 0)
        dropped = stats.get_value("item_dropped_count", 0)
        seconds = max(time.monotonic() - self.started, 1e-6)
        return (f"pages {pages} · items {items} · not articles/dropped {dropped} · "
                f"{pages / seconds:.1f} pages/s · errors {errors}")

    def tick(self) -> None:
        if self.tty:
            sys.stderr.write("\r\x1b[K" + self.line())
        else:
            sys.stderr.write(self.line() + "\n")
        sys.stderr.flush()

    def spider_opened(self, spider: Spider) -> None:
        if not self.active:
            return
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider: Spider) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.tty:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()

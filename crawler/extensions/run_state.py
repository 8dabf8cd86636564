"""Run-state extension: opens the output folder's state when the spider opens and closes it
(WARC files renamed from `.open`, CDXJ index updated, stores flushed) when it closes."""

from __future__ import annotations

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from crawler.state import RunState


class RunStateExtension:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "RunStateExtension":
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        state = RunState.of(self.crawler)
        if self.crawler.settings.getbool("ARCHIVE_ENABLED", True):
            _ = state.writer  # recover leftovers from a crash before the first capture

    def spider_closed(self, spider: Spider, reason: str) -> None:
        RunState.of(self.crawler).close(finished=reason == "finished")

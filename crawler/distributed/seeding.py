"""Seed-once spider middleware: only one worker of a run sends the spider's start requests.

Every worker runs the spider's `start()` (it loads the source specs and sets the per-source
download slots the callbacks rely on), but only the *seeder* chosen by `LeaseBoard.join` passes
the start requests on; the others drop them (stat ``distributed/start_skipped``). When the
seeder's start requests are all queued it marks the run seeded, which the "finished" check
waits for. Enabled by `crawler.distributed.settings.apply_distributed`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler

from crawler.distributed.context import Distributed

logger = logging.getLogger(__name__)


class SeedOnceMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "SeedOnceMiddleware":
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        dist = Distributed.of(self.crawler)
        seeder = dist.role == "seed"
        try:
            async for entry in start:
                if seeder or not isinstance(entry, Request):
                    yield entry
                else:
                    self.crawler.stats.inc_value("distributed/start_skipped")
        finally:
            # also when start() failed (bad spec…): the error is Scrapy's to report, and the run
            # must still be able to finish instead of every worker waiting for a seed forever
            if seeder and dist.board is not None and dist.health.lost is None:
                dist.board.mark_seeded()
                logger.info("distributed: %s queued the start requests of this run", dist.worker_id)

"""What the distributed components of one crawler share: the Redis URL and its health, the
crawl's keys, this worker's id and incarnation, and its role in the run (seeder or joiner).

`Distributed.of(crawler)` builds it once per crawler (like `RunState.of`). Settings:
``REDIS_URL`` (the switch), ``DISTRIBUTED_CRAWL_NAME`` (key prefix ``healthcrawl:<name>``,
default ``default``), ``DISTRIBUTED_WORKER_ID`` (names this worker's WARC files and output
folder; default ``<hostname>-<pid>``), ``DISTRIBUTED_LEASE_TIMEOUT`` (visibility timeout,
default 60 s), ``DISTRIBUTED_RUN_TAG`` (set by the launcher: one tag per launch of workers),
``DISTRIBUTED_HEARTBEAT`` (default 2 s), ``DISTRIBUTED_POLL`` (how often an idle
worker looks at the shared queue, default 0.5 s) and the ``DISTRIBUTED_REDIS_*`` retry settings
of `crawler.distributed.connection`.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from scrapy.crawler import Crawler

from crawler.distributed.connection import RedisHealth, redis_client
from crawler.distributed.keys import CrawlKeys


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Distributed:
    def __init__(self, settings: Any) -> None:
        self.health = RedisHealth.from_settings(settings)
        self.keys = CrawlKeys(settings.get("DISTRIBUTED_CRAWL_NAME") or "default")
        self.worker_id = str(settings.get("DISTRIBUTED_WORKER_ID") or default_worker_id())
        if "#" in self.worker_id or any(c.isspace() for c in self.worker_id):
            raise ValueError(f"DISTRIBUTED_WORKER_ID may not contain '#' or spaces: {self.worker_id!r}")
        self.owner = f"{self.worker_id}#{os.getpid()}-{time.time_ns()}"
        self.lease_timeout = settings.getfloat("DISTRIBUTED_LEASE_TIMEOUT", 60.0)
        self.heartbeat = settings.getfloat("DISTRIBUTED_HEARTBEAT", 2.0)
        self.poll = settings.getfloat("DISTRIBUTED_POLL", 0.5)
        self.run_tag = str(settings.get("DISTRIBUTED_RUN_TAG") or "")
        if not 0 < self.heartbeat < self.lease_timeout:
            raise ValueError(f"DISTRIBUTED_HEARTBEAT ({self.heartbeat}) must be > 0 and below "
                             f"DISTRIBUTED_LEASE_TIMEOUT ({self.lease_timeout})")
        # the near-duplicate check lock of a killed worker must expire well before leases do:
        # a worker waiting for it blocks its reactor, heartbeat included
        self.dedup_lock_timeout = min(10.0, self.lease_timeout / 3)
        self.role: str | None = None  # "seed" or "join", set when the scheduler opens
        self.board: Any = None  # the scheduler's LeaseBoard

    @classmethod
    def of(cls, crawler: Crawler) -> "Distributed":
        found = getattr(crawler, "healthcrawl_distributed", None)
        if found is None:
            found = cls(crawler.settings)
            crawler.healthcrawl_distributed = found  # type: ignore[attr-defined]
        return found

    def client(self) -> Any:
        return redis_client(self.health)

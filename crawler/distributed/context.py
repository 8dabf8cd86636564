"""What the distributed components of one crawler share: the Redis URL and its health, the
crawl's keys, this worker's id and incarnation, and its role in the run (seeder or joiner).

`Distributed.of(crawler)` is the one held by the crawler's `DistributedExtension` (added to
`EXTENSIONS` by the `RedisAddon`), found through `crawler.get_extension`. Settings (defaults in
`crawler/settings.py`): ``REDIS_URL`` (the switch), ``DISTRIBUTED_CRAWL_NAME`` (key prefix
``healthcrawl:<name>``), ``DISTRIBUTED_WORKER_ID`` (names this worker's WARC files and output
folder; set by the add-on to ``<hostname>-<pid>`` when empty), ``DISTRIBUTED_LEASE_TIMEOUT``
(visibility timeout), ``DISTRIBUTED_RUN_TAG`` (set by the launcher: one tag per launch of
workers), ``DISTRIBUTED_HEARTBEAT``, ``DISTRIBUTED_POLL`` (how often an idle worker looks at the
shared queue) and the ``DISTRIBUTED_REDIS_*`` retry settings of `crawler.distributed.connection`.
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
        self.keys = CrawlKeys(settings.get("DISTRIBUTED_CRAWL_NAME"))
        self.worker_id = str(settings.get("DISTRIBUTED_WORKER_ID"))  # set by the RedisAddon when empty
        if "#" in self.worker_id or any(c.isspace() for c in self.worker_id):
            raise ValueError(f"DISTRIBUTED_WORKER_ID may not contain '#' or spaces: {self.worker_id!r}")
        self.owner = f"{self.worker_id}#{os.getpid()}-{time.time_ns()}"
        self.lease_timeout = settings.getfloat("DISTRIBUTED_LEASE_TIMEOUT")
        self.heartbeat = settings.getfloat("DISTRIBUTED_HEARTBEAT")
        self.poll = settings.getfloat("DISTRIBUTED_POLL")
        self.run_tag = str(settings.get("DISTRIBUTED_RUN_TAG"))
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
        """The crawler's shared distributed state (its `DistributedExtension` must be enabled)."""
        extension = crawler.get_extension(DistributedExtension)
        if extension is None:
            raise RuntimeError("distributed mode without its extension: set REDIS_URL so that "
                               "crawler.distributed.addon.RedisAddon (ADDONS) enables it")
        return extension.dist

    def client(self) -> Any:
        return redis_client(self.health)


class DistributedExtension:
    """Holds one worker's `Distributed` state for its components (scheduler, seeding, stores)."""

    def __init__(self, crawler: Crawler) -> None:
        self.dist = Distributed(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "DistributedExtension":
        return cls(crawler)

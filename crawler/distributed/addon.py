"""The Redis switch, as a Scrapy add-on: `REDIS_URL` set → the crawl is shared through Redis.

`RedisAddon` is listed in `ADDONS` (`crawler/settings.py`) and does nothing while `REDIS_URL`
is unset. With it set, `update_settings` swaps, and only swaps, the shared parts:

- ``SCHEDULER`` → `crawler.distributed.scheduler.LeasedScheduler` (scrapy-redis queue with
  leases), ``DUPEFILTER_CLASS`` → scrapy-redis's ``RFPDupeFilter``, ``SCHEDULER_PERSIST`` = True,
  ``SCHEDULER_QUEUE_CLASS`` → scrapy-redis's priority queue unless a scrapy-redis one is set;
- ``DEDUP_SEEN_STORE_CLASS`` → `crawler.distributed.seen_store.RedisSeenStore`, ``DEDUP_INDEX_CLASS`` →
  `crawler.distributed.dedup_index.RedisDedupIndex` (built by `crawler.extensions.run_state`);
- the seed-once spider middleware (only one worker sends the start requests) and the
  `DistributedExtension` that holds the worker's shared state (`Distributed.of(crawler)`);
- ``DISTRIBUTED_WORKER_ID`` (default ``<hostname>-<pid>``) and ``ARCHIVE_HOST_TAG`` → the worker
  id, so WARC file names are unique per worker.

Without ``REDIS_URL`` nothing changes: Scrapy's memory scheduler, SQLite seen-store and index.
The ``DISTRIBUTED_*`` defaults are in `crawler/settings.py` like every other default.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from crawler.distributed.context import DistributedExtension, default_worker_id
from crawler.distributed.seeding import SeedOnceMiddleware

# What distributed mode replaces, at the priority of a command-line setting (the defaults they
# replace are project settings; a user's own `-s` for them is not overridden, see below).
SWITCHED: dict[str, Any] = {
    "SCHEDULER": "crawler.distributed.scheduler.LeasedScheduler",
    "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
    "SCHEDULER_PERSIST": True,
    "DEDUP_SEEN_STORE_CLASS": "crawler.distributed.seen_store.RedisSeenStore",
    "DEDUP_INDEX_CLASS": "crawler.distributed.dedup_index.RedisDedupIndex",
    # announced sitemap articles go to the shared queue as they are read (any worker may take them)
    "CRAWL_SITEMAP_BATCH": 0,
}


def is_distributed(settings: Any) -> bool:
    return bool(settings.get("REDIS_URL"))


class RedisAddon:
    """Scrapy add-on: distributed mode when ``REDIS_URL`` is set (see the module docstring)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "RedisAddon":
        return cls()

    def update_settings(self, settings: BaseSettings) -> None:
        apply_distributed(settings)


def apply_distributed(settings: BaseSettings) -> None:
    """Switch `settings` (mutable) to distributed mode if ``REDIS_URL`` is set; else nothing."""
    if not is_distributed(settings):
        return
    for name, value in SWITCHED.items():
        settings.set(name, value, priority="cmdline")
    queue = settings.get("SCHEDULER_QUEUE_CLASS")
    if not (isinstance(queue, str) and queue.startswith("scrapy_redis.")):
        settings.set("SCHEDULER_QUEUE_CLASS", "scrapy_redis.queue.PriorityQueue", priority="cmdline")
    if not settings.get("DISTRIBUTED_WORKER_ID"):
        settings.set("DISTRIBUTED_WORKER_ID", default_worker_id(), priority="cmdline")
    if not settings.get("ARCHIVE_HOST_TAG"):
        settings.set("ARCHIVE_HOST_TAG", settings.get("DISTRIBUTED_WORKER_ID"), priority="cmdline")
    settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", SeedOnceMiddleware, 10)
    settings.set_in_component_priority_dict("EXTENSIONS", DistributedExtension, 1)

"""The one switch: `REDIS_URL` set → the crawl is shared through Redis.

`apply_distributed(settings)` is called by `crawler.runs.harvest.build_settings`; when ``REDIS_URL``
is set it swaps, and only swaps, the shared parts:

- ``SCHEDULER`` → `crawler.distributed.scheduler.LeasedScheduler` (scrapy-redis queue with
  leases), ``DUPEFILTER_CLASS`` → scrapy-redis's ``RFPDupeFilter``, ``SCHEDULER_PERSIST`` = True,
  ``SCHEDULER_QUEUE_CLASS`` → scrapy-redis's priority queue;
- the seed-once spider middleware (only one worker sends the start requests);
- ``ARCHIVE_HOST_TAG`` → the worker id, so WARC file names are unique per worker;
- `crawler.extensions.run_state.RunState` then picks the Redis seen-store and near-duplicate index (it reads
  ``REDIS_URL`` itself).

Without ``REDIS_URL`` nothing changes: Scrapy's memory scheduler, SQLite seen-store and index.
"""

from __future__ import annotations

from typing import Any

from crawler.distributed.context import default_worker_id

DISTRIBUTED_DEFAULTS: dict[str, Any] = {
    "DISTRIBUTED_CRAWL_NAME": "default",
    "DISTRIBUTED_LEASE_TIMEOUT": 60.0,
    "DISTRIBUTED_HEARTBEAT": 2.0,
    "DISTRIBUTED_POLL": 0.5,
    "DISTRIBUTED_REDIS_RETRIES": 6,
    "DISTRIBUTED_REDIS_BACKOFF": 0.5,
    "DISTRIBUTED_REDIS_BACKOFF_MAX": 8.0,
    "DISTRIBUTED_REDIS_TIMEOUT": 10.0,
}


def is_distributed(settings: Any) -> bool:
    return bool(settings.get("REDIS_URL"))


def apply_distributed(settings: Any) -> None:
    """Switch `settings` (a mutable Scrapy `Settings`) to distributed mode if REDIS_URL is set."""
    if not is_distributed(settings):
        return
    for key, value in DISTRIBUTED_DEFAULTS.items():
        if settings.get(key) is None:
            settings.set(key, value, priority="default")
    if not settings.get("DISTRIBUTED_WORKER_ID"):
        settings.set("DISTRIBUTED_WORKER_ID", default_worker_id(), priority="cmdline")
    settings.set("SCHEDULER", "crawler.distributed.scheduler.LeasedScheduler", priority="cmdline")
    settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", priority="cmdline")
    settings.set("SCHEDULER_PERSIST", True, priority="cmdline")
    if not (settings.get("SCHEDULER_QUEUE_CLASS") or "").startswith("scrapy_redis."):
        settings.set("SCHEDULER_QUEUE_CLASS", "scrapy_redis.queue.PriorityQueue", priority="cmdline")
    if not settings.get("ARCHIVE_HOST_TAG"):
        settings.set("ARCHIVE_HOST_TAG", settings.get("DISTRIBUTED_WORKER_ID"), priority="cmdline")
    middlewares = dict(settings.getdict("SPIDER_MIDDLEWARES"))
    middlewares["crawler.distributed.seeding.SeedOnceMiddleware"] = 10
    settings.set("SPIDER_MIDDLEWARES", middlewares, priority="cmdline")

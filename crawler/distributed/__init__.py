"""Distributed mode: several crawler processes, on one or more machines, share one crawl
through Redis. Switched on by the setting ``REDIS_URL`` (``--redis-url``); without it nothing
here is imported and the single-process crawl is unchanged.

- `settings` — `apply_distributed`: the one switch (scheduler, dupefilter, seeding, WARC tag)
- `connection` — Redis clients with bounded, logged retries; Redis-lost signal; start-up check
- `keys` — the Redis keys of a crawl (``healthcrawl:<crawl>:…``)
- `lease` — leases on the shared queue: nothing lost when a worker dies (the mechanism)
- `scheduler` — scrapy-redis scheduler with leases, idle handling and a clean stop without Redis
- `seeding` — only one worker per run sends the start requests
- `engine_hooks` — the two reads of Scrapy engine internals the leases need
- `dedup_index` — the near-duplicate index in Redis (the seen-store is `crawler.distributed.seen_store`)
- `context` — per-crawler state: worker id, incarnation, role, Redis health
- `worker`, `launcher` — ``--workers N``: N worker processes and one combined summary

How to run it, where files go and what Redis holds: ``README_SECTION.md`` (in the README).
"""

"""The Redis keys of one distributed crawl, all under ``healthcrawl:<crawl name>:``.

The crawl name is the setting ``DISTRIBUTED_CRAWL_NAME`` (the CLI sets ``demo``, ``crawl`` or
``harvest`` unless given with ``-s``). Two crawls with two names share nothing in one Redis.

| key                         | type        | holds                                                     |
|-----------------------------|-------------|-----------------------------------------------------------|
| ``<p>:requests``            | sorted set  | the scrapy-redis request queue (score = -priority)        |
| ``<p>:dupefilter``          | set         | request fingerprints of the current run                   |
| ``<p>:processing:<owner>``  | hash        | requests a worker holds: token → "score payload"          |
| ``<p>:workers``             | sorted set  | worker incarnations → last heartbeat (Redis server time)  |
| ``<p>:run``                 | hash        | current run: id, seeder, seeded (0/1)                     |
| ``<p>:seen``                | hash        | article seen-store: canonical URL → "item_id\\tfetched_at" |
| ``<p>:dedup:*``             | various     | near-duplicate index (`crawler.distributed.dedup_index`)  |
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CrawlKeys:
    crawl: str

    def __post_init__(self) -> None:
        if not self.crawl or any(c.isspace() for c in self.crawl):
            raise ValueError(f"DISTRIBUTED_CRAWL_NAME must be a non-empty word, got {self.crawl!r}")

    @property
    def prefix(self) -> str:
        return f"healthcrawl:{self.crawl}"

    @property
    def requests(self) -> str:
        return f"{self.prefix}:requests"

    @property
    def dupefilter(self) -> str:
        return f"{self.prefix}:dupefilter"

    @property
    def processing_prefix(self) -> str:
        return f"{self.prefix}:processing:"

    def processing(self, owner: str) -> str:
        return self.processing_prefix + owner

    @property
    def workers(self) -> str:
        return f"{self.prefix}:workers"

    @property
    def run(self) -> str:
        return f"{self.prefix}:run"

    @property
    def seen(self) -> str:
        return f"{self.prefix}:seen"

    @property
    def dedup(self) -> str:
        return f"{self.prefix}:dedup"

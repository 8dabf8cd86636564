"""Redis-backed seen-store for distributed crawls (same `SeenStore` protocol as SQLite).

`RedisSeenStore(client, key="healthcrawl:seen")` keeps one Redis hash: field = canonical URL,
value = ``"<item_id or empty>\\t<fetched_at>"``. `add` uses HSETNX, so the first fetch wins
as in `SqliteSeenStore`. Adds are buffered in a pipeline and sent every `commit_every` adds and
on `flush()`/`close()`; durability after that is Redis's own (AOF/RDB settings).

Named by ``DEDUP_SEEN_STORE_CLASS`` when ``REDIS_URL`` is set (the `RedisAddon`) and built by
`crawler.extensions.run_state.RunState` through `from_crawler`, with key
``healthcrawl:<DISTRIBUTED_CRAWL_NAME>:seen`` and a client from `crawler.distributed.connection`
(bounded, logged retries). A `flush()` that fails drops the batch it was sending: those URLs are
recorded again when their requests, still leased, are re-done (see `crawler.distributed.lease`).
Needs the ``redis`` package.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["RedisSeenStore"]


class RedisSeenStore:
    """Seen-store in a Redis hash (see module docstring)."""

    def __init__(self, client: Any, *, key: str = "healthcrawl:seen", commit_every: int = 1000) -> None:
        if commit_every < 1:
            raise ValueError(f"commit_every must be >= 1, got {commit_every}")
        self._client = client
        self.key = key
        self._commit_every = commit_every
        self._pipe = client.pipeline(transaction=False)
        self._pending = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> RedisSeenStore:
        """The crawl's shared store: its Redis client and key (`Distributed.of(crawler)`)."""
        from crawler.distributed.context import Distributed

        dist = Distributed.of(crawler)
        return cls(dist.client(), key=dist.keys.seen, commit_every=crawler.settings.getint("DEDUP_COMMIT_EVERY"))

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisSeenStore:
        import redis

        return cls(redis.Redis.from_url(url), **kwargs)

    def has(self, url: str) -> bool:
        self.flush()  # an add still in the pipeline must be visible
        return bool(self._client.hexists(self.key, url))

    def get(self, url: str) -> tuple[str | None, str] | None:
        """(item_id, fetched_at) recorded for `url`, or None. Not part of the protocol."""
        self.flush()
        raw = self._client.hget(self.key, url)
        if raw is None:
            return None
        item_id, _, fetched_at = raw.decode("utf-8").partition("\t")
        return (item_id or None, fetched_at)

    def add(self, url: str, item_id: str | None, fetched_at: str) -> None:
        self.add_many(((url, item_id, fetched_at),))

    def add_many(self, entries: Iterable[tuple[str, str | None, str]]) -> None:
        for url, item_id, fetched_at in entries:
            if not url:
                raise ValueError("seen-store: empty URL")
            self._pipe.hsetnx(self.key, url, f"{item_id or ''}\t{fetched_at}")
            self._pending += 1
            if self._pending >= self._commit_every:
                self.flush()

    def flush(self) -> None:
        if self._pending:
            try:
                self._pipe.execute()
            finally:  # redis-py empties the pipeline either way
                self._pending = 0

    def __len__(self) -> int:
        self.flush()
        return int(self._client.hlen(self.key))

    def close(self) -> None:
        self.flush()
        self._client.close()

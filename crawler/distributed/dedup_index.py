"""The near-duplicate index in Redis: what `crawler.dedup.index.DedupIndex` keeps in SQLite,
shared by every worker of a distributed crawl.

`RedisDedupIndex(client, prefix, params)` offers the methods `Deduplicator` calls on
`DedupIndex` (member, by_content, candidates, item_id_of, ranked, cluster_ranked,
cluster_cites, canonical_and_cites, relinks_after, add_member, add_bands, move, commit, close, clusters, len) plus
`exclusive()`, a Redis lock the `Deduplicator` holds around each
check-and-record, so two workers checking two copies of one story at the same moment cannot
both find "nothing yet" and both become canonical. Writes are sent at once (not batched):
another worker must see a member as soon as the lock is released.

Keys under ``<prefix>`` (``healthcrawl:<crawl>:dedup``):
``:meta`` hash of the signature parameters and the index ``uid`` (a crawl reopened with other
``DEDUP_*`` values or an older schema raises ValueError, as with SQLite); ``:next`` member id
counter; ``:ids`` hash item id → member id; ``:m`` hash member id → JSON [item_id, canonical
id, kind, similarity, content key, site, published, url, title, signature hex, rank, cites];
``:content`` hash content key → first member id; ``:b:<band key>`` set of member ids per LSH
band; ``:c:<canonical id>`` set of the member ids of that cluster (none for a cluster of one)
and ``:k:<canonical id>`` set of the outlet keys its members name (so moving a canonical
touches that cluster only); ``:relinks`` list of JSON [item_id, duplicate_of], the outbox of
link changes (``seq`` = list position + 1), which every worker copies into its own
``items.jsonl`` (`crawler.dedup.links`); ``:lock`` the check lock.
The canonical of a cluster is picked by `crawler.dedup.canonical` from its members, exactly as
with SQLite, so which worker got to a copy first does not matter. A move is one MULTI/EXEC
transaction: a worker dying mid-check leaves the old links or the new ones.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from redis.exceptions import LockNotOwnedError

from crawler.dedup.canonical import Ranked
from crawler.dedup.index import KIND_CODES, KIND_NAMES, StoredMember

logger = logging.getLogger(__name__)

__all__ = ["RedisDedupIndex"]

SCHEMA_VERSION = "2"


class RedisDedupIndex:
    """Redis storage behind `Deduplicator` (see module docstring for the keys)."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> "RedisDedupIndex":
        """The crawl's shared index (named by ``DEDUP_INDEX_CLASS`` in distributed mode): its
        Redis client and keys (`Distributed.of(crawler)`), pinned to the ``DEDUP_*`` parameters."""
        from crawler.dedup.options import DedupSettings
        from crawler.distributed.context import Distributed

        dist = Distributed.of(crawler)
        return cls(dist.client(), dist.keys.dedup, DedupSettings.from_scrapy(crawler.settings).index_params(),
                   lock_timeout=dist.dedup_lock_timeout)

    def __init__(self, client: Any, prefix: str, params: dict[str, int], *, lock_timeout: float = 10.0) -> None:
        """`lock_timeout`: the check lock expires after this many seconds if its holder dies; keep it
        well below the lease timeout (a worker waiting for the lock cannot beat its heartbeat)."""
        self.client = client
        self.prefix = prefix
        self.path = f"redis key {prefix}"  # named in error messages, like DedupIndex.path
        self._lock = client.lock(f"{prefix}:lock", timeout=lock_timeout, sleep=0.002,
                                 blocking_timeout=lock_timeout * 2)
        wanted = {**{k: str(v) for k, v in params.items()}, "schema": SCHEMA_VERSION}
        client.hsetnx(f"{prefix}:meta", "uid", uuid.uuid4().hex)
        self.uid = client.hget(f"{prefix}:meta", "uid").decode()
        if wanted:
            client.hsetnx(f"{prefix}:meta", "schema", SCHEMA_VERSION)
            for key, value in wanted.items():
                client.hsetnx(f"{prefix}:meta", key, value)
            stored = {k.decode(): v.decode() for k, v in client.hgetall(f"{prefix}:meta").items()}
            for key, value in wanted.items():
                if stored.get(key) != value:
                    raise ValueError(f"{self.path}: built with {key}={stored.get(key)}, settings ask for "
                                     f"{key}={value}; use another DISTRIBUTED_CRAWL_NAME or the same dedup settings")

    # -- locking ----------------------------------------------------------------------------
    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Held by `Deduplicator.check`: one check-and-record at a time across all workers."""
        if not self._lock.acquire():
            raise TimeoutError(f"{self.path}: could not take the dedup lock")
        try:
            yield
        finally:
            try:
                self._lock.release()
            except LockNotOwnedError:  # held past its expiry (e.g. Redis retries mid-check): already free
                logger.warning("%s: the dedup lock expired during a check (longer than %.0f s)", self.path,
                               self._lock.timeout)

    # -- reads ------------------------------------------------------------------------------
    def _row(self, member_id: int) -> list[Any] | None:
        raw = self.client.hget(f"{self.prefix}:m", member_id)
        return None if raw is None else json.loads(raw)

    def _stored(self, member_id: int, row: list[Any], root_item: str | None = None) -> StoredMember:
        canonical = int(row[1])
        if root_item is None:
            root = row if canonical == member_id else self._row(canonical)
            root_item = str(root[0]) if root else str(row[0])
        return StoredMember(id=member_id, item_id=row[0], canonical_item_id=root_item, kind=KIND_NAMES[row[2]],
                            similarity=row[3], site=row[5], published=row[6], url=row[7], title=row[8])

    def member(self, item_id: str) -> StoredMember | None:
        raw = self.client.hget(f"{self.prefix}:ids", item_id)
        if raw is None:
            return None
        row = self._row(int(raw))
        return None if row is None else self._stored(int(raw), row)

    def by_content(self, content_key: int) -> tuple[int, int, str] | None:
        raw = self.client.hget(f"{self.prefix}:content", content_key)
        if raw is None:
            return None
        row = self._row(int(raw))
        if row is None:
            return None
        canonical = int(row[1])
        return int(raw), canonical, self.item_id_of(canonical)

    def candidates(self, keys: Sequence[int]) -> list[tuple[int, int, bytes]]:
        if not keys:
            return []
        ids = sorted({int(i) for i in self.client.sunion([f"{self.prefix}:b:{k}" for k in keys])})
        if not ids:
            return []
        rows = self.client.hmget(f"{self.prefix}:m", ids)
        found = []
        for member_id, raw in zip(ids, rows, strict=True):
            if raw is None:
                continue
            row = json.loads(raw)
            if row[9] is not None:
                found.append((member_id, int(row[1]), bytes.fromhex(row[9])))
        return found

    def item_id_of(self, member_id: int) -> str:
        row = self._row(member_id)
        if row is None:
            raise KeyError(f"{self.path}: no member with id {member_id}")
        return str(row[0])

    def ranked(self, member_id: int) -> Ranked:
        row = self._row(member_id)
        if row is None:
            raise KeyError(f"{self.path}: no member with id {member_id}")
        return _ranked(member_id, row)

    def _cluster_ids(self, canonical_id: int) -> list[int]:
        """Member ids of a cluster; a cluster of one has no set (saves a key per singleton)."""
        ids = {int(i) for i in self.client.smembers(f"{self.prefix}:c:{canonical_id}")}
        return sorted(ids or {canonical_id})

    def cluster_ranked(self, canonical_id: int) -> list[Ranked]:
        ids = self._cluster_ids(canonical_id)
        rows = self.client.hmget(f"{self.prefix}:m", ids)
        return [_ranked(i, json.loads(raw)) for i, raw in zip(ids, rows, strict=True) if raw is not None]

    def canonical_and_cites(self, canonical_id: int) -> tuple[Ranked, frozenset[str]]:
        return self.ranked(canonical_id), self.cluster_cites(canonical_id)

    def cluster_cites(self, canonical_id: int) -> frozenset[str]:
        return frozenset(k.decode() for k in self.client.smembers(f"{self.prefix}:k:{canonical_id}"))

    def relinks_after(self, seq: int, limit: int = 10_000) -> list[tuple[int, str, str | None]]:
        raws = self.client.lrange(f"{self.prefix}:relinks", seq, seq + limit - 1)
        found = []
        for n, raw in enumerate(raws, start=seq + 1):
            item_id, dup = json.loads(raw)
            found.append((n, str(item_id), dup))
        return found

    def clusters(self, min_size: int) -> list[tuple[StoredMember, list[StoredMember]]]:
        """(canonical, members: canonical first, then processing order) of clusters with ≥ min_size
        members, largest first."""
        groups: dict[int, list[tuple[int, list[Any]]]] = {}
        for raw_id, raw in self.client.hscan_iter(f"{self.prefix}:m", count=1000):
            row = json.loads(raw)
            groups.setdefault(int(row[1]), []).append((int(raw_id), row))
        result = []
        for root_id, rows in sorted(groups.items(), key=lambda g: (-len(g[1]), g[0])):
            if len(rows) < min_size:
                continue
            rows.sort(key=lambda r: (r[0] != root_id, r[0]))
            root_item = next((str(r[0]) for i, r in rows if i == root_id), None) or self.item_id_of(root_id)
            members = [self._stored(i, r, root_item) for i, r in rows]
            result.append((members[0], members))
        return result

    def __len__(self) -> int:
        return int(self.client.hlen(f"{self.prefix}:m"))

    # -- writes -----------------------------------------------------------------------------
    def add_member(self, item_id: str, *, canonical_id: int | None, kind: str, similarity: float | None,
                   content_key: int | None, site: str | None, published: str | None, url: str | None,
                   title: str | None, sig: bytes | None, rank: str = "", cites: str | None = None) -> int:
        member_id = int(self.client.incr(f"{self.prefix}:next"))
        root = member_id if canonical_id is None else canonical_id
        row = [item_id, root, KIND_CODES[kind], similarity, content_key, site, published, url, title,
               sig.hex() if sig is not None else None, rank, cites]
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(f"{self.prefix}:m", member_id, json.dumps(row, ensure_ascii=False))
        pipe.hset(f"{self.prefix}:ids", item_id, member_id)
        if canonical_id is not None:   # joins a cluster: its set holds the canonical too
            pipe.sadd(f"{self.prefix}:c:{root}", root, member_id)
        if cites:
            pipe.sadd(f"{self.prefix}:k:{root}", *cites.split("|"))
        if content_key is not None:
            pipe.hsetnx(f"{self.prefix}:content", content_key, member_id)
        pipe.execute()
        return member_id

    def move(self, from_canonical: int, to_member: int, skip: int | None = None) -> int:
        """Point every member of the cluster of `from_canonical` at `to_member` and queue a relink
        for each (but `skip`), in one transaction. Returns how many members moved."""
        if from_canonical == to_member:
            return 0
        p = self.prefix
        ids = self._cluster_ids(from_canonical)
        rows = self.client.hmget(f"{p}:m", ids)
        target = self.item_id_of(to_member)
        pipe = self.client.pipeline(transaction=True)
        relinks = []
        for member_id, raw in zip(ids, rows, strict=True):
            if raw is None:
                continue
            row = json.loads(raw)
            row[1] = to_member
            pipe.hset(f"{p}:m", member_id, json.dumps(row, ensure_ascii=False))
            if member_id != skip:
                relinks.append(json.dumps([row[0], None if member_id == to_member else target], ensure_ascii=False))
        pipe.sadd(f"{p}:c:{to_member}", to_member, *ids)
        pipe.sunionstore(f"{p}:k:{to_member}", [f"{p}:k:{to_member}", f"{p}:k:{from_canonical}"])
        pipe.delete(f"{p}:c:{from_canonical}", f"{p}:k:{from_canonical}")
        if relinks:
            pipe.rpush(f"{p}:relinks", *relinks)
        pipe.execute()
        return len(ids)

    def add_bands(self, member_id: int, keys: Sequence[int]) -> None:
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.sadd(f"{self.prefix}:b:{key}", member_id)
        pipe.execute()

    def commit(self) -> None:
        """Nothing to do: every write was sent when it was made."""

    def close(self) -> None:
        self.client.close()


def _ranked(member_id: int, row: list[Any]) -> Ranked:
    return Ranked(member_id, row[5], str(row[10]) if len(row) > 10 and row[10] else "",
                  row[11] if len(row) > 11 else None, str(row[0]))

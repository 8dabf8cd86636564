"""Deduplication facade used by the item pipeline and by replay: URL, exact and near-duplicates.

`Deduplicator(directory, settings).check(item_id, canonical_url, text, content_hash, ...)`
returns a `DedupVerdict` and records the item, in this order:

1. **same-id** — the item id (sha1 of the canonical URL) was checked before, in this run or an
   earlier one: its current link is returned (the canonical of its cluster now). Replaying the
   same WARCs twice into the same folder therefore produces the same links.
2. **exact** — an earlier item has the same content hash (sha1 of the whitespace-free text).
3. **near** — MinHash LSH (`crawler.dedup.minhash`) finds earlier items sharing a band; each
   candidate is verified by the Jaccard similarity estimated from its stored signature, and
   *every* candidate with similarity ≥ ``threshold`` links: the item joins their clusters, and
   clusters it bridges are merged. A cluster is thus a connected component of the "same text
   or similar enough" relation over all items checked — the same set whatever the order.
4. **new** — none of the above: the item is the root of a new cluster.

Which copy is canonical: **the original**, decided by `crawler.dedup.canonical.pick_canonical`
over the cluster's members — a member from an outlet that a member names as its origin
(来源：人民网, 转载自…), else the earliest published, then the earliest fetched, then the smallest
canonical URL (details in that module and ``docs/dedup.md``). It is a pure function of the
members, so the links do not depend on processing order, pool size, worker count or how the
work was split into runs. Every other member gets ``duplicate_of`` = the canonical (never a
chain: every cluster is a star). When a new item is more original than its cluster's
canonical, or bridges two clusters, the canonical moves: the index re-points the members and
queues one relink record per member whose link changed; `commit()` copies them into the
items file (`crawler.dedup.links`) when the facade was given one (``items_file``). The usual
case — a repost joining a cluster — compares the new item with the current canonical only;
cost grows with what changed (members re-pointed), never with the size of the archive.

Texts with fewer than ``min_text_chars`` letters/digits are recorded as "new" and never
linked (a bare "详见附件" page must not swallow every other bare page).

Settings (`DedupSettings`, Scrapy ``DEDUP_*`` via `DedupSettings.from_scrapy`):
``DEDUP_SHINGLE_SIZE`` (5 characters), ``DEDUP_NUM_PERM`` (128), ``DEDUP_THRESHOLD`` (0.7,
estimated Jaccard of 5-character shingles; chosen on the bench corpus), ``DEDUP_BANDS`` /
``DEDUP_ROWS`` (derived from the threshold when unset), ``DEDUP_DROP_REPOSTS`` (False: keep
duplicates and mark them; True: the pipeline drops them — a dropped copy that later proves
to be the original is still the canonical its cluster's links name), ``DEDUP_MIN_TEXT_CHARS``
(50), ``DEDUP_COMMIT_EVERY`` (1000 items per transaction).

State in the output folder: ``dedup.sqlite`` (`crawler.dedup.index`) and the URL seen-store
``seen.sqlite`` (`crawler.dedup.seen`). Both are committed together, the index first, so after
a crash the seen-store never holds a URL whose dedup record was lost; relink records follow
the index's commit.
"""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from crawler.dedup.canonical import Ranked, origins_of, pick_canonical, rank_key, sort_key
from crawler.dedup.index import INDEX_FILENAME, DedupIndex
from crawler.dedup.links import RelinkWriter
from crawler.dedup.minhash import (
    MinHasher,
    band_keys,
    compact,
    estimate_jaccard,
    normalise_for_shingling,
)
from crawler.dedup.options import DedupSettings
from crawler.dedup.seen import SEEN_FILENAME, SeenStore, SqliteSeenStore

__all__ = ["DedupSettings", "DedupVerdict", "Deduplicator", "Cluster", "ClusterMember",
           "INDEX_FILENAME", "SEEN_FILENAME", "ITEMS_FILENAME"]

ITEMS_FILENAME = "items.jsonl"   # the store's default (STORE_ITEMS_FILE): where relink records go

VerdictKind = Literal["new", "same-id", "exact", "near"]


@dataclass(frozen=True)
class DedupVerdict:
    """What `Deduplicator.check` found: the canonical item id (None if this item is canonical)."""

    duplicate_of: str | None
    kind: VerdictKind
    similarity: float | None = None


@dataclass(frozen=True)
class ClusterMember:
    item_id: str
    kind: str                   # how it was linked when checked: "new", "exact" or "near"
    similarity: float | None
    site: str | None
    published: str | None
    url: str | None
    title: str | None


@dataclass(frozen=True)
class Cluster:
    """A canonical item and its reposts: members[0] is the canonical, the rest in processing order."""

    canonical_id: str
    members: list[ClusterMember] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.members)


def _content_key(content_hash: str, item_id: str) -> int:
    try:
        return int.from_bytes(bytes.fromhex(content_hash[:16]), "big", signed=True)
    except ValueError:
        pass
    raise ValueError(f"item {item_id}: content_hash must be hex (sha1), got {content_hash!r}")


_UNSET: Any = object()   # no precomputed signature


class Deduplicator:
    """One output folder's dedup state; see module docstring for the rules."""

    def __init__(self, directory: Path, settings: DedupSettings | None = None, *,
                 seen_store: SeenStore | None = None, index: Any = None,
                 items_file: Path | str | None = ITEMS_FILENAME) -> None:
        """`index`: an object with `DedupIndex`'s methods (e.g. the Redis index of a
        distributed crawl); default the SQLite `dedup.sqlite` in `directory`. An index with an
        `exclusive()` context manager is held around each check-and-record. `items_file`: the
        JSON-lines file the checked items go to (relative: in `directory`; default the store's
        ``items.jsonl``); relink records are appended there after each commit (None: they stay
        queued in the index)."""
        self.directory = Path(directory)
        self.settings = settings or DedupSettings()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._hasher = MinHasher(self.settings.shingle_size, self.settings.num_perm)
        self._index = index if index is not None else DedupIndex(self.directory / INDEX_FILENAME,
                                                                  self.settings.index_params())
        self.seen: SeenStore = seen_store if seen_store is not None else SqliteSeenStore(
            self.directory / SEEN_FILENAME, commit_every=self.settings.commit_every
        )
        self._pending = 0
        self._relinks = RelinkWriter(self.directory / items_file) if items_file is not None else None
        self.moved = 0   # members re-pointed to a new canonical by this facade's checks

    def check(self, item_id: str, canonical_url: str, text: str, content_hash: str, *,
              site: str, published: str | None, url: str, title: str | None = None,
              fetched_at: str | None = None, minhash: Any = None, source: str | None = None) -> DedupVerdict:
        """Classify an item against everything recorded before, then record it. `minhash`:
        `(MinHasher.key, signature bytes or None)` computed elsewhere (an extraction worker);
        used when the key is this hasher's, otherwise the signature is computed here. `source`:
        the item's 来源 field (a named origin for the canonical rule)."""
        exclusive = getattr(self._index, "exclusive", None)
        signature: Any = _UNSET
        if minhash is not None and minhash[0] == self._hasher.key:
            signature = None if minhash[1] is None else np.frombuffer(minhash[1], dtype=np.uint32)
        with exclusive() if exclusive is not None else nullcontext():
            return self._check(item_id, canonical_url, text, content_hash, site=site, published=published,
                               url=url, title=title, fetched_at=fetched_at, signature=signature, source=source)

    def _check(self, item_id: str, canonical_url: str, text: str, content_hash: str, *,
               site: str, published: str | None, url: str, title: str | None,
               fetched_at: str | None, signature: Any = _UNSET, source: str | None = None) -> DedupVerdict:
        if not item_id:
            raise ValueError(f"dedup: empty item id for {url!r}")
        known = self._index.member(item_id)
        if known is not None:
            dup = None if known.canonical_item_id == item_id else known.canonical_item_id
            return DedupVerdict(dup, "same-id", known.similarity)

        s = self.settings
        assert s.bands is not None and s.rows is not None
        normalised = normalise_for_shingling(text)
        linkable = len(normalised) >= s.min_text_chars
        kind: VerdictKind = "new"
        similarity: float | None = None
        roots: dict[int, None] = {}          # canonical ids of the clusters this item links to
        key: int | None = None
        sig_blob: bytes | None = None
        bands: list[int] = []
        cites: str | None = None
        if linkable:
            cites = origins_of(source, text)
            key = _content_key(content_hash, item_id)
            exact = self._index.by_content(key)
            if exact is not None:
                roots[exact[1]] = None
                kind, similarity = "exact", 1.0
            else:
                if signature is _UNSET:
                    signature = self._hasher.signature(normalised, normalised=True)
                if signature is not None:
                    sig_blob = compact(signature)
                    bands = band_keys(signature, s.bands, s.rows)
                    best = 0.0
                    for _cid, root, cand_sig in self._index.candidates(bands):
                        sim = estimate_jaccard(sig_blob, cand_sig)
                        if sim >= s.threshold:
                            roots[root] = None
                            best = max(best, sim)
                    if roots:
                        kind, similarity = "near", round(best, 4)

        rank = rank_key(published, fetched_at, canonical_url)
        new = Ranked(0, site, rank, cites)
        canonical: Ranked | None = None    # known before the insert: the usual repost
        if len(roots) == 1:
            current, cluster_cites = self._index.canonical_and_cites(next(iter(roots)))
            mine = frozenset(cites.split("|")) if cites else frozenset()
            if mine <= cluster_cites and sort_key(current, cluster_cites) <= sort_key(new, cluster_cites):
                canonical = current
        member_id = self._index.add_member(
            item_id, canonical_id=canonical.id if canonical else None, kind=kind, similarity=similarity,
            content_key=key, site=site, published=published, url=url, title=title, sig=sig_blob,
            rank=rank, cites=cites,
        )
        if bands:
            self._index.add_bands(member_id, bands)
        duplicate_of: str | None = None
        if canonical is not None:
            duplicate_of = canonical.item_id or self._index.item_id_of(canonical.id)
        elif roots:
            winner = self._settle(Ranked(member_id, site, rank, cites), list(roots))
            if winner != member_id:
                duplicate_of = self._index.item_id_of(winner)
        self.seen.add(canonical_url, item_id, fetched_at or _utc_now())
        self._pending += 1
        if self._pending >= s.commit_every:
            self.commit()
        return DedupVerdict(duplicate_of, kind, similarity)

    def _settle(self, new: Ranked, roots: list[int]) -> int:
        """Put the new member (just inserted as its own root) and the clusters it links to under
        one canonical; returns the canonical's id.

        One cluster and no new named origin (a repost more original than the current
        canonical): the new member takes over. Otherwise (a bridge between clusters, or an origin
        named for the first time in the cluster): the rule over every member involved."""
        index = self._index
        mine = frozenset(new.cites.split("|")) if new.cites else frozenset()
        if len(roots) == 1:
            current, cites = index.canonical_and_cites(roots[0])
            if mine <= cites and sort_key(new, cites) < sort_key(current, cites):
                self.moved += index.move(current.id, new.id, skip=new.id)
                return new.id
        members = [new]
        for root in roots:
            members += index.cluster_ranked(root)
        winner = pick_canonical(members).id
        for root in [*roots, new.id]:
            moved = index.move(root, winner, skip=new.id)
            if root != new.id:
                self.moved += moved
        return winner

    def commit(self) -> None:
        """Make everything checked so far durable (index first, then seen-store), then append
        the queued relink records to the items file."""
        self._index.commit()
        self.seen.flush()
        self._pending = 0
        if self._relinks is not None:
            self._relinks.drain(self._index)

    def close(self) -> None:
        try:
            self.commit()
        finally:
            if self._relinks is not None:
                self._relinks.close()
            self._index.close()
            self.seen.close()

    def __enter__(self) -> Deduplicator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self._index)

    def clusters(self, min_size: int = 2) -> list[Cluster]:
        """Clusters with at least `min_size` members, largest first (ties: earliest root)."""
        return clusters_of(self._index, min_size)


def clusters_of(index: DedupIndex, min_size: int) -> list[Cluster]:
    return [
        Cluster(
            canonical_id=root.item_id,
            members=[ClusterMember(m.item_id, m.kind, m.similarity, m.site, m.published, m.url, m.title)
                     for m in members],
        )
        for root, members in index.clusters(min_size)
    ]


def _utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")

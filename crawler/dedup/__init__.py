"""Deduplication: URL seen-store, exact content hash and MinHash-LSH near-duplicates.

- `crawler.dedup.seen` — `SeenStore` protocol and `SqliteSeenStore` (canonical URLs across runs)
- `crawler.dedup.minhash` — signatures and LSH band keys (numpy)
- `crawler.dedup.index` — the SQLite index (members + bands) in ``dedup.sqlite``
- `crawler.dedup.deduplicator` — the facade: checks, clusters, moves of the canonical
- `crawler.dedup.canonical` — which member of a cluster is the original (a pure function)
- `crawler.dedup.links` — relink records in ``items.jsonl`` and the readers that apply them
- `crawler.dedup.report` — text report of repost clusters

URL canonicalisation itself is `crawler.urls.canonicalize_url`.
"""

from crawler.dedup.deduplicator import (
    INDEX_FILENAME,
    ITEMS_FILENAME,
    SEEN_FILENAME,
    Cluster,
    ClusterMember,
    DedupSettings,
    Deduplicator,
    DedupVerdict,
)
from crawler.dedup.links import apply_links, current_links, is_relink, is_relink_line, iter_items, read_relinks
from crawler.dedup.report import dedup_report, read_clusters
from crawler.dedup.seen import SeenStore, SqliteSeenStore

__all__ = [
    "Cluster",
    "ClusterMember",
    "DedupSettings",
    "DedupVerdict",
    "Deduplicator",
    "INDEX_FILENAME",
    "ITEMS_FILENAME",
    "SEEN_FILENAME",
    "SeenStore",
    "SqliteSeenStore",
    "apply_links",
    "current_links",
    "dedup_report",
    "is_relink",
    "is_relink_line",
    "iter_items",
    "read_clusters",
    "read_relinks",
]

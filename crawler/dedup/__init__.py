"""Deduplication: URL seen-store, exact content hash and MinHash-LSH near-duplicates.

- `crawler.dedup.seen` — `SeenStore` protocol and `SqliteSeenStore` (canonical URLs across runs)
- `crawler.dedup.minhash` — signatures and LSH band keys (numpy)
- `crawler.dedup.index` — the SQLite index (members + bands) in ``dedup.sqlite``
- `crawler.dedup.deduplicator` — the facade and the canonical-copy rule
- `crawler.dedup.report` — text report of repost clusters

URL canonicalisation itself is `crawler.urls.canonicalize_url`.
"""

from crawler.dedup.deduplicator import (
    INDEX_FILENAME,
    SEEN_FILENAME,
    Cluster,
    ClusterMember,
    DedupSettings,
    Deduplicator,
    DedupVerdict,
)
from crawler.dedup.report import dedup_report
from crawler.dedup.seen import SeenStore, SqliteSeenStore

__all__ = [
    "Cluster",
    "ClusterMember",
    "DedupSettings",
    "DedupVerdict",
    "Deduplicator",
    "INDEX_FILENAME",
    "SEEN_FILENAME",
    "SeenStore",
    "SqliteSeenStore",
    "dedup_report",
]

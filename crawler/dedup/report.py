"""Human-readable report of repost clusters in an output folder (``healthcrawl dedup-report``).

`dedup_report(directory, min_size=2, limit=None)` opens ``dedup.sqlite`` read-only and lists
every cluster with at least `min_size` members, largest first: the canonical copy's title and
URL (the cluster's original under `crawler.dedup.canonical`, as it is now — after every move),
then each member's site, publication date, how it was linked (exact / near + estimated
Jaccard; ``first-seen``: checked before the original arrived, relinked then) and URL, the
canonical first.
"""

from __future__ import annotations

from pathlib import Path

from crawler.dedup.deduplicator import INDEX_FILENAME, Cluster, clusters_of
from crawler.dedup.index import DedupIndex

__all__ = ["dedup_report", "format_clusters", "read_clusters"]


def format_clusters(clusters: list[Cluster], *, total_items: int | None = None) -> str:
    """Render clusters as plain text, one block per cluster."""
    lines: list[str] = []
    reposts = sum(c.size - 1 for c in clusters)
    head = f"{len(clusters)} repost clusters, {reposts} reposts"
    if total_items is not None:
        head += f" among {total_items} items"
    lines.append(head)
    for n, cluster in enumerate(clusters, 1):
        root = cluster.members[0]
        sites = sorted({m.site or "?" for m in cluster.members})
        lines.append("")
        lines.append(f"#{n}  {cluster.size} copies on {len(sites)} sites — {root.title or '(no title)'}")
        lines.append(f"    canonical {root.item_id}  {root.url or ''}")
        for m in cluster.members:
            how = "canonical" if m.item_id == cluster.canonical_id else "first-seen" if m.kind == "new" else (
                m.kind if m.similarity is None or m.kind == "exact" else f"{m.kind} {m.similarity:.2f}"
            )
            lines.append(f"    {(m.published or '-')[:10]:<10}  {m.site or '?':<28} {how:<11} {m.url or m.item_id}")
    return "\n".join(lines) + "\n"


def read_clusters(directory: Path | str, *, min_size: int = 2) -> tuple[list[Cluster], int]:
    """(clusters largest first, number of items indexed) of ``<directory>/dedup.sqlite``, opened
    read-only: the links as they are now. FileNotFoundError names the file when it is missing."""
    index = DedupIndex(Path(directory) / INDEX_FILENAME, {}, readonly=True)
    try:
        return clusters_of(index, min_size), len(index)
    finally:
        index.close()


def dedup_report(directory: Path | str, *, min_size: int = 2, limit: int | None = None) -> str:
    """The clusters of ``<directory>/dedup.sqlite`` as text, largest first.

    Raises FileNotFoundError naming the file when the folder has no dedup index.
    """
    clusters, total = read_clusters(directory, min_size=min_size)
    return format_clusters(clusters[:limit] if limit is not None else clusters, total_items=total)

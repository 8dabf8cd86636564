"""Deduplication benchmark: quality, speed and index size of `crawler.dedup`.

    python bench/dedup_bench.py [--n 10000] [--size-n 100000] [--big-n 1000000] [--sweep]
                                [--json results.json]

1. Quality and speed on a generated corpus (`bench/corpus.py`, ``--n`` articles with known
   repost families and same-topic distractors): precision and recall of the final
   ``duplicate_of`` links (a link is right when both items belong to one family; recall counts
   every article of a family but one), and the wall time of
   `Deduplicator.check` per article (MinHash + exact lookup + LSH query + verification +
   insert; median and p90; commits every 1000 items included).
   ``--sweep`` repeats this for several thresholds (how the default was picked).
2. Baseline in the same run: datasketch `MinHash` with its default hashing (sha1 per shingle)
   + in-memory `MinHashLSH`, same shingles and threshold, same linking rule; its time per
   article and its memory (tracemalloc) per article: the MinHashLSH alone, and with the
   MinHash objects kept for verification.
3. Index size: bytes per article of ``dedup.sqlite`` after ``--size-n`` articles (generated
   texts through `Deduplicator.check`) and, with ``--big-n``, after that many articles fed as a
   *synthetic signature stream* (random signatures, corpus-like URLs/titles/dates, written
   through `DedupIndex` directly — text generation and hashing skipped to keep the run short;
   row shapes are the same), with a linear projection to 10 million.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CorpusArticle, generate  # noqa: E402

from crawler.dedup import DedupSettings, Deduplicator  # noqa: E402
from crawler.dedup.canonical import rank_key  # noqa: E402
from crawler.dedup.index import DedupIndex  # noqa: E402
from crawler.dedup.minhash import band_keys, compact, normalise_for_shingling  # noqa: E402
from crawler.pages.process import content_hash  # noqa: E402


def _quantiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": statistics.median(ordered) * 1e3,
        "p90_ms": ordered[int(0.9 * (len(ordered) - 1))] * 1e3,
        "mean_ms": statistics.fmean(ordered) * 1e3,
    }


def score(articles: list[CorpusArticle], links: dict[str, str | None]) -> dict[str, float]:
    """Precision/recall of duplicate links against the corpus families."""
    family = {a.item_id: a.family for a in articles}
    first_seen: set[int] = set()
    expected = 0
    for a in articles:  # processing order
        if a.family in first_seen:
            expected += 1
        first_seen.add(a.family)
    linked = [(i, t) for i, t in links.items() if t is not None]
    correct = sum(1 for i, t in linked if family[i] == family[t])
    precision = correct / len(linked) if linked else 1.0
    recall = correct / expected if expected else 1.0
    return {"links": len(linked), "correct": correct, "expected": expected,
            "precision": precision, "recall": recall}


def _db_bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.glob("dedup.sqlite*"))


def run_ours(articles: list[CorpusArticle], settings: DedupSettings) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        dedup = Deduplicator(Path(tmp), settings)
        times: list[float] = []
        links: dict[str, str | None] = {}
        kinds: dict[str, int] = defaultdict(int)
        for a in articles:
            chash = content_hash(a.text)
            t0 = time.perf_counter()
            verdict = dedup.check(a.item_id, a.url, a.text, chash, site=a.site, published=a.published,
                                  url=a.url, title=a.title, fetched_at="2024-01-01T00:00:00+00:00")
            times.append(time.perf_counter() - t0)
            links[a.item_id] = verdict.duplicate_of
            kinds[verdict.kind] += 1
        # the links as they end up (canonicals move to the original as copies arrive)
        links.update({m.item_id: None if m.item_id == c.canonical_id else c.canonical_id
                      for c in dedup.clusters() for m in c.members})
        dedup.close()
        size = _db_bytes(Path(tmp))
    return {"threshold": settings.threshold, "bands": settings.bands, "rows": settings.rows,
            **score(articles, links), **_quantiles(times), "kinds": dict(kinds),
            "db_bytes": size, "bytes_per_article": size / len(articles)}


def run_datasketch(articles: list[CorpusArticle], settings: DedupSettings) -> dict[str, object]:
    from datasketch import MinHash, MinHashLSH

    k = settings.shingle_size
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    lsh = MinHashLSH(threshold=settings.threshold, num_perm=settings.num_perm)
    sigs: dict[str, MinHash] = {}
    root: dict[str, str] = {}
    links: dict[str, str | None] = {}
    hash_times: list[float] = []
    times: list[float] = []
    for a in articles:
        t0 = time.perf_counter()
        norm = normalise_for_shingling(a.text)
        m = MinHash(num_perm=settings.num_perm)
        m.update_batch([norm[i : i + k].encode("utf-8") for i in range(len(norm) - k + 1)])
        t1 = time.perf_counter()
        best: tuple[float, str] | None = None
        for cand in lsh.query(m):
            sim = m.jaccard(sigs[cand])
            if sim >= settings.threshold and (best is None or sim > best[0]):
                best = (sim, cand)
        lsh.insert(a.item_id, m)
        t2 = time.perf_counter()
        sigs[a.item_id] = m
        root[a.item_id] = root[best[1]] if best else a.item_id
        links[a.item_id] = root[best[1]] if best else None
        hash_times.append(t1 - t0)
        times.append(t2 - t0)
    total_bytes = tracemalloc.get_traced_memory()[0] - before
    del sigs, m, root  # what remains is the LSH alone (plus the small links dict)
    gc.collect()
    lsh_bytes = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return {**score(articles, links), **_quantiles(times),
            "minhash_median_ms": statistics.median(hash_times) * 1e3,
            "python_bytes_per_article": lsh_bytes / len(articles),
            "python_bytes_per_article_with_signatures": total_bytes / len(articles)}


def synthetic_size(n: int, settings: DedupSettings, template: list[CorpusArticle]) -> dict[str, object]:
    """Bytes/article of dedup.sqlite fed with n random signatures and corpus-like metadata."""
    assert settings.bands is not None and settings.rows is not None
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory() as tmp:
        index = DedupIndex(Path(tmp) / "dedup.sqlite", settings.index_params())
        t_start = time.perf_counter()
        query_times: list[float] = []
        batch = 10_000
        for start in range(0, n, batch):
            sigs = rng.integers(0, 2**32, size=(min(batch, n - start), settings.num_perm), dtype=np.uint32)
            for j, sig in enumerate(sigs):
                i = start + j
                a = template[i % len(template)]
                keys = band_keys(sig, settings.bands, settings.rows)
                if j % 100 == 0:
                    t0 = time.perf_counter()
                    index.candidates(keys)
                    query_times.append(time.perf_counter() - t0)
                url = f"{a.url[:-5]}_{i}.html"
                mid = index.add_member(
                    f"{i:016x}", canonical_id=None, kind="new", similarity=None,
                    content_key=int(rng.integers(-(2**63), 2**63 - 1)), site=a.site,
                    published=a.published, url=url, title=a.title, sig=compact(sig),
                    rank=rank_key(a.published, "2024-01-01T00:00:00+00:00", url),
                )
                index.add_bands(mid, keys)
            index.commit()
        index.close()
        elapsed = time.perf_counter() - t_start
        size = _db_bytes(Path(tmp))
    return {"n": n, "synthetic": True, "db_bytes": size, "bytes_per_article": size / n,
            "insert_us_per_article": elapsed / n * 1e6,
            "query_median_ms": statistics.median(query_times) * 1e3,
            "projected_10M_GB": size / n * 10_000_000 / 1e9}


def main() -> None:
    parser = argparse.ArgumentParser(description="deduplication benchmark")
    parser.add_argument("--n", type=int, default=10_000, help="corpus size for quality/speed")
    parser.add_argument("--size-n", type=int, default=100_000, help="generated articles for the size run (0: skip)")
    parser.add_argument("--big-n", type=int, default=0, help="synthetic signature stream size, e.g. 1000000")
    parser.add_argument("--threshold", type=float, default=DedupSettings().threshold)
    parser.add_argument("--sweep", action="store_true", help="also try thresholds 0.5..0.8")
    parser.add_argument("--baseline-n", type=int, default=0, help="articles for the datasketch baseline (default --n)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write results here")
    args = parser.parse_args()

    results: dict[str, object] = {"machine": platform.platform(), "python": platform.python_version()}
    t0 = time.perf_counter()
    articles = generate(args.n, args.seed)
    results["corpus"] = {"n": len(articles), "families": len({a.family for a in articles}),
                         "generate_s": time.perf_counter() - t0,
                         "mean_chars": statistics.fmean(len(a.text) for a in articles)}
    settings = DedupSettings(threshold=args.threshold)
    ours = run_ours(articles, settings)
    results["ours"] = ours
    base = run_datasketch(articles[: args.baseline_n or args.n], settings)
    results["datasketch"] = base
    results["speedup_median"] = base["median_ms"] / ours["median_ms"]  # type: ignore[operator]
    if args.sweep:
        results["sweep"] = [run_ours(articles, DedupSettings(threshold=t)) for t in (0.5, 0.6, 0.65, 0.7, 0.75, 0.8)]
    sizes: list[dict[str, object]] = []
    if args.size_n:
        big = generate(args.size_n, args.seed + 1)
        r = run_ours(big, settings)
        sizes.append({"n": args.size_n, "synthetic": False, "db_bytes": r["db_bytes"],
                      "bytes_per_article": r["bytes_per_article"], "median_ms": r["median_ms"],
                      "p90_ms": r["p90_ms"], "precision": r["precision"], "recall": r["recall"],
                      "projected_10M_GB": r["bytes_per_article"] * 10_000_000 / 1e9})  # type: ignore[operator]
    if args.big_n:
        sizes.append(synthetic_size(args.big_n, settings, articles))
    results["sizes"] = sizes

    print(f"corpus: {results['corpus']}")
    print(f"{'':24}{'precision':>10}{'recall':>8}{'median ms':>11}{'p90 ms':>8}{'B/article':>11}")
    print(f"{'healthcrawl (SQLite)':24}{ours['precision']:>10.4f}{ours['recall']:>8.4f}"
          f"{ours['median_ms']:>11.3f}{ours['p90_ms']:>8.3f}{ours['bytes_per_article']:>11.0f}")
    print(f"{'datasketch (in memory)':24}{base['precision']:>10.4f}{base['recall']:>8.4f}"
          f"{base['median_ms']:>11.3f}{base['p90_ms']:>8.3f}{base['python_bytes_per_article']:>11.0f}")
    print(f"speed-up (median): {results['speedup_median']:.2f}x; datasketch MinHash alone "
          f"{base['minhash_median_ms']:.3f} ms; bands x rows = {ours['bands']} x {ours['rows']}")
    for row in results.get("sweep", []):  # type: ignore[union-attr]
        print(f"  threshold {row['threshold']:.2f} ({row['bands']}x{row['rows']}): precision "
              f"{row['precision']:.4f} recall {row['recall']:.4f} median {row['median_ms']:.3f} ms")
    for row in sizes:
        tag = "synthetic signatures" if row["synthetic"] else "generated texts"
        print(f"  index size at {row['n']:,} articles ({tag}): {row['bytes_per_article']:.0f} B/article, "
              f"{row['db_bytes'] / 1e6:.1f} MB; projected 10M: {row['projected_10M_GB']:.2f} GB")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()

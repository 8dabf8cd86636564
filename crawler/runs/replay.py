"""Replay: re-run extraction, normalisation, tagging and dedup over archived responses.

`healthcrawl replay WARC_OR_DIR… --out DIR [-s NAME=VALUE]` reads WARC files offline and writes
the items a live crawl with the same settings wrote: the pages come from
`crawler.pages.archived.ArchivedPages` (in live-crawl order), and go through the crawl's own
`crawler.pages.sequence.StageSequence`, built from the same settings (`crawler.runs.config`),
so every `EXTRACT_*`, `DEDUP_*` and `TAGS_*` setting means what it means in a crawl.

`EXTRACT_WORKERS` (`--workers N`; negative: one per CPU) extracts in a pool of worker
processes; pages are sent in order-preserving batches, so the items and their order are the
same for every pool size. Bodies are decompressed with the `DOWNLOAD_MAXSIZE` cap
(`--max-body`).

The run report is written from the same stats keys a crawl counts (the sequence's
`extract/*`, `tags/*`, `dedup/*`, `store/items`, and per source `source/<name>/pages`,
`/new_items`, `/duplicates`, `/filtered`, `/failures/<kind>`). A damaged record (bad gzip, bad
digest, cut file, bogus Content-Length) is reported with file and offset and skipped; the rest is
replayed; the exit status is 1 when any record was skipped.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
from pathlib import Path
from typing import Any

from archive.reader import iter_warc_paths
from crawler.dedup import Deduplicator
from crawler.extensions.source_stats import SourceCounters
from crawler.items import Article
from crawler.pages.archived import ArchivedPages, ReadCounts, stored_captures
from crawler.pages.process import CapturedPage
from crawler.pages.sequence import CountingStats, StageSequence
from crawler.runs.config import build_settings
from crawler.runs.lock import LockHeld, output_lock
from crawler.store.jsonl import JsonLinesWriter

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILURES, EXIT_USAGE = 0, 1, 2
class _ReplayCounters(SourceCounters):
    """The crawl's per-source and total stats keys, counted from replay's events."""

    def __init__(self, stats: CountingStats) -> None:
        super().__init__(stats)
        self.sources: set[str] = set()

    def page(self, page: CapturedPage) -> str:
        source = page.source_name or "replay"
        self.sources.add(source)
        self.stats.inc_value("response_received_count")
        self.stats.inc_value(f"source/{source}/pages")
        return source

    def stored(self, source: str, article: Article) -> None:
        self.stats.inc_value("item_scraped_count")
        self.stats.inc_value(f"source/{source}/new_items")
        if article.duplicate_of:
            self.stats.inc_value(f"source/{source}/duplicates")

    def dropped(self, source: str, key: str, url: str, *, adhoc: bool = False) -> None:
        self.stats.inc_value("item_dropped_count")
        super().dropped(source, key, url, adhoc=adhoc)


def run_replay(paths: list[Path], out_dir: Path, *, workers: int | None = None, max_body: int | None = None,
               overrides: dict[str, Any] | None = None) -> int:
    """Replay `paths` into `out_dir` with the crawl's settings plus `overrides` (`-s`); prints a
    summary and writes the run report; returns the exit code."""
    try:
        files = iter_warc_paths(paths)
    except FileNotFoundError as exc:
        print(f"healthcrawl replay: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not files:
        print(f"healthcrawl replay: no *.warc.gz or *.warc files in {', '.join(map(str, paths))}", file=sys.stderr)
        return EXIT_USAGE
    overrides = dict(overrides or {})
    if workers is not None:
        overrides["EXTRACT_WORKERS"] = workers
    if max_body is not None:
        overrides["DOWNLOAD_MAXSIZE"] = max_body
    settings = build_settings(out_dir, overrides)
    stats = CountingStats()
    counters = _ReplayCounters(stats)
    counts = ReadCounts()
    sequence = StageSequence(settings, stats)
    t0 = time.monotonic()
    started = dt.datetime.now(dt.timezone.utc)
    items_file = settings.get("STORE_ITEMS_FILE")
    items_path = out_dir / items_file
    items_offset = items_path.stat().st_size if items_path.is_file() else 0
    pool = sequence.start_pool()
    try:
        with output_lock(out_dir):
            store = JsonLinesWriter(items_path)
            dedup = (Deduplicator(out_dir, sequence.dedup_settings, items_file=items_file)  # relinks go there
                     if sequence.dedup_enabled else None)
            progress = _Progress(stats, counts)
            try:
                pages = ArchivedPages(max_body=settings.getint("DOWNLOAD_MAXSIZE"), counts=counts,
                                      skip=stored_captures(items_path)).pages(files)
                for page, fields, result in sequence.extract_all(pages, pool, region_of=_region):
                    source = counters.page(page)
                    progress.tick()
                    result = sequence.counted(result)
                    if not isinstance(result, Article):
                        reason, message = result
                        if reason == "error":
                            logger.error("extraction failed for %s (%s:%s): %s", page.url, page.warc_filename,
                                         page.warc_offset, message)
                        counters.dropped(source, reason, page.url)
                        continue
                    article = result
                    if not sequence.relevant(article, fields.get("source_region"), fields.get("min_relevance")):
                        counters.dropped(source, "below-relevance", page.url)
                        continue
                    sequence.link(article, dedup)
                    if sequence.dropped_as_repost(article):
                        counters.dropped(source, "repost", page.url)
                        continue
                    store.write(article)
                    sequence.stored(article)
                    counters.stored(source, article)
            finally:
                progress.close()
                if dedup is not None:
                    dedup.close()
                store.close()
    except LockHeld as exc:
        print(f"skipped: {exc}")
        return EXIT_OK
    finally:
        if pool is not None:
            pool.close()
    seconds = time.monotonic() - t0
    for damage in counts.damaged:
        counters.fail("replay", "damaged-record", f"{damage.where()}: {damage.reason}")
    stats.set_value("finish_reason", "finished")
    stats.set_value("replay/files", counts.files)
    stats.set_value("replay/records", counts.records)
    stats.set_value("replay/damaged", len(counts.damaged))
    code = EXIT_FAILURES if counts.damaged else EXIT_OK
    print(summary(stats, counts, out_dir / items_file, seconds))
    _report(stats, counters, out_dir, started, seconds, code, items_offset, items_file)
    return code


class _Progress:
    """A live status line on a terminal (records, pages, items, rate); nothing under cron."""

    def __init__(self, stats: CountingStats, counts: ReadCounts, interval: float = 1.0) -> None:
        self.stats, self.counts, self.interval = stats, counts, interval
        self.active = sys.stderr.isatty()
        self.started = self.last = time.monotonic()

    def tick(self) -> None:
        now = time.monotonic()
        if not self.active or now - self.last < self.interval:
            return
        self.last = now
        pages = self.stats.get_value("response_received_count", 0)
        sys.stderr.write(f"\r\x1b[Kfiles {self.counts.files} · records {self.counts.records} · pages {pages} · "
                         f"items {self.stats.get_value('store/items', 0)} · "
                         f"{pages / (now - self.started):.1f} pages/s · damaged {len(self.counts.damaged)}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.active:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _report(stats: CountingStats, counters: _ReplayCounters, out_dir: Path, started: dt.datetime, seconds: float,
            code: int, items_offset: int, items_file: str) -> None:
    """The same run report a crawl writes (JSON, text, HTML with charts), kind "replay"."""
    from crawler.report.run import write_run_report

    for source in counters.sources:
        stats.set_value(f"source/{source}/seconds", round(seconds, 3))
    failures = {source: dict(kinds) for source, kinds in counters.examples.items()}
    paths, _ = write_run_report(out_dir, kind="replay", stats=stats.get_stats(), failures=failures,
                                started=started, seconds=seconds, exit_code=code, items_offset=items_offset,
                                items_file=items_file)
    print(f"report: {paths[-1]}")


def _region(fields: dict[str, Any]) -> Any:
    return fields.get("source_region")


def summary(stats: CountingStats, counts: ReadCounts, items_path: Path, seconds: float) -> str:
    rejected = {key.split("/", 2)[2]: value for key, value in stats.get_stats().items()
                if key.startswith("extract/rejected/")}
    if stats.get_value("extract/errors"):
        rejected["error"] = stats.get_value("extract/errors")
    below = stats.get_value("tags/below_relevance", 0)
    if below:
        rejected["below-relevance"] = below
    linked = sum(value for key, value in stats.get_stats().items()
                 if key.startswith("source/") and key.endswith("/duplicates"))
    lines = [
        f"replayed {counts.files} WARC files, {counts.records} records in {seconds:.1f} s: "
        f"{stats.get_value('response_received_count', 0)} pages offered, "
        f"{stats.get_value('store/items', 0)} items written ({linked} reposts linked), "
        f"{sum(rejected.values())} not articles {dict(sorted(rejected.items())) or ''}",
        f"items: {items_path}",
    ]
    if counts.already_stored:
        lines.append(f"{counts.already_stored} captures already stored in {items_path}: not stored again")
    if counts.damaged:
        lines.append(f"{len(counts.damaged)} damaged records skipped:")
        lines += [f"  {d.where()}: {d.reason}" for d in counts.damaged[:20]]
    return "\n".join(lines)

"""Replay: re-run extraction, normalisation, tagging and dedup over archived responses.

`healthcrawl replay WARC_OR_DIR… --out DIR` reads WARC files offline and writes the same
items a live crawl wrote (same `process_page`, same `tag_article`, same `link_duplicates`).

Which records become items: in files written by healthcrawl, exactly the captures the live
crawl offered to extraction — each has a `metadata` record (written by the process-page stage)
that refers to it and names its source; they are replayed in the order of those metadata
records, which is the order the live crawl processed them, so dedup picks the same canonical
copies. Files from other tools (no healthcrawl warcinfo) replay every 200 HTML response in
file order. `revisit` records are resolved to the payload they refer to, across files.

`workers` > 0 (`--workers N`; negative: one per CPU) extracts in a pool of worker processes
(`crawler.pages.pool.ExtractionPool`), where articles are also tagged; pages are sent in order-preserving batches, so
the items and their order are the same as with `workers=0`. Memory stays flat with the
collection's size: at most `PENDING_LIMIT` records are held for their metadata record, the
pool holds a bounded window of pages, and only a record id → (file, offset) map (about 150
bytes a response) grows with the number of records.

A damaged record (bad gzip, bad digest, cut file, bogus Content-Length, whole-file gzip) is
reported with file and offset and skipped; the rest is replayed; the exit status is 1 when any
record was skipped. Bodies are decompressed with the `DOWNLOAD_MAXSIZE` cap.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.reader import (ArchivedRecord, DamagedRecord, DamagedRecordError, iter_records, iter_warc_paths,
                            read_record_at)
from crawler.extract import Extractor
from crawler.items import Article
from crawler.runs.lock import LockHeld, output_lock
from crawler.pages.process import CapturedPage, fetched_at
from crawler.pages.pool import ExtractionPool, pool_size, safe_process
from crawler.pages.stages import link_duplicates, tag_article
from crawler.store.jsonl import JsonLinesWriter

logger = logging.getLogger(__name__)
PENDING_LIMIT = 512
OFFSET_BITS = 48
OFFSET_MASK = (1 << OFFSET_BITS) - 1
HTML_TYPES = ("text/html", "application/xhtml")


@dataclass
class ReplayStats:
    files: int = 0
    records: int = 0
    offered: int = 0
    items: int = 0
    duplicates: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    damaged: list[DamagedRecord] = field(default_factory=list)
    seconds: float = 0.0


def page_from_record(record: ArchivedRecord, payload_record: ArchivedRecord, source_name: str | None) -> CapturedPage:
    """A CapturedPage from a response (or a revisit plus the response it refers to)."""
    headers: dict[str, str] = {}
    for key, value in payload_record.http_headers:
        headers.setdefault(key.lower(), value)
    headers.pop("content-encoding", None)
    return CapturedPage(
        url=record.url or "",
        status=record.http_status or payload_record.http_status or 0,
        headers=headers,
        body=payload_record.payload,
        fetched_at=fetched_at(record.date),
        warc_filename=record.filename,
        warc_offset=record.offset,
        source_name=source_name,
    )


class Replayer:
    """Walks WARC files and yields (CapturedPage, metadata fields) in live-crawl order."""

    def __init__(self, *, max_body: int, stats: ReplayStats) -> None:
        self.max_body = max_body
        self.stats = stats
        # record id -> file number << OFFSET_BITS | offset: where every response/revisit is, so a
        # revisit can load the record it refers to after `pending` let it go (ints, not objects:
        # about 150 bytes a record)
        self.paths: list[Path] = []
        self.where: dict[str, int] = {}
        self.pending: OrderedDict[str, ArchivedRecord] = OrderedDict()

    def _damaged(self, damage: DamagedRecord) -> None:
        self.stats.damaged.append(damage)
        logger.error("skipped damaged WARC record: %s at offset %d: %s", damage.path or damage.filename,
                     damage.offset, damage.reason)

    def _load(self, record_id: str) -> ArchivedRecord | None:
        record = self.pending.pop(record_id, None)
        if record is not None:
            return record
        where = self.where.get(record_id)
        if where is None:
            return None
        path, offset = self.paths[where >> OFFSET_BITS], where & OFFSET_MASK
        try:
            return read_record_at(path, offset, max_body=self.max_body)
        except DamagedRecordError as exc:
            self._damaged(exc.damage)
            return None

    def _resolve(self, record: ArchivedRecord) -> ArchivedRecord | None:
        """The record holding the payload: itself, or the response a revisit refers to."""
        if record.rec_type != "revisit":
            return record
        target = record.warc_header("WARC-Refers-To")
        original = self._load(target) if target else None
        if original is None:
            logger.warning("revisit %s at %s:%d refers to a record not in these files", record.url,
                           record.filename, record.offset)
        return original

    def pages(self, paths: list[Path]) -> Iterator[tuple[CapturedPage, dict[str, Any]]]:
        for path in paths:
            self.stats.files += 1
            self.paths.append(path)
            file_bits = (len(self.paths) - 1) << OFFSET_BITS
            ours = False
            for record in iter_records(path, max_body=self.max_body):
                if isinstance(record, DamagedRecord):
                    self._damaged(record)
                    continue
                self.stats.records += 1
                kind = record.rec_type
                if kind == "warcinfo":
                    ours = b"healthcrawl" in record.payload[:2000] or "healthcrawl" in json.dumps(record.headers)
                elif kind in ("response", "revisit"):
                    self.where[record.record_id] = file_bits | record.offset
                    if ours:
                        self.pending[record.record_id] = record
                        while len(self.pending) > PENDING_LIMIT:
                            self.pending.popitem(last=False)
                    elif kind == "response" and record.http_status == 200 and \
                            (record.http_header("content-type") or "text/html").lower().startswith(HTML_TYPES):
                        yield page_from_record(record, record, None), {}
                elif kind == "metadata" and ours:
                    try:
                        fields = json.loads(record.payload.decode("utf-8"))
                    except (UnicodeDecodeError, json.JSONDecodeError):
                        self._damaged(DamagedRecord(record.filename, record.offset, "metadata is not JSON", path))
                        continue
                    target_id = record.refers_to or record.warc_header("WARC-Refers-To")
                    target = self._load(target_id) if target_id else None
                    if target is None:
                        continue
                    payload = self._resolve(target)
                    if payload is not None:
                        yield page_from_record(target, payload, fields.get("source_name")), fields


def run_replay(paths: list[Path], out_dir: Path, *, workers: int = 0, max_body: int = 50 * 1024 * 1024) -> int:
    """Replay `paths` into `out_dir`; prints a summary; returns the exit code."""
    from crawler.dedup import DedupSettings, Deduplicator
    from crawler.dedup.minhash import MinHasher

    try:
        files = iter_warc_paths(paths)
    except FileNotFoundError as exc:
        print(f"healthcrawl replay: {exc}", file=sys.stderr)
        return 2
    if not files:
        print(f"healthcrawl replay: no *.warc.gz or *.warc files in {', '.join(map(str, paths))}", file=sys.stderr)
        return 2
    stats = ReplayStats()
    t0 = time.monotonic()
    started = dt.datetime.now(dt.timezone.utc)
    items_path = out_dir / "items.jsonl"
    items_offset = items_path.stat().st_size if items_path.is_file() else 0
    extractor = Extractor()
    dedup_settings = DedupSettings()
    pool = (ExtractionPool(pool_size(workers), extractor,
                           hasher=MinHasher(dedup_settings.shingle_size, dedup_settings.num_perm))
            if workers else None)
    try:
        with output_lock(out_dir):
            store = JsonLinesWriter(out_dir / "items.jsonl")
            dedup = Deduplicator(out_dir, dedup_settings)
            progress = _Progress(stats)
            try:
                pages = Replayer(max_body=max_body, stats=stats).pages(files)
                for page, fields, result in _extracted(pages, extractor, pool):
                    stats.offered += 1
                    progress.tick()
                    if not isinstance(result, Article):
                        reason, message = result
                        if reason == "error":
                            logger.error("extraction failed for %s (%s:%s): %s", page.url, page.warc_filename,
                                         page.warc_offset, message)
                        stats.rejected[reason] = stats.rejected.get(reason, 0) + 1
                        continue
                    article = result
                    if not _keep(article, fields, tagged=pool is not None):
                        stats.rejected["below-relevance"] = stats.rejected.get("below-relevance", 0) + 1
                        continue
                    if link_duplicates(article, dedup).duplicate_of:
                        stats.duplicates += 1
                    store.write(article)
                    stats.items += 1
            finally:
                progress.close()
                dedup.close()
                store.close()
    except LockHeld as exc:
        print(f"skipped: {exc}")
        return 0
    finally:
        if pool is not None:
            pool.close()
    stats.seconds = time.monotonic() - t0
    code = 1 if stats.damaged else 0
    print(summary(stats, out_dir))
    _report(stats, out_dir, started, code, items_offset)
    return code


class _Progress:
    """A live status line on a terminal (records, pages, items, rate); nothing under cron."""

    def __init__(self, stats: ReplayStats, interval: float = 1.0) -> None:
        self.stats, self.interval = stats, interval
        self.active = sys.stderr.isatty()
        self.started = self.last = time.monotonic()

    def tick(self) -> None:
        now = time.monotonic()
        if not self.active or now - self.last < self.interval:
            return
        self.last = now
        s = self.stats
        sys.stderr.write(f"\r\x1b[Kfiles {s.files} · records {s.records} · pages {s.offered} · items {s.items} · "
                         f"{s.offered / (now - self.started):.1f} pages/s · damaged {len(s.damaged)}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.active:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _report(stats: ReplayStats, out_dir: Path, started: dt.datetime, code: int, items_offset: int) -> None:
    """The same run report a crawl writes (JSON, text, HTML with charts), source "replay"."""
    from crawler.report.run import write_run_report

    counters: dict[str, Any] = {
        "finish_reason": "finished", "response_received_count": stats.offered, "item_scraped_count": stats.items,
        "dedup/near": stats.duplicates, "extract/errors": stats.rejected.get("error", 0),
        "source/replay/pages": stats.offered, "source/replay/new_items": stats.items,
        "source/replay/duplicates": stats.duplicates, "source/replay/seconds": round(stats.seconds, 3),
    }
    failures: dict[str, list[str]] = {}
    if stats.damaged:
        counters["source/replay/failures/damaged-record"] = len(stats.damaged)
        failures["damaged-record"] = [f"{d.path or d.filename}@{d.offset}: {d.reason}" for d in stats.damaged[:200]]
    for reason, count in stats.rejected.items():
        counters[f"source/replay/failures/extract:{reason}"] = count
    paths, _ = write_run_report(out_dir, kind="replay", stats=counters, failures={"replay": failures},
                                started=started, seconds=stats.seconds, exit_code=code, items_offset=items_offset)
    print(f"report: {paths[-1]}")


def _extracted(pages: Iterator[tuple[CapturedPage, dict[str, Any]]], extractor: Extractor,
               pool: ExtractionPool | None) -> Iterator[tuple[CapturedPage, dict[str, Any], Article | tuple[str, str]]]:
    """(page, metadata fields, article or (reason, message)) in the order of `pages`, with or
    without the pool — so items come out identical and identically ordered for any `workers`."""
    if pool is None:
        for page, fields in pages:
            yield page, fields, safe_process(page, extractor)
    else:
        yield from pool.map_ordered(pages, region_of=_region)


def _region(fields: dict[str, Any]) -> Any:
    return fields.get("source_region")


def _keep(article: Article, fields: dict[str, Any], *, tagged: bool = False) -> bool:
    if not tagged:
        tag_article(article, fields.get("source_region"))
    minimum = fields.get("min_relevance")
    return minimum is None or (article.relevance or 0) >= minimum


def summary(stats: ReplayStats, out_dir: Path) -> str:
    lines = [
        f"replayed {stats.files} WARC files, {stats.records} records in {stats.seconds:.1f} s: "
        f"{stats.offered} pages offered, {stats.items} items written ({stats.duplicates} reposts linked), "
        f"{sum(stats.rejected.values())} not articles {dict(sorted(stats.rejected.items())) or ''}",
        f"items: {out_dir / 'items.jsonl'}",
    ]
    if stats.damaged:
        lines.append(f"{len(stats.damaged)} damaged records skipped:")
        lines += [f"  {d.path or d.filename} at offset {d.offset}: {d.reason}" for d in stats.damaged[:20]]
    return "\n".join(lines)

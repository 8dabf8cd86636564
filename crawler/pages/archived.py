"""Pages from archives: which archived records become `CapturedPage`s, in live-crawl order.

`ArchivedPages(max_body=…).pages(paths)` turns the captures of `archive.captures.CaptureReader`
(the one archive reader underneath) into `(CapturedPage, metadata fields)`:

- in files written by healthcrawl (warcinfo `software: healthcrawl/…`), the captures the live
  crawl offered to extraction, in the order of their metadata records — and, in a cut or
  damaged file, every complete capture before the damage;
- in files from other tools, every HTML 200 response (and revisit of one) in file order;
- `revisit` records resolved to their original across all files given; a missing original is
  reported.

Damaged records that cost a record are counted in `ReadCounts.damaged` (file, offset, reason);
notes that cost nothing (junk between records, whole-file gzip) are only logged.
Used by `healthcrawl replay` (`crawler.runs.replay`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.captures import CaptureReader
from archive.reader import ArchivedRecord, DamagedRecord
from crawler.pages.process import CapturedPage, fetched_at

__all__ = ["ArchivedPages", "ReadCounts", "page_from_record", "stored_captures"]

logger = logging.getLogger(__name__)


@dataclass
class ReadCounts:
    """What reading the archives met: files, records, damaged records skipped."""

    files: int = 0
    records: int = 0
    damaged: list[DamagedRecord] = field(default_factory=list)
    already_stored: int = 0


def stored_captures(items_path: Path) -> set[tuple[str, int, str, str]]:
    """(warc_filename, warc_offset, url, fetched_at) of every item already in ``items_path``
    (records sharing a gzip member share an offset: the fetch time tells them apart), so replaying
    the same captures into the same output stores each once (twice, after a kill, or through
    two paths to one file)."""
    keys: set[tuple[str, int, str, str]] = set()
    if not items_path.is_file():
        return keys
    with open(items_path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by a kill
            if isinstance(item, dict) and isinstance(item.get("warc_filename"), str) \
                    and isinstance(item.get("warc_offset"), int):
                keys.add((item["warc_filename"], item["warc_offset"], str(item.get("url") or ""),
                          str(item.get("fetched_at") or "")))
    return keys


def page_from_record(record: ArchivedRecord, payload_record: ArchivedRecord, source_name: str | None) -> CapturedPage:
    """A CapturedPage from a response (or a revisit plus the response it refers to)."""
    headers: dict[str, str] = {}
    for key, value in payload_record.http_headers:
        headers.setdefault(key.lower(), value)
    headers.pop("content-encoding", None)
    return CapturedPage(
        url=record.url or "",
        # a server-not-modified revisit says 304: the page is its original's
        status=(payload_record.http_status if record.http_status == 304 else record.http_status)
        or payload_record.http_status or 0,
        headers=headers,
        body=payload_record.payload,
        fetched_at=fetched_at(record.date),
        warc_filename=record.filename,
        warc_offset=record.offset,
        source_name=source_name,
    )


class ArchivedPages:
    """Walks archive files and yields (CapturedPage, metadata fields) in live-crawl order."""

    def __init__(self, *, max_body: int, counts: ReadCounts | None = None,
                 skip: set[tuple[str, int, str, str]] | None = None) -> None:
        self.max_body = max_body
        self.counts = counts if counts is not None else ReadCounts()
        self.skip = skip or set()
        self.reader = CaptureReader(max_body=max_body, on_damage=self._damaged)

    def _damaged(self, damage: DamagedRecord) -> None:
        if damage.lost:
            self.counts.damaged.append(damage)

    def pages(self, paths: list[Path]) -> Iterator[tuple[CapturedPage, dict[str, Any]]]:
        for capture in self.reader.captures(self._counted(paths)):
            record = capture.record
            page = page_from_record(record, capture.payload, capture.fields.get("source_name"))
            if (page.warc_filename, page.warc_offset, page.url, page.fetched_at) in self.skip:
                self.counts.already_stored += 1
                continue
            yield page, capture.fields

    def _counted(self, paths: list[Path]) -> Iterator[Path]:
        for path in paths:
            yield path
            self.counts.files = self.reader.files
            self.counts.records = self.reader.records

"""Pages from archives: which archived records become `CapturedPage`s, in live-crawl order.

`ArchivedPages(max_body=…).pages(paths)` walks WARC files (`archive.reader`) and yields
`(CapturedPage, metadata fields)`:

- in files written by healthcrawl, exactly the captures the live crawl offered to extraction —
  each has a `metadata` record (written by the process-page stage) that refers to it and names
  its source; they come in the order of those metadata records, which is the order the live
  crawl processed them;
- in files from other tools (no healthcrawl warcinfo), every 200 HTML response in file order;
- `revisit` records resolved to the payload they refer to, across files.

Memory stays flat with the collection's size: at most `PENDING_LIMIT` records are held for
their metadata record, and only a record id → (file, offset) map (about 150 bytes a response)
grows with the number of records. Damaged records are counted in `ReadCounts.damaged` (file,
offset, reason), logged and skipped. Used by `healthcrawl replay` (`crawler.runs.replay`).
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.reader import ArchivedRecord, DamagedRecord, DamagedRecordError, iter_records, read_record_at
from crawler.pages.process import CapturedPage, fetched_at

__all__ = ["ArchivedPages", "ReadCounts", "page_from_record"]

logger = logging.getLogger(__name__)
PENDING_LIMIT = 512
OFFSET_BITS = 48
OFFSET_MASK = (1 << OFFSET_BITS) - 1
HTML_TYPES = ("text/html", "application/xhtml")


@dataclass
class ReadCounts:
    """What reading the archives met: files, records, damaged records skipped."""

    files: int = 0
    records: int = 0
    damaged: list[DamagedRecord] = field(default_factory=list)


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


class ArchivedPages:
    """Walks WARC files and yields (CapturedPage, metadata fields) in live-crawl order."""

    def __init__(self, *, max_body: int, counts: ReadCounts | None = None) -> None:
        self.max_body = max_body
        self.counts = counts if counts is not None else ReadCounts()
        # record id -> file number << OFFSET_BITS | offset: where every response/revisit is, so a
        # revisit can load the record it refers to after `pending` let it go (ints, not objects:
        # about 150 bytes a record)
        self.paths: list[Path] = []
        self.where: dict[str, int] = {}
        self.pending: OrderedDict[str, ArchivedRecord] = OrderedDict()

    def _damaged(self, damage: DamagedRecord) -> None:
        self.counts.damaged.append(damage)
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
            self.counts.files += 1
            self.paths.append(path)
            file_bits = (len(self.paths) - 1) << OFFSET_BITS
            ours = False
            for record in iter_records(path, max_body=self.max_body):
                if isinstance(record, DamagedRecord):
                    self._damaged(record)
                    continue
                self.counts.records += 1
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

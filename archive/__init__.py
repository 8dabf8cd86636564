"""healthcrawl's WARC library: write, recover, read and index WARC/1.1 files.

Self-contained: imports nothing from ``crawler/`` or ``spiders/`` (only warcio, surt and the
standard library, plus brotli/zstandard to decode bodies), so it can be used and tested alone.

Writing (``archive.writer``)::

    with WarcWriter(out_dir, prefix="healthcrawl", max_size=1_000_000_000, host_tag="news.example") as w:
        ref = w.write_capture(url=..., method="GET", request_headers=[...], request_body=b"",
                              status=200, reason="OK", response_headers=[...], body=raw_bytes_as_sent)
        w.write_metadata(url=..., refers_to=ref, fields={"extractor": "trafilatura 2.0"})
        w.write_revisit(url=..., ..., refers_to=ref, refers_to_url=...)   # later duplicate

  ``CaptureRef(filename, offset, length, record_id, payload_digest, date)`` says where the
  response/revisit/metadata record is. Files: ``PREFIX-TIMESTAMP17-SERIAL-HOSTTAG.warc.gz``,
  written as ``*.warc.gz.open``, one gzip member per record, ``warcinfo`` first, rotated by
  size between captures, never overwriting. Authorization/Proxy-Authorization/Cookie request
  headers are dropped; Set-Cookie is kept; Transfer-Encoding is dropped (bodies are stored
  de-chunked but with content coding, exactly as Scrapy received them).

Crash recovery (``archive.recovery``): ``recover_open_files(dir) -> list[RecoveryReport]``
truncates leftover ``*.open`` files after their last complete record and closes them, or
moves unreadable ones to ``dir/quarantine/``.

Reading (``archive.reader``, the one reader; ``archive.framing`` frames the bytes under it):
``iter_records(path)`` yields ``ArchivedRecord`` or ``DamagedRecord(filename, offset, reason,
lost=...)`` for every WARC, ARC (converted by warcio) and WACZ file, whatever its name, and
never raises for damaged content; warcio's record parser reads headers, digests, chunking and
content coding; our code frames gzip members (multi-record members and whole-file gzip too),
caps sizes, resyncs after damage and reports. ``read_record_at(path, offset)`` reads one
record (raises ``DamagedRecordError``); ``iter_warc_paths(paths)`` expands files and folders.

Captures (``archive.captures``): ``CaptureReader().captures(paths)`` yields the pages worth
re-extracting — own files (warcinfo ``software: healthcrawl/...``) in metadata order, foreign
files' HTML 200 responses, revisits resolved across all files — with damage reported.

Indexing (``archive.cdxj``): ``surt(url)``, ``cdxj_lines_for_file(path)``,
``write_index(warc_dir)`` and ``merge_into_index(index, new_files)`` produce sorted CDXJ equal
to ``cdxj-indexer --sort`` output; ``archive.recompress.recompress_per_record`` rewrites a
whole-file gzip one member per record so every record can be indexed.
"""

from archive.captures import Capture, CaptureReader
from archive.cdxj import cdxj_lines_for_file, merge_into_index, surt, write_index
from archive.reader import (
    ArchivedRecord,
    DamagedRecord,
    DamagedRecordError,
    file_format,
    iter_records,
    iter_warc_paths,
    read_record_at,
)
from archive.recompress import recompress_per_record
from archive.recovery import RecoveryReport, recover_file, recover_open_files
from archive.writer import REVISIT_PROFILES, CaptureRef, WarcWriter

__all__ = [
    "REVISIT_PROFILES",
    "ArchivedRecord",
    "Capture",
    "CaptureReader",
    "CaptureRef",
    "DamagedRecord",
    "DamagedRecordError",
    "RecoveryReport",
    "WarcWriter",
    "cdxj_lines_for_file",
    "file_format",
    "iter_records",
    "iter_warc_paths",
    "merge_into_index",
    "read_record_at",
    "recompress_per_record",
    "recover_file",
    "recover_open_files",
    "surt",
    "write_index",
]

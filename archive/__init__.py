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

Reading (``archive.reader``): ``iter_records(path)`` yields ``ArchivedRecord`` (payload with
content coding removed, size-capped) or ``DamagedRecord(filename, offset, reason)`` and never
raises for damaged content; ``read_record_at(path, offset)`` reads one record (raises
``DamagedRecordError``); ``iter_warc_paths(paths)`` expands files and directories.

Indexing (``archive.cdxj``): ``surt(url)``, ``cdxj_lines_for_file(path)``,
``write_index(warc_dir)`` and ``merge_into_index(index, new_files)`` produce sorted CDXJ equal
to ``cdxj-indexer --sort`` output.
"""

from archive.cdxj import cdxj_lines_for_file, merge_into_index, surt, write_index
from archive.reader import (
    ArchivedRecord,
    DamagedRecord,
    DamagedRecordError,
    iter_records,
    iter_warc_paths,
    read_record_at,
)
from archive.recovery import RecoveryReport, recover_file, recover_open_files
from archive.writer import REVISIT_PROFILES, CaptureRef, WarcWriter

__all__ = [
    "REVISIT_PROFILES",
    "ArchivedRecord",
    "CaptureRef",
    "DamagedRecord",
    "DamagedRecordError",
    "RecoveryReport",
    "WarcWriter",
    "cdxj_lines_for_file",
    "iter_records",
    "iter_warc_paths",
    "merge_into_index",
    "read_record_at",
    "recover_file",
    "recover_open_files",
    "surt",
    "write_index",
]

"""CDXJ index of WARC files, line for line what ``cdxj-indexer`` writes.

A line is ``SURT TIMESTAMP14 {json}`` with keys in this order: ``url``, ``mime``,
``status`` (only for response/revisit records with HTTP headers), ``digest``, ``length``,
``offset``, ``filename``. All values are strings. Indexed records are those cdxj-indexer
indexes by default: ``response``, ``revisit``, ``resource`` and ``metadata`` except
resource/metadata records whose Content-Type is exactly ``application/warc-fields``
(so our JSON metadata records are indexed, with mime ``application/json``); ``mime`` is
``warc/revisit`` for revisits. The SURT key comes from the ``surt`` package, the same
function cdxj-indexer uses. Files are sorted by line (plain string order) and identical
lines are written once, as ``cdxj-indexer --sort`` does; pywb can use the index directly.

Indexing reads only record headers: bodies are never decompressed into memory.
Damaged records are left out of the index and logged on ``archive.cdxj``.

:func:`write_index` rebuilds ``WARC_DIR/index.cdxj`` from every closed WARC;
:func:`merge_into_index` adds the lines of newly closed files to an existing sorted index
(the crawler calls it from ``WarcWriter(on_file_closed=...)``). Both replace the index
atomically (temporary file + ``os.replace``).
"""

from __future__ import annotations

import heapq
import json
import logging
import os
import re
import tempfile
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path

import surt as _surt
from warcio.timeutils import iso_date_to_timestamp

from archive.members import member_end, read_member
from archive.reader import (
    HEADER_ALLOWANCE,
    _Bad,
    _decode_header,
    _get,
    _header_lines,
    _parse_warc_headers,
    iter_records,
    iter_warc_paths,
)

logger = logging.getLogger("archive.cdxj")

INDEX_NAME = "index.cdxj"
INDEXED_TYPES = ("response", "revisit", "resource", "metadata")
_MIME_SPLIT = re.compile(r"[;\s]")


def surt(url: str) -> str:
    """SURT key of ``url`` exactly as cdxj-indexer computes it (the raw URL if it fails)."""
    try:
        return _surt.surt(url)
    except Exception:  # noqa: BLE001 - cdxj-indexer falls back to the URL on any failure
        return url


def cdxj_lines_for_file(path: str | Path) -> Iterator[str]:
    """CDXJ lines (without newline) for the indexable records of one WARC, in file order."""
    path = Path(path)
    if not path.name.endswith(".gz"):
        yield from _lines_plain(path)
        return
    with open(path, "rb") as fh:
        offset = 0
        while True:
            member = read_member(fh, offset, HEADER_ALLOWANCE)
            if member.status == "ok":
                length = member.length
            elif member.status == "over-cap":
                end = member_end(fh, offset)
                if end is None:
                    logger.warning("archive: %s offset %d: damaged gzip member; index stops here", path, offset)
                    return
                length = end - offset
            elif member.status == "eof":
                return
            else:
                logger.warning("archive: %s offset %d: %s; index stops here", path, offset, member.error)
                return
            try:
                line = _line(member.data, path, offset, length)
            except _Bad as bad:
                logger.warning("archive: %s offset %d: %s; record not indexed", path, offset, bad.reason)
                line = None
            if line is not None:
                yield line
            offset += length


def write_index(warc_dir: str | Path, index_path: str | Path | None = None) -> Path:
    """Index every ``*.warc.gz`` / ``*.warc`` under ``warc_dir`` into a sorted CDXJ file.

    Default index file: ``WARC_DIR/index.cdxj``. Replaced atomically.
    """
    warc_dir = Path(warc_dir)
    index = Path(index_path) if index_path else warc_dir / INDEX_NAME
    lines: list[str] = []
    for path in iter_warc_paths([warc_dir]):
        lines.extend(line + "\n" for line in cdxj_lines_for_file(path))
    lines.sort()
    _atomic_write(index, _dedup(lines))
    return index


def merge_into_index(index_path: str | Path, warc_paths: Iterable[str | Path]) -> Path:
    """Merge the lines of ``warc_paths`` into the sorted index at ``index_path``.

    The index is created if missing; lines already present are not duplicated, so merging
    the same file twice is harmless. Replaced atomically.
    """
    index = Path(index_path)
    new = sorted(line + "\n" for p in warc_paths for line in cdxj_lines_for_file(p))
    if index.exists():
        with open(index, encoding="utf-8") as old:
            _atomic_write(index, _dedup(heapq.merge(old, new)))
    else:
        _atomic_write(index, _dedup(new))
    return index


# ---------------------------------------------------------------------- internals
def _line(data: bytes, path: Path, offset: int, length: int) -> str | None:
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        raise _Bad("bad WARC headers: no end of headers")
    warc = _parse_warc_headers(data[:head_end + 4])
    rec_type = _get(warc, "WARC-Type") or ""
    if rec_type not in INDEXED_TYPES:
        return None
    warc_ct = _get(warc, "Content-Type")
    if rec_type in ("resource", "metadata") and warc_ct == "application/warc-fields":
        return None
    url = _get(warc, "WARC-Target-URI")
    if not url:
        raise _Bad("no WARC-Target-URI")
    if url.startswith("<") and url.endswith(">"):
        url = url[1:-1]
    url = url.replace(" ", "%20")
    date = _get(warc, "WARC-Date")
    if not date:
        raise _Bad("no WARC-Date")

    http = _http_headers(data[head_end + 4:], rec_type, url, warc)
    entry: OrderedDict[str, str] = OrderedDict()
    entry["url"] = url
    if rec_type == "revisit":
        mime: str | None = "warc/revisit"
    elif rec_type == "response":
        mime = _get(http[1], "Content-Type") if http else None
    else:
        mime = warc_ct
    if mime and rec_type != "revisit":
        mime = _MIME_SPLIT.split(mime, 1)[0].strip()
    if mime is not None:
        entry["mime"] = mime
    if rec_type in ("response", "revisit") and http:
        entry["status"] = _status_code(http[0])
    digest = _get(warc, "WARC-Payload-Digest")
    if not digest and rec_type != "revisit":
        digest = _computed_digest(path, offset)
    if digest is not None:
        entry["digest"] = digest
    entry["length"] = str(length)
    entry["offset"] = str(offset)
    entry["filename"] = path.name
    return f"{surt(url)} {iso_date_to_timestamp(date)} {json.dumps(entry)}"


def _http_headers(block: bytes, rec_type: str, url: str,
                  warc: list[tuple[str, str]]) -> tuple[str, list[tuple[str, str]]] | None:
    """(status line, headers) the way warcio parses them, or None for records without."""
    if rec_type not in ("response", "revisit") or not url.startswith(("http:", "https:")):
        return None
    if _get(warc, "Content-Length") == "0" or not block:
        return None
    end = block.find(b"\r\n\r\n")
    head = block if end < 0 else block[:end]
    lines = head.split(b"\r\n")
    statusline = _decode_header(lines[0]).strip()
    try:
        headers = _header_lines(lines[1:], "HTTP")
    except _Bad:
        headers = []
    return statusline, headers


def _status_code(statusline: str) -> str:
    """warcio's ``get_statuscode``: second token of the status line."""
    parts = statusline.split(" ", 1)
    rest = parts[1].strip() if len(parts) > 1 else ""
    return rest.split(" ", 1)[0]


def _computed_digest(path: Path, offset: int) -> str | None:
    """Payload digest for a record that lacks the header (foreign files only)."""
    import base64
    import hashlib

    from archive.reader import read_record_at

    try:
        record = read_record_at(path, offset, verify_digests=False, decode_payload=False)
    except ValueError:
        return None
    return "sha1:" + base64.b32encode(hashlib.sha1(record.payload).digest()).decode()


def _lines_plain(path: Path) -> Iterator[str]:
    # Uncompressed WARCs are rare (we never write them); read records fully.
    for item in iter_records(path, verify_digests=False, decode_payload=False):
        if not hasattr(item, "rec_type"):
            logger.warning("archive: %s offset %d: %s; record not indexed", path, item.offset, item.reason)
            continue
        with open(path, "rb") as fh:
            fh.seek(item.offset)
            data = fh.read(item.length)
        try:
            line = _line(data, path, item.offset, item.length)
        except _Bad as bad:
            logger.warning("archive: %s offset %d: %s; record not indexed", path, item.offset, bad.reason)
            continue
        if line is not None:
            yield line


def _dedup(lines: Iterable[str]) -> Iterator[str]:
    last = None
    for line in lines:
        if line != last:
            yield line
        last = line


def _atomic_write(target: Path, lines: Iterable[str]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            for line in lines:
                out.write(line)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

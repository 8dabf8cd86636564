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

Records come from :func:`archive.reader.iter_records` (the one reader). Damaged records and
records without an offset of their own (several records in one gzip member) are left out of
the index, logged on ``archive.cdxj`` and handed to ``on_damage``.

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
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import surt as _surt
from warcio.timeutils import iso_date_to_timestamp

from archive.naming import apply_umask
from archive.reader import ArchivedRecord, DamagedRecord, iter_records, iter_warc_paths

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


def cdxj_lines_for_file(path: str | Path, *, on_damage: Callable[[DamagedRecord], None] | None = None,
                        max_body: int | None = None, filename: str | None = None) -> Iterator[str]:
    """CDXJ lines (without newline) for the indexable records of one archive, in file order.

    ``filename`` is the name written into the lines (default: the file's own name; a WACZ
    may package a file under another name).

    Damaged records, and records that share a gzip member with others (they have no offset
    of their own), are left out: each is logged and passed to ``on_damage`` when given.
    """
    path = Path(path)
    kwargs = {} if max_body is None else {"max_body": max_body}
    for item in iter_records(path, verify_digests=False, decode_payload=False, keep_payload=False, **kwargs):
        if isinstance(item, DamagedRecord):
            if item.lost:
                logger.warning("archive: %s: %s; record not indexed", item.where(), item.reason)
            if on_damage is not None:
                on_damage(item)
            continue
        if item.rec_type not in INDEXED_TYPES:
            continue
        if item.member is not None:  # inside a WACZ: its own index points there, a CDXJ line cannot
            continue
        if not item.addressable:
            note = DamagedRecord(item.filename, item.offset, f"{item.rec_type} record {item.url} shares its gzip "
                                 "member with other records: no offset to index (fix with: warcio recompress "
                                 "IN OUT)", item.path, True, item.member)
            logger.warning("archive: %s: %s", note.where(), note.reason)
            if on_damage is not None:
                on_damage(note)
            continue
        try:
            line = _line(item, filename or item.filename)
        except ValueError as exc:
            note = DamagedRecord(item.filename, item.offset, f"bad WARC headers: {exc}", item.path, True, item.member)
            logger.warning("archive: %s: %s; record not indexed", note.where(), note.reason)
            if on_damage is not None:
                on_damage(note)
            continue
        if line is not None:
            yield line


def write_index(warc_dir: str | Path, index_path: str | Path | None = None) -> Path:
    """Index every ``*.warc.gz`` / ``*.warc`` under ``warc_dir`` into a sorted CDXJ file.

    Default index file: ``WARC_DIR/index.cdxj``. Replaced atomically.
    """
    warc_dir = Path(warc_dir)
    index = Path(index_path) if index_path else warc_dir / INDEX_NAME
    lines: list[str] = []
    for path in iter_warc_paths([warc_dir]):
        if path.name.lower().endswith(".wacz"):  # a package carries its own index
            continue
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
def _line(record: ArchivedRecord, filename: str) -> str | None:
    """The CDXJ line cdxj-indexer writes for ``record`` (None: not indexed)."""
    rec_type = record.rec_type
    warc_ct = record.warc_header("Content-Type")
    if rec_type in ("resource", "metadata") and warc_ct == "application/warc-fields":
        return None
    url = record.url
    if not url:
        raise ValueError("no WARC-Target-URI")
    if not record.date:
        raise ValueError("no WARC-Date")
    try:
        timestamp = iso_date_to_timestamp(record.date)
    except (ValueError, TypeError):
        timestamp = ""
    if not timestamp.isdigit():
        raise ValueError(f"WARC-Date {record.date!r} is not a date")
    entry: OrderedDict[str, str] = OrderedDict()
    entry["url"] = url
    has_http = bool(record.http_statusline is not None or record.http_headers)
    if rec_type == "revisit":
        mime: str | None = "warc/revisit"
    elif rec_type == "response":
        mime = record.http_header("Content-Type") if has_http else None
    else:
        mime = warc_ct
    if mime and rec_type != "revisit":
        mime = _MIME_SPLIT.split(mime, 1)[0].strip()
    if mime:  # cdxj-indexer writes no empty field
        entry["mime"] = mime
    status = _status_code(record.http_statusline or "") if rec_type in ("response", "revisit") and has_http else ""
    if status:
        entry["status"] = status
    digest = record.payload_digest or record.stored_digest
    if digest:
        entry["digest"] = digest
    entry["length"] = str(record.length)
    entry["offset"] = str(record.offset)
    entry["filename"] = filename
    return f"{surt(url)} {timestamp} {json.dumps(entry)}"


def _status_code(statusline: str) -> str:
    """warcio's ``get_statuscode``: second token of the status line."""
    parts = statusline.split(" ", 1)
    rest = parts[1].strip() if len(parts) > 1 else ""
    return rest.split(" ", 1)[0]


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
        apply_umask(Path(tmp))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def indexed_filenames(index_path: str | Path) -> set[str] | None:
    """The ``filename`` of every line of a CDXJ index; None when the index is torn or damaged
    (a last line without its newline, or a line that is not ``SURT TIMESTAMP {json}``), so
    that it must be rebuilt. A missing index holds no file."""
    index = Path(index_path)
    if not index.exists():
        return set()
    names: set[str] = set()
    with open(index, "rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                return None
            parts = raw.split(b" ", 2)
            if len(parts) != 3 or not parts[1].isdigit():
                return None
            try:
                entry = json.loads(parts[2])
            except ValueError:
                return None
            if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str):
                return None
            names.add(entry["filename"])
    return names


def reconcile_index(warc_dir: str | Path, index_path: str | Path | None = None) -> tuple[list[Path], bool]:
    """Bring ``index.cdxj`` up to date with the closed WARC files of ``warc_dir``: merge the
    files it misses (a run killed between closing a file and indexing it), or rebuild it when
    it is lost or torn. Returns ``(files that were not indexed, rebuilt?)``; a file with no
    indexable record counts as not indexed (it adds nothing)."""
    warc_dir = Path(warc_dir)
    index = Path(index_path) if index_path else warc_dir / INDEX_NAME
    files = [p for p in iter_warc_paths([warc_dir]) if not p.name.lower().endswith(".wacz")]
    known = indexed_filenames(index)
    if known is None:
        logger.warning("archive: %s is torn or damaged; rebuilding it from %d WARC files", index, len(files))
        write_index(warc_dir, index)
        return files, True
    missing = [p for p in files if p.name not in known]
    if missing:
        merge_into_index(index, missing)
    return missing, False

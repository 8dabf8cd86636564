"""Repair ``*.warc.gz.open`` files left behind by a crash (kill -9, power loss).

For each leftover file in the directory (not recursive) :func:`recover_open_files`:

1. skips it when a live writer still holds its ``flock`` (another process is writing);
2. walks its gzip members from the start and keeps every complete member that parses as a
   WARC record, stopping at the first one that does not;
3. if not even the first record (the ``warcinfo``) is readable, moves the file unchanged to
   ``DIRECTORY/quarantine/`` (action ``"quarantined"``);
4. otherwise copies the dropped tail (if any) to ``quarantine/NAME.tail`` for inspection,
   truncates the file after the last good record (action ``"truncated"``; ``"closed"`` when
   nothing had to be cut), fsyncs it, and renames it to ``NAME.warc.gz``.

Nothing is ever overwritten: a taken final name gets a ``-rN`` suffix. A capture whose
response survived but whose request record was cut keeps its response (complete records
are kept, not whole captures). Every action is logged as a warning on the
``archive.recovery`` logger. Run it before starting a writer on the directory.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from archive.naming import OPEN_SUFFIX, fsync_directory, rename_no_overwrite
from archive.reader import DEFAULT_MAX_BODY, ArchivedRecord, iter_records

try:
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("archive.recovery")

QUARANTINE_DIR = "quarantine"


@dataclass
class RecoveryReport:
    """What recovery did to one leftover file."""

    path: Path
    action: str  # "truncated" | "closed" | "quarantined" | "skipped-in-use"
    kept_records: int
    dropped_bytes: int
    final_path: Path


def recover_open_files(directory: str | Path) -> list[RecoveryReport]:
    """Recover every ``*.warc.gz.open`` in ``directory``; one report per file."""
    directory = Path(directory)
    if not directory.is_dir():
        raise NotADirectoryError(f"WARC directory does not exist: {directory}")
    reports = []
    for path in sorted(directory.glob("*.warc.gz" + OPEN_SUFFIX)):
        if path.is_file():
            reports.append(recover_file(path))
    return reports


def recover_file(path: Path) -> RecoveryReport:
    """Recover one ``*.warc.gz.open`` file (see the module docstring)."""
    with open(path, "r+b") as fh:
        if fcntl is not None:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                logger.warning("archive: %s is still being written by a live process; left alone", path)
                return RecoveryReport(path, "skipped-in-use", 0, 0, path)
        size = os.fstat(fh.fileno()).st_size
        kept, good_end = _scan(fh, path)
        quarantine = path.parent / QUARANTINE_DIR
        if kept == 0:
            quarantine.mkdir(exist_ok=True)
            final = rename_no_overwrite(path, quarantine / path.name)
            fsync_directory(path.parent)
            logger.warning("archive: %s has no readable warcinfo record (%d bytes); moved to %s",
                           path, size, final)
            return RecoveryReport(path, "quarantined", 0, size, final)
        dropped = size - good_end
        if dropped:
            quarantine.mkdir(exist_ok=True)
            fh.seek(good_end)
            tail_path = _free(quarantine / (path.name[: -len(OPEN_SUFFIX)] + ".tail"))
            with open(tail_path, "xb") as tail:
                while chunk := fh.read(1024 * 1024):
                    tail.write(chunk)
            fh.truncate(good_end)
        fh.flush()
        os.fsync(fh.fileno())
        final = rename_no_overwrite(path, path.parent / path.name[: -len(OPEN_SUFFIX)])
    fsync_directory(path.parent)
    action = "truncated" if dropped else "closed"
    logger.warning("archive: recovered %s -> %s (%s; kept %d records, dropped %d bytes)",
                   path, final, action, kept, dropped)
    return RecoveryReport(path, action, kept, dropped, final)


def _scan(fh, path: Path) -> tuple[int, int]:  # noqa: ANN001 - binary file object
    """(number of good records from the start, offset just after the last good one).

    Uses the one reader (:func:`archive.reader.iter_records`, digests checked); a record over
    the body cap still counts as complete when its gzip member is whole."""
    kept = 0
    good_end = 0
    for item in iter_records(path, max_body=DEFAULT_MAX_BODY, decode_payload=False, keep_payload=False):
        if not isinstance(item, ArchivedRecord):
            if item.lost or item.offset < good_end or kept == 0:
                break
            continue
        if kept == 0 and item.rec_type != "warcinfo":
            return 0, 0
        if not item.addressable or item.offset != good_end:
            break
        kept += 1
        good_end = item.offset + item.length
    return kept, good_end


def _free(candidate: Path) -> Path:
    n = 1
    base = candidate
    while candidate.exists():
        candidate = base.with_name(f"{base.name}.{n}")
        n += 1
    return candidate

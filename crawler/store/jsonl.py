"""Append-only JSON-lines file of validated items that a crash cannot tear.

Each item is serialised in full first and written with one `os.write` on an `O_APPEND`
descriptor, so a killed process leaves either the whole line or none of it. Power loss can
still cut the page cache; on open, `repair_torn_tail` cuts a last line without its newline
(and logs it), so the file always holds whole lines only. A write that fails or is short (disk
full, I/O error) is cut back at once and raises `StoreError` naming the file, so every line
written before it stays valid. `fsync` runs every `fsync_every` items and on close.
"""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

from pydantic import BaseModel

from crawler.exceptions import StoreError

logger = logging.getLogger(__name__)


def repair_torn_tail(path: Path) -> int:
    """Truncate a trailing partial line; returns the number of bytes cut."""
    if not path.exists():
        return 0
    size = path.stat().st_size
    if size == 0:
        return 0
    with path.open("rb+") as fh:
        fh.seek(max(0, size - 1))
        if fh.read(1) == b"\n":
            return 0
        chunk = 1 << 16
        pos = size
        while pos > 0:
            start = max(0, pos - chunk)
            fh.seek(start)
            data = fh.read(pos - start)
            nl = data.rfind(b"\n")
            if nl >= 0:
                keep = start + nl + 1
                break
            pos = start
        else:
            keep = 0
        fh.truncate(keep)
    logger.warning("%s: cut a torn last line (%d bytes) left by an interrupted write", path, size - keep)
    return size - keep


class JsonLinesWriter:
    """Appends one JSON document per line; see module docstring for the crash guarantees."""

    def __init__(self, path: Path, *, fsync_every: int = 50) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.repaired_bytes = repair_torn_tail(self.path)
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)  # umask applies
        except OSError as exc:
            raise StoreError(exc.errno, f"cannot open items file {self.path}: {exc.strerror}") from exc
        self._pending = 0
        self.fsync_every = fsync_every
        self.written = 0

    def write(self, item: BaseModel | str) -> None:
        line = (item if isinstance(item, str) else item.model_dump_json()) + "\n"
        data = line.encode("utf-8")
        before = self._size()
        try:
            written = os.write(self._fd, data)
            if written != len(data):
                raise OSError(errno.ENOSPC, f"short write ({written} of {len(data)} bytes)")
        except OSError as exc:
            self._cut_back(before)
            raise StoreError(exc.errno, f"writing items file {self.path} failed: {exc.strerror or exc}") from exc
        self.written += 1
        self._pending += 1
        if self._pending >= self.fsync_every:
            self.sync()

    def _size(self) -> int | None:
        try:
            return os.fstat(self._fd).st_size
        except OSError:
            return None

    def _cut_back(self, size: int | None) -> None:
        """After a failed or short write, cut the file back to its last whole line."""
        if size is None:
            return
        try:
            if os.fstat(self._fd).st_size > size:
                os.ftruncate(self._fd, size)
                logger.warning("%s: cut the partial line of a failed write", self.path)
        except OSError as exc:  # a device that cannot be truncated: the next open repairs the tail
            logger.warning("%s: could not cut a partial line (%s); it is repaired on next open", self.path, exc)

    def sync(self) -> None:
        try:
            os.fsync(self._fd)
        except OSError as exc:
            raise StoreError(exc.errno, f"syncing items file {self.path} failed: {exc.strerror or exc}") from exc
        self._pending = 0

    def close(self) -> None:
        if self._fd >= 0:
            try:
                self.sync()
            finally:
                os.close(self._fd)
                self._fd = -1

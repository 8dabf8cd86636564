"""An OS-level lock on the output folder so two runs never write into it at once.

`flock(LOCK_EX | LOCK_NB)` on `OUT/.healthcrawl.lock`: the kernel drops it when the process
dies, however it dies, so a killed run never leaves a stale lock. The file records the pid
and start time of the holder, which a refused run reports.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = ".healthcrawl.lock"


class LockHeld(RuntimeError):
    """Another run holds the output folder; the message says which process."""


@contextmanager
def output_lock(out_dir: Path) -> Iterator[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown process"
            raise LockHeld(f"{out_dir} is in use by another healthcrawl run ({holder})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {dt.datetime.now().isoformat(timespec='seconds')}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)

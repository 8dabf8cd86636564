"""An OS-level lock on the output folder so two runs never write into it at once.

`flock(LOCK_EX | LOCK_NB)` on `OUT/.healthcrawl.lock`: the kernel drops it when the process
dies, however it dies, so a killed run never leaves a stale lock. The file records the pid
and start time of the holder, which a refused run reports.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crawler.exceptions import LockHeld

LOCK_NAME = ".healthcrawl.lock"


HOLDER_WAIT = 1.0   # seconds a refused run waits for a new holder to write its pid


def _holder(fd: int) -> str:
    """Who holds the lock, as the holder wrote it; a holder that has only just taken the lock
    may not have written yet, so an empty file is read again for up to HOLDER_WAIT seconds."""
    deadline = time.monotonic() + HOLDER_WAIT
    while True:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
        if text or time.monotonic() >= deadline:
            return text or "unknown process"
        time.sleep(0.02)


@contextmanager
def output_lock(out_dir: Path) -> Iterator[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)  # umask applies
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeld(f"{out_dir} is in use by another healthcrawl run ({_holder(fd)})") from None
        note = f"pid {os.getpid()} since {dt.datetime.now().isoformat(timespec='seconds')}\n".encode()
        os.pwrite(fd, note, 0)              # write, then cut: the file is never empty in between
        os.ftruncate(fd, len(note))
        yield path
    finally:
        os.close(fd)

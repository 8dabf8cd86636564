"""crawler.runs.lock.output_lock: one run per output folder; a refused run names the holder, even
one that has only just taken the lock and not yet written its pid."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

import pytest

from crawler.runs.lock import LOCK_NAME, LockHeld, output_lock


def _hold_silently(out: Path) -> int:
    """Take the lock the way a starting run does, before it writes anything."""
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def test_second_run_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    with output_lock(tmp_path / "out"):
        with pytest.raises(LockHeld, match=rf"in use by another healthcrawl run \(pid {os.getpid()} since "):
            with output_lock(tmp_path / "out"):
                pass
    with output_lock(tmp_path / "out"):     # released: the next run gets it
        pass


def test_holder_that_writes_late_is_still_named(tmp_path: Path) -> None:
    fd = _hold_silently(tmp_path / "out")
    late = threading.Timer(0.2, lambda: os.pwrite(fd, b"pid 4242 since 2026-11-25T10:00:00\n", 0))
    late.start()
    try:
        with pytest.raises(LockHeld, match=r"\(pid 4242 since"):
            with output_lock(tmp_path / "out"):
                pass
    finally:
        late.join()
        os.close(fd)


def test_holder_that_never_writes_is_an_unknown_process(tmp_path: Path) -> None:
    fd = _hold_silently(tmp_path / "out")
    try:
        started = time.monotonic()
        with pytest.raises(LockHeld, match=r"\(unknown process\)"):
            with output_lock(tmp_path / "out"):
                pass
        assert time.monotonic() - started < 5
    finally:
        os.close(fd)


def test_the_note_replaces_a_longer_old_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text("pid 1 since 2000-01-01T00:00:00 and a lot of old text after it\n")
    with output_lock(out) as path:
        assert path.read_text() == f"{path.read_text().splitlines()[0]}\n"
        assert path.read_text().startswith(f"pid {os.getpid()} since ")

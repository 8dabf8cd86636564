"""SqliteSeenStore: persistence across runs and crash safety."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from crawler.dedup.seen import SeenStore, SqliteSeenStore

T = "2024-03-01T08:00:00+00:00"


def test_is_a_seen_store(tmp_path: Path) -> None:
    store = SqliteSeenStore(tmp_path / "seen.sqlite")
    assert isinstance(store, SeenStore)
    store.close()


def test_add_has_len_and_first_entry_wins(tmp_path: Path) -> None:
    with SqliteSeenStore(tmp_path / "seen.sqlite") as store:
        assert not store.has("http://e.cn/a")
        store.add("http://e.cn/a", "aaaa", T)
        store.add("http://e.cn/a", "bbbb", "2025-01-01T00:00:00+00:00")
        store.add_many([("http://e.cn/b", None, T), ("http://e.cn/c", "cccc", T)])
        assert store.has("http://e.cn/a") and store.has("http://e.cn/b")
        assert not store.has("http://e.cn/d")
        assert len(store) == 3
        assert store.get("http://e.cn/a") == ("aaaa", T)


def test_persists_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "out" / "seen.sqlite"
    store = SqliteSeenStore(path, commit_every=7)
    store.add_many((f"http://e.cn/{i}", f"{i:016x}", T) for i in range(100))
    store.close()
    reopened = SqliteSeenStore(path)
    assert len(reopened) == 100
    assert reopened.has("http://e.cn/99") and not reopened.has("http://e.cn/100")
    reopened.close()


def test_closed_store_and_bad_input_raise(tmp_path: Path) -> None:
    store = SqliteSeenStore(tmp_path / "seen.sqlite")
    with pytest.raises(ValueError, match="empty URL"):
        store.add("", None, T)
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        store.has("http://e.cn/a")
    with pytest.raises(ValueError, match="commit_every"):
        SqliteSeenStore(tmp_path / "x.sqlite", commit_every=0)


def test_not_a_database_is_named(tmp_path: Path) -> None:
    bogus = tmp_path / "seen.sqlite"
    bogus.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ValueError, match="seen.sqlite"):
        SqliteSeenStore(bogus)


_WRITER = textwrap.dedent(
    """
    import sys
    from crawler.dedup.seen import SqliteSeenStore
    store = SqliteSeenStore(sys.argv[1], commit_every=500)
    i = 0
    while True:                      # never closes: killed from outside
        store.add(f"http://e.cn/{i}", None, "2024-03-01T08:00:00+00:00")
        i += 1
        if i == 2000:
            print("committed-some", flush=True)
    """
)


def test_kill_9_mid_batch_leaves_a_valid_database(tmp_path: Path) -> None:
    path = tmp_path / "seen.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE,
                            cwd=Path(__file__).resolve().parents[2])
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"committed-some"
        time.sleep(0.2)  # let it run into the middle of further batches
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # the file opens, passes SQLite's own check and holds whole committed batches only
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    store = SqliteSeenStore(path)
    n = len(store)
    assert n >= 2000 and n % 500 == 0
    assert store.has("http://e.cn/0") and store.has(f"http://e.cn/{n - 1}")
    assert not store.has(f"http://e.cn/{n}")
    store.add("http://e.cn/after-crash", None, T)  # and it is writable again
    store.close()
    again = SqliteSeenStore(path)
    assert len(again) == n + 1
    again.close()

"""Seen-store: the canonical URLs the crawler has already fetched, kept across runs.

`SeenStore` is the small protocol every backend implements, so the embedded default can be
swapped for a shared one (Redis, in distributed mode) without touching its callers:

    has(url) -> bool                       is this canonical URL known?
    add(url, item_id, fetched_at) -> None  record one URL (item_id None: fetched, not an article)
    add_many(entries) -> None              record many (url, item_id, fetched_at) tuples
    flush() -> None                        make everything added so far durable
    __len__() -> int                       number of distinct URLs recorded
    close() -> None                        flush and release the backend

Callers pass URLs already canonicalised with `crawler.urls.canonicalize_url`; a store never
canonicalises. Adding a URL twice keeps the first entry (first fetch wins).

`SqliteSeenStore(path)` is the embedded default: one SQLite file (``seen.sqlite`` in the output
folder) in WAL mode with ``synchronous=NORMAL``. Writes are batched: a transaction is committed
every `commit_every` adds and on `flush()`/`close()`. A process killed with SIGKILL mid-batch
loses at most the uncommitted batch; the file itself stays valid (WAL recovery on next open).
A store is used from one thread (SQLite connections are not shared between threads).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

__all__ = ["SeenStore", "SqliteSeenStore", "open_sqlite"]


@runtime_checkable
class SeenStore(Protocol):
    """Canonical URLs already fetched (see module docstring for the contract)."""

    def has(self, url: str) -> bool: ...

    def add(self, url: str, item_id: str | None, fetched_at: str) -> None: ...

    def add_many(self, entries: Iterable[tuple[str, str | None, str]]) -> None: ...

    def flush(self) -> None: ...

    def __len__(self) -> int: ...

    def close(self) -> None: ...


def open_sqlite(path: Path) -> sqlite3.Connection:
    """Open (creating) an SQLite file for crash-safe batched writing: WAL, synchronous=NORMAL.

    Raises ValueError naming the file when it exists but is not an SQLite database.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()  # created by open() with the process umask (SQLite itself would make it 0644)
    conn = sqlite3.connect(path, isolation_level=None)  # explicit BEGIN/COMMIT below
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ValueError(f"{path}: not a usable SQLite database ({exc})") from exc
    return conn


SEEN_FILENAME = "seen.sqlite"


class SqliteSeenStore:
    """Embedded seen-store in one SQLite file (default ``<out>/seen.sqlite``)."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> "SqliteSeenStore":
        """The crawl's store: ``seen.sqlite`` in `HEALTHCRAWL_OUT`, `DEDUP_COMMIT_EVERY`."""
        settings = crawler.settings
        return cls(Path(settings.get("HEALTHCRAWL_OUT")) / SEEN_FILENAME,
                   commit_every=settings.getint("DEDUP_COMMIT_EVERY"))

    def __init__(self, path: Path | str, *, commit_every: int = 1000) -> None:
        if commit_every < 1:
            raise ValueError(f"commit_every must be >= 1, got {commit_every}")
        self.path = Path(path)
        self._commit_every = commit_every
        self._pending = 0
        self._conn: sqlite3.Connection | None = open_sqlite(self.path)
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS seen ("
            " url TEXT PRIMARY KEY, item_id TEXT, fetched_at TEXT NOT NULL) WITHOUT ROWID"
        )

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"seen-store {self.path} is closed")
        return self._conn

    def has(self, url: str) -> bool:
        return self._db.execute("SELECT 1 FROM seen WHERE url = ?", (url,)).fetchone() is not None

    def get(self, url: str) -> tuple[str | None, str] | None:
        """(item_id, fetched_at) recorded for `url`, or None. Not part of the protocol."""
        row = self._db.execute("SELECT item_id, fetched_at FROM seen WHERE url = ?", (url,)).fetchone()
        return None if row is None else (row[0], row[1])

    def add(self, url: str, item_id: str | None, fetched_at: str) -> None:
        self.add_many(((url, item_id, fetched_at),))

    def add_many(self, entries: Iterable[tuple[str, str | None, str]]) -> None:
        db = self._db
        for url, item_id, fetched_at in entries:
            if not url:
                raise ValueError("seen-store: empty URL")
            if self._pending == 0:
                db.execute("BEGIN")
            db.execute(
                "INSERT OR IGNORE INTO seen (url, item_id, fetched_at) VALUES (?, ?, ?)",
                (url, item_id, fetched_at),
            )
            self._pending += 1
            if self._pending >= self._commit_every:
                self.flush()

    def flush(self) -> None:
        if self._pending:
            self._db.execute("COMMIT")
            self._pending = 0

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM seen").fetchone()[0])

    def close(self) -> None:
        if self._conn is not None:
            self.flush()
            self._conn.close()
            self._conn = None

    def __enter__(self) -> SqliteSeenStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

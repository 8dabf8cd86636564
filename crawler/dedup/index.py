"""The persistent dedup index: one SQLite file (``dedup.sqlite``) with cluster members and LSH bands.

Schema (the file is self-describing; `meta` pins the signature parameters):

- ``meta(key TEXT PRIMARY KEY, value TEXT)`` — shingle_size, num_perm, bands, rows, schema.
  Reopening with different values raises ValueError: stored signatures would not be comparable.
- ``members(id INTEGER PRIMARY KEY, item_id TEXT UNIQUE, canonical_id INTEGER, kind INTEGER,
  similarity REAL, content_key INTEGER, site, published, url, title, sig BLOB)`` — one row per
  item checked, in processing order. `canonical_id` is the `id` of its cluster's root (the root
  points at itself). `content_key` is the first 64 bits of the content hash (indexed; NULL for
  texts too short to link). `sig` is the compact 8-bit MinHash signature used to verify
  candidates (128 bytes at 128 permutations).
- ``bands(key INTEGER, item INTEGER, PRIMARY KEY (key, item)) WITHOUT ROWID`` — one row per
  LSH band of each indexed item, ``key = band << 32 | 32-bit band hash``.

Nothing but the current batch lives in Python: queries go to SQLite, so memory stays flat at
millions of articles. Writes are batched: `commit()` ends the open transaction (the facade calls
it every ``commit_every`` items and on close). WAL mode with ``synchronous=NORMAL``: a process
killed mid-batch loses that batch, never the file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from crawler.dedup.seen import open_sqlite

__all__ = ["DedupIndex", "StoredMember", "KIND_CODES", "KIND_NAMES"]

SCHEMA_VERSION = "1"
KIND_CODES = {"new": 0, "exact": 1, "near": 2}
KIND_NAMES = {code: name for name, code in KIND_CODES.items()}


@dataclass(frozen=True)
class StoredMember:
    """A members row with its cluster root resolved to the root's item id."""

    id: int
    item_id: str
    canonical_item_id: str
    kind: str
    similarity: float | None
    site: str | None
    published: str | None
    url: str | None
    title: str | None


_MEMBER_COLUMNS = (
    "m.id, m.item_id, c.item_id, m.kind, m.similarity, m.site, m.published, m.url, m.title"
)


def _member(row: Sequence[object]) -> StoredMember:
    return StoredMember(
        id=int(row[0]),  # type: ignore[call-overload]
        item_id=str(row[1]),
        canonical_item_id=str(row[2]),
        kind=KIND_NAMES[int(row[3])],  # type: ignore[call-overload]
        similarity=None if row[4] is None else float(row[4]),  # type: ignore[arg-type]
        site=row[5],  # type: ignore[arg-type]
        published=row[6],  # type: ignore[arg-type]
        url=row[7],  # type: ignore[arg-type]
        title=row[8],  # type: ignore[arg-type]
    )


class DedupIndex:
    """SQLite storage behind `Deduplicator` (see module docstring for the schema)."""

    def __init__(self, path: Path, params: dict[str, int], *, readonly: bool = False) -> None:
        self.path = path
        if readonly:
            if not path.exists():
                raise FileNotFoundError(f"no dedup index at {path}")
            self._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        else:
            self._conn = open_sqlite(path)
            self._create(params)
        self._in_tx = False

    def _create(self, params: dict[str, int]) -> None:
        c = self._conn
        c.execute("BEGIN")
        c.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        c.execute(
            "CREATE TABLE IF NOT EXISTS members ("
            " id INTEGER PRIMARY KEY, item_id TEXT NOT NULL UNIQUE, canonical_id INTEGER NOT NULL,"
            " kind INTEGER NOT NULL, similarity REAL, content_key INTEGER,"
            " site TEXT, published TEXT, url TEXT, title TEXT, sig BLOB)"
        )
        c.execute("CREATE INDEX IF NOT EXISTS members_content ON members(content_key)")
        c.execute(
            "CREATE TABLE IF NOT EXISTS bands (key INTEGER NOT NULL, item INTEGER NOT NULL,"
            " PRIMARY KEY (key, item)) WITHOUT ROWID"
        )
        wanted = {**{k: str(v) for k, v in params.items()}, "schema": SCHEMA_VERSION}
        stored = dict(c.execute("SELECT key, value FROM meta").fetchall())
        if not stored:
            c.executemany("INSERT INTO meta VALUES (?, ?)", sorted(wanted.items()))
        c.execute("COMMIT")
        for key, value in wanted.items():
            if stored and stored.get(key) != value:
                self._conn.close()
                raise ValueError(
                    f"{self.path}: built with {key}={stored.get(key)}, settings ask for {key}={value}; "
                    "use another output folder or the same dedup settings"
                )

    # -- transactions ---------------------------------------------------------------------
    def _write(self) -> sqlite3.Connection:
        if not self._in_tx:
            self._conn.execute("BEGIN")
            self._in_tx = True
        return self._conn

    def commit(self) -> None:
        if self._in_tx:
            self._conn.execute("COMMIT")
            self._in_tx = False

    def close(self) -> None:
        self.commit()
        self._conn.close()

    # -- reads ----------------------------------------------------------------------------
    def member(self, item_id: str) -> StoredMember | None:
        row = self._conn.execute(
            f"SELECT {_MEMBER_COLUMNS} FROM members m JOIN members c ON c.id = m.canonical_id"
            " WHERE m.item_id = ?",
            (item_id,),
        ).fetchone()
        return None if row is None else _member(row)

    def by_content(self, content_key: int) -> tuple[int, int, str] | None:
        """(id, canonical id, canonical item id) of the first member with this content key."""
        row = self._conn.execute(
            "SELECT m.id, m.canonical_id, c.item_id FROM members m JOIN members c"
            " ON c.id = m.canonical_id WHERE m.content_key = ? ORDER BY m.id LIMIT 1",
            (content_key,),
        ).fetchone()
        return None if row is None else (int(row[0]), int(row[1]), str(row[2]))

    def candidates(self, keys: Sequence[int]) -> list[tuple[int, int, bytes]]:
        """(id, canonical id, compact signature) of every member sharing a band key."""
        marks = ",".join("?" * len(keys))
        return [
            (int(r[0]), int(r[1]), bytes(r[2]))
            for r in self._conn.execute(
                "SELECT id, canonical_id, sig FROM members WHERE id IN"
                f" (SELECT DISTINCT item FROM bands WHERE key IN ({marks})) ORDER BY id",
                list(keys),
            )
        ]

    def item_id_of(self, member_id: int) -> str:
        row = self._conn.execute("SELECT item_id FROM members WHERE id = ?", (member_id,)).fetchone()
        if row is None:
            raise KeyError(f"{self.path}: no member with id {member_id}")
        return str(row[0])

    def clusters(self, min_size: int) -> list[tuple[StoredMember, list[StoredMember]]]:
        """(root, members in processing order) of clusters with ≥ min_size members, largest first."""
        roots = self._conn.execute(
            "SELECT canonical_id, count(*) AS n FROM members GROUP BY canonical_id"
            " HAVING n >= ? ORDER BY n DESC, canonical_id",
            (min_size,),
        ).fetchall()
        result = []
        for root_id, _n in roots:
            rows = self._conn.execute(
                f"SELECT {_MEMBER_COLUMNS} FROM members m JOIN members c ON c.id = m.canonical_id"
                " WHERE m.canonical_id = ? ORDER BY m.id",
                (root_id,),
            ).fetchall()
            members = [_member(r) for r in rows]
            result.append((members[0], members))
        return result

    def __len__(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM members").fetchone()[0])

    # -- writes ---------------------------------------------------------------------------
    def add_member(
        self,
        item_id: str,
        *,
        canonical_id: int | None,
        kind: str,
        similarity: float | None,
        content_key: int | None,
        site: str | None,
        published: str | None,
        url: str | None,
        title: str | None,
        sig: bytes | None,
    ) -> int:
        """Insert a member; canonical_id None makes it the root of a new cluster. Returns its id."""
        db = self._write()
        cur = db.execute(
            "INSERT INTO members (item_id, canonical_id, kind, similarity, content_key, site,"
            " published, url, title, sig) VALUES (?, coalesce(?, (SELECT ifnull(max(id), 0) + 1"
            " FROM members)), ?, ?, ?, ?, ?, ?, ?, ?)",
            (item_id, canonical_id, KIND_CODES[kind], similarity, content_key, site, published,
             url, title, sig),
        )
        # a root's canonical_id is max(id)+1, the id SQLite assigns to the new row
        return int(cur.lastrowid)  # type: ignore[arg-type]

    def add_bands(self, member_id: int, keys: Sequence[int]) -> None:
        self._write().executemany(
            "INSERT OR IGNORE INTO bands (key, item) VALUES (?, ?)", [(k, member_id) for k in keys]
        )

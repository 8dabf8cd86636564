"""The persistent dedup index: one SQLite file (``dedup.sqlite``) with cluster members and LSH bands.

Schema (the file is self-describing; `meta` pins the signature parameters):

- ``meta(key TEXT PRIMARY KEY, value TEXT)`` — shingle_size, num_perm, bands, rows, schema, and
  ``uid`` (random, names this index in the relink records it hands out).
  Reopening with different values raises ValueError: stored signatures would not be comparable.
- ``members(id INTEGER PRIMARY KEY, item_id TEXT UNIQUE, canonical_id INTEGER, kind INTEGER,
  similarity REAL, content_key INTEGER, site, published, url, title, sig BLOB, rank TEXT,
  cites TEXT)`` — one row per item checked, in processing order. `canonical_id` is the `id` of
  its cluster's current canonical member (which points at itself; indexed, so moving a
  cluster's canonical touches that cluster's rows only). `content_key` is the first 64 bits of
  the content hash (indexed; NULL for texts too short to link). `sig` is the compact 8-bit
  MinHash signature used to verify candidates (128 bytes at 128 permutations). `rank` and
  `cites` are what `crawler.dedup.canonical` needs to pick a cluster's original (rank key;
  outlet keys the item names as its origin, NULL for most items, partially indexed).
- ``bands(key INTEGER, item INTEGER, PRIMARY KEY (key, item)) WITHOUT ROWID`` — one row per
  LSH band of each indexed item, ``key = band << 32 | 32-bit band hash``.
- ``relinks(seq INTEGER PRIMARY KEY AUTOINCREMENT, item_id TEXT, duplicate_of TEXT)`` — the
  outbox of link changes: one row per member whose canonical moved, written in the same
  transaction as the move; `crawler.dedup.links` copies them into ``items.jsonl`` as relink
  records after the commit.

Schema 1 files (before ranks and relinks) are upgraded in place on first open for writing:
columns and tables added, every member ranked, every cluster's canonical re-picked (link
changes go to the outbox like any other) — once, in one transaction.

Nothing but the current batch lives in Python: queries go to SQLite, so memory stays flat at
millions of articles. Writes are batched: `commit()` ends the open transaction (the facade calls
it every ``commit_every`` items and on close). WAL mode with ``synchronous=NORMAL``: a process
killed mid-batch loses that batch, never the file.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from crawler.dedup.canonical import Ranked, rank_key
from crawler.dedup.seen import open_sqlite

__all__ = ["DedupIndex", "StoredMember", "KIND_CODES", "KIND_NAMES"]

SCHEMA_VERSION = "2"
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


INDEX_FILENAME = "dedup.sqlite"


@lru_cache(maxsize=8)
def _bands_insert(count: int) -> str:
    return "INSERT OR IGNORE INTO bands (key, item) VALUES " + ",".join(["(?, ?)"] * count)


class DedupIndex:
    """SQLite storage behind `Deduplicator` (see module docstring for the schema)."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> "DedupIndex":
        """The crawl's index: ``dedup.sqlite`` in `HEALTHCRAWL_OUT`, pinned to the ``DEDUP_*``
        parameters its signatures depend on."""
        from crawler.dedup.options import DedupSettings

        settings = crawler.settings
        return cls(Path(settings.get("HEALTHCRAWL_OUT")) / INDEX_FILENAME,
                   DedupSettings.from_scrapy(settings).index_params())

    def __init__(self, path: Path, params: dict[str, int], *, readonly: bool = False) -> None:
        self.path = path
        self.uid = ""
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
            " site TEXT, published TEXT, url TEXT, title TEXT, sig BLOB, rank TEXT, cites TEXT)"
        )
        c.execute(
            "CREATE TABLE IF NOT EXISTS bands (key INTEGER NOT NULL, item INTEGER NOT NULL,"
            " PRIMARY KEY (key, item)) WITHOUT ROWID"
        )
        wanted = {**{k: str(v) for k, v in params.items()}, "schema": SCHEMA_VERSION}
        stored = dict(c.execute("SELECT key, value FROM meta").fetchall())
        if not stored:
            c.executemany("INSERT INTO meta VALUES (?, ?)", sorted(wanted.items()))
            stored = dict(wanted)
        old_schema = stored.get("schema") == "1"
        if old_schema:
            c.execute("ALTER TABLE members ADD COLUMN rank TEXT")
            c.execute("ALTER TABLE members ADD COLUMN cites TEXT")
        c.execute("CREATE INDEX IF NOT EXISTS members_content ON members(content_key)")
        c.execute("CREATE INDEX IF NOT EXISTS members_canonical ON members(canonical_id)")
        c.execute("CREATE INDEX IF NOT EXISTS members_cites ON members(canonical_id) WHERE cites IS NOT NULL")
        c.execute("CREATE TABLE IF NOT EXISTS relinks (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                  " item_id TEXT NOT NULL, duplicate_of TEXT)")
        c.execute("INSERT OR IGNORE INTO meta VALUES ('uid', ?)", (uuid.uuid4().hex,))
        self.uid = str(c.execute("SELECT value FROM meta WHERE key = 'uid'").fetchone()[0])
        self._in_tx = True
        if old_schema:
            self._upgrade_from_1()
            c.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA_VERSION,))
            stored["schema"] = SCHEMA_VERSION
        c.execute("COMMIT")
        self._in_tx = False
        for key, value in wanted.items():
            if stored.get(key) != value:
                self._conn.close()
                raise ValueError(
                    f"{self.path}: built with {key}={stored.get(key)}, settings ask for {key}={value}; "
                    "use another output folder or the same dedup settings"
                )

    def _upgrade_from_1(self) -> None:
        """Rank every member (fetch time unknown in schema 1) and re-pick every cluster's canonical."""
        from crawler.dedup.canonical import pick_canonical

        c = self._conn
        rows = c.execute("SELECT id, published, url FROM members").fetchall()
        c.executemany("UPDATE members SET rank = ? WHERE id = ?",
                      [(rank_key(pub, None, url or ""), mid) for mid, pub, url in rows])
        roots = [r[0] for r in c.execute("SELECT canonical_id FROM members GROUP BY canonical_id HAVING count(*) > 1")]
        for root in roots:
            winner = pick_canonical(self.cluster_ranked(root))
            self.move(root, winner.id)

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

    def ranked(self, member_id: int) -> Ranked:
        """What the canonical rule needs of one member."""
        row = self._conn.execute("SELECT id, site, rank, cites FROM members WHERE id = ?", (member_id,)).fetchone()
        if row is None:
            raise KeyError(f"{self.path}: no member with id {member_id}")
        return Ranked(int(row[0]), row[1], str(row[2] or ""), row[3])

    def cluster_ranked(self, canonical_id: int) -> list[Ranked]:
        """Every member of the cluster whose canonical is `canonical_id`, for the canonical rule."""
        return [Ranked(int(r[0]), r[1], str(r[2] or ""), r[3]) for r in self._conn.execute(
            "SELECT id, site, rank, cites FROM members WHERE canonical_id = ?", (canonical_id,))]

    def canonical_and_cites(self, canonical_id: int) -> tuple[Ranked, frozenset[str]]:
        """The cluster's canonical member and the outlet keys its members name, in one query."""
        current: Ranked | None = None
        found: set[str] = set()
        for row in self._conn.execute(
                "SELECT id, site, rank, cites, item_id FROM members WHERE id = ?1 UNION ALL"
                " SELECT id, NULL, NULL, cites, NULL FROM members WHERE canonical_id = ?1 AND cites IS NOT NULL",
                (canonical_id,)):
            if current is None:
                current = Ranked(int(row[0]), row[1], str(row[2] or ""), row[3], row[4])
            if row[3]:
                found.update(str(row[3]).split("|"))
        if current is None:
            raise KeyError(f"{self.path}: no member with id {canonical_id}")
        return current, frozenset(found)

    def cluster_cites(self, canonical_id: int) -> frozenset[str]:
        """Outlet keys named by members of the cluster (a partial index: cost ∝ citing members)."""
        found: set[str] = set()
        for (cites,) in self._conn.execute(
                "SELECT cites FROM members WHERE canonical_id = ? AND cites IS NOT NULL", (canonical_id,)):
            found.update(str(cites).split("|"))
        return frozenset(found)

    def relinks_after(self, seq: int, limit: int = 10_000) -> list[tuple[int, str, str | None]]:
        """(seq, item id, new duplicate_of) of link changes after `seq`, oldest first."""
        return [(int(r[0]), str(r[1]), r[2]) for r in self._conn.execute(
            "SELECT seq, item_id, duplicate_of FROM relinks WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit))]

    def clusters(self, min_size: int) -> list[tuple[StoredMember, list[StoredMember]]]:
        """(canonical, members: canonical first, then processing order) of clusters with ≥ min_size
        members, largest first."""
        roots = self._conn.execute(
            "SELECT canonical_id, count(*) AS n FROM members GROUP BY canonical_id"
            " HAVING n >= ? ORDER BY n DESC, canonical_id",
            (min_size,),
        ).fetchall()
        result = []
        for root_id, _n in roots:
            rows = self._conn.execute(
                f"SELECT {_MEMBER_COLUMNS} FROM members m JOIN members c ON c.id = m.canonical_id"
                " WHERE m.canonical_id = ? ORDER BY m.id != m.canonical_id, m.id",
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
        rank: str = "",
        cites: str | None = None,
    ) -> int:
        """Insert a member; canonical_id None makes it the root of a new cluster. Returns its id."""
        db = self._write()
        cur = db.execute(
            "INSERT INTO members (item_id, canonical_id, kind, similarity, content_key, site,"
            " published, url, title, sig, rank, cites) VALUES (?, coalesce(?, (SELECT ifnull(max(id), 0) + 1"
            " FROM members)), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (item_id, canonical_id, KIND_CODES[kind], similarity, content_key, site, published,
             url, title, sig, rank, cites),
        )
        # a root's canonical_id is max(id)+1, the id SQLite assigns to the new row
        return int(cur.lastrowid)  # type: ignore[arg-type]

    def add_bands(self, member_id: int, keys: Sequence[int]) -> None:
        """One row per band key of the member, in one statement (cheaper than executemany)."""
        if not keys:
            return
        params: list[int] = []
        for key in keys:
            params += (key, member_id)
        self._write().execute(_bands_insert(len(keys)), params)

    def move(self, from_canonical: int, to_member: int, skip: int | None = None) -> int:
        """Point every member of the cluster of `from_canonical` at `to_member` and queue a relink
        record for each of them (but `skip`: the item being checked, whose line is not written
        yet). Returns how many members moved."""
        if from_canonical == to_member:
            return 0
        db = self._write()
        rows = db.execute("SELECT id, item_id FROM members WHERE canonical_id = ?", (from_canonical,)).fetchall()
        if not rows:
            return 0
        db.execute("UPDATE members SET canonical_id = ? WHERE canonical_id = ?", (to_member, from_canonical))
        target = self.item_id_of(to_member)
        db.executemany("INSERT INTO relinks (item_id, duplicate_of) VALUES (?, ?)",
                       [(item, None if mid == to_member else target) for mid, item in rows if mid != skip])
        return len(rows)

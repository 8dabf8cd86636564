"""What the archive already holds, for revisits and conditional requests.

Kept in `OUT/captures.sqlite`:
- `digests`: payload digest → the response record that first stored that payload, so a
  re-fetch returning the same bytes is written as a `revisit` (identical-payload-digest)
  instead of a second copy.
- `validators`: URL → ETag / Last-Modified of its last 200 response and where that response
  is, so listing, feed and sitemap requests are sent as conditional requests and a 304 is
  written as a `server-not-modified` revisit referring to that response.

Durability rules: digests become visible to later runs when the WARC file holding their record
is closed (a record lost to a crash is never referred to); validators are committed only when
a run finishes normally, so a run killed half-way does not turn the next run's listing requests
into 304s that hide the articles it never fetched.

Until their file is closed, digests wait in `pending_digests`, a TEMP table of this connection
(SQLite's page cache, spilled to a temporary file): a WARC file holds up to `ARCHIVE_MAX_SIZE`
of captures, tens of thousands of pages, whose digests would otherwise stay in Python memory
(~0.5 KB each) for the whole run. A crash loses the TEMP table with the process, as it should.
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from archive.writer import CaptureRef

FILENAME = "captures.sqlite"


def payload_digest(body: bytes) -> str:
    """WARC payload digest of an entity body: `sha1:` + base32."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


@dataclass(frozen=True)
class Stored:
    url: str
    ref: CaptureRef


@dataclass(frozen=True)
class Validators:
    etag: str | None
    last_modified: str | None
    stored: Stored


def publish_file(out_dir: Path, warc_path: Path) -> int:
    """Publish the payload digests of every 200 response record of the closed WARC file
    `warc_path` into `OUT/captures.sqlite`, read from the file itself: for files closed by a
    run that died before it could publish them (killed at the rename, or recovered from
    `.open`). Earlier entries win (the record that first stored a payload stays the one
    revisits refer to). Uses its own connection, so it can run off the reactor thread while the
    crawl's `CaptureIndex` works. Returns how many records were published or already known."""
    from archive.reader import ArchivedRecord, iter_records

    rows = [(r.payload_digest, r.url, r.filename, r.offset, r.length, r.record_id, r.date)
            for r in iter_records(warc_path, verify_digests=False, decode_payload=False, keep_payload=False)
            if isinstance(r, ArchivedRecord) and r.rec_type == "response" and r.http_status == 200
            and r.payload_digest and r.url and r.addressable]
    db = sqlite3.connect(out_dir / FILENAME, timeout=60, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT OR IGNORE INTO digests VALUES (?,?,?,?,?,?,?)", rows)
        db.execute("COMMIT")
    finally:
        db.close()
    return len(rows)


class CaptureIndex:
    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / FILENAME
        self.path.touch()  # operator (issue 20): created with the process umask (SQLite would make it 0644)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS digests (digest TEXT PRIMARY KEY, url TEXT, filename TEXT,"
                         " offset INTEGER, length INTEGER, record_id TEXT, date TEXT)")
        self._db.execute("CREATE TABLE IF NOT EXISTS validators (url TEXT PRIMARY KEY, etag TEXT,"
                         " last_modified TEXT, filename TEXT, offset INTEGER, length INTEGER, record_id TEXT,"
                         " digest TEXT, date TEXT)")
        # digests of records in files not closed yet (see module docstring): this connection only
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS pending_digests (digest TEXT PRIMARY KEY, url TEXT,"
                         " filename TEXT, offset INTEGER, length INTEGER, record_id TEXT, date TEXT)")
        self._db.execute("CREATE INDEX IF NOT EXISTS temp.pending_digests_file ON pending_digests(filename)")
        self._pending_validators: dict[str, tuple[str | None, str | None, Stored]] = {}

    # -- digests -----------------------------------------------------------------------
    def find_payload(self, digest: str) -> Stored | None:
        """The first stored record with this payload digest: this run's (file still open) first."""
        for table in ("temp.pending_digests", "main.digests"):
            row = self._db.execute(f"SELECT url, filename, offset, length, record_id, date FROM {table}"
                                   " WHERE digest=?", (digest,)).fetchone()
            if row is not None:
                return Stored(row[0], CaptureRef(row[1], row[2], row[3], row[4], digest, row[5]))
        return None

    def add_payload(self, url: str, ref: CaptureRef) -> None:
        """Remember where this payload was first stored (published when its file closes)."""
        self._db.execute("INSERT OR IGNORE INTO temp.pending_digests VALUES (?,?,?,?,?,?,?)",
                         (ref.payload_digest, url, ref.filename, ref.offset, ref.length, ref.record_id, ref.date))

    def pending_payloads(self) -> int:
        """Digests waiting for their WARC file to close."""
        return int(self._db.execute("SELECT count(*) FROM temp.pending_digests").fetchone()[0])

    def file_closed(self, path: Path) -> None:
        """The WARC file `path` is closed: its records are durable, publish their digests."""
        name = path.name
        self._db.execute("BEGIN")
        self._db.execute("INSERT OR IGNORE INTO main.digests SELECT digest, url, filename, offset, length,"
                         " record_id, date FROM temp.pending_digests WHERE filename=?", (name,))
        self._db.execute("DELETE FROM temp.pending_digests WHERE filename=?", (name,))
        self._db.execute("COMMIT")

    # -- validators --------------------------------------------------------------------
    def validators(self, url: str) -> Validators | None:
        row = self._db.execute("SELECT etag, last_modified, filename, offset, length, record_id, digest, date"
                               " FROM validators WHERE url=?", (url,)).fetchone()
        if row is None:
            return None
        return Validators(row[0], row[1], Stored(url, CaptureRef(row[2], row[3], row[4], row[5], row[6], row[7])))

    def remember(self, url: str, etag: str | None, last_modified: str | None, stored: Stored) -> None:
        if etag or last_modified:
            self._pending_validators[url] = (etag, last_modified, stored)

    def commit_validators(self) -> int:
        rows = [(url, e, lm, s.ref.filename, s.ref.offset, s.ref.length, s.ref.record_id, s.ref.payload_digest,
                 s.ref.date) for url, (e, lm, s) in self._pending_validators.items()]
        self._db.executemany("INSERT OR REPLACE INTO validators VALUES (?,?,?,?,?,?,?,?,?)", rows)
        self._pending_validators.clear()
        return len(rows)

    def close(self) -> None:
        self._db.close()

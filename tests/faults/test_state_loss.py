"""Lost, emptied, damaged or outdated state in the output folder — the seen-store, the dedup
index, the capture index, index.cdxj, runs.jsonl — recovers by itself on the next run, which
stores nothing twice and leaves the folder as one uninterrupted run would."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.faults import cdxj_indexer_lines, check_invariants, item_lines, render, run


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from crawler.demo.server import DemoServer

    root = tmp_path_factory.mktemp("state")
    with DemoServer(port=0) as server:
        specs = render(server.base_url, root / "specs")
        done = root / "done"
        code, stdout, stderr = run(specs, done, "-s", "ARCHIVE_MAX_SIZE=60000")
        assert code == 0, stdout + stderr
        yield {"specs": specs, "done": done, "reference": item_lines(done), "server": server}


def _copy(site: dict[str, Any], tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(site["done"], out)
    return out


def _rerun(site: dict[str, Any], out: Path) -> tuple[str, str]:
    code, stdout, stderr = run(site["specs"], out, "-s", "ARCHIVE_MAX_SIZE=60000")
    assert code == 0, stdout[-2000:] + stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    problems = check_invariants(out, site["reference"])
    assert not problems, problems
    return stdout, stderr


@pytest.mark.parametrize("how", ["deleted", "emptied", "garbage"])
def test_seen_store_lost_is_rebuilt_from_all_items(site: dict[str, Any], tmp_path: Path, how: str) -> None:
    out = _copy(site, tmp_path)
    seen = out / "seen.sqlite"
    for extra in ("-wal", "-shm"):
        (out / f"seen.sqlite{extra}").unlink(missing_ok=True)
    if how == "deleted":
        seen.unlink()
    elif how == "emptied":
        db = sqlite3.connect(seen)
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            db.execute(f"DELETE FROM {table}")
        db.commit()
        db.close()
    else:
        seen.write_bytes(b"this is not a database" * 100)
    _, stderr = _rerun(site, out)
    if how == "garbage":
        assert str(seen) in stderr and "moved aside" in stderr, stderr[-2000:]
        assert list(out.glob("seen.sqlite.damaged-*"))
    assert "robots.txt" not in stderr


def test_seen_store_behind_by_more_than_256_lines(site: dict[str, Any], tmp_path: Path) -> None:
    """An older copy of the seen-store (restored from a backup) knows only the first items."""
    out = _copy(site, tmp_path)
    db = sqlite3.connect(out / "seen.sqlite")
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    keep = {i["canonical_url"] for i in site["reference"][:5]}
    for table in tables:
        columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
        if "url" in columns:
            rows = [r[0] for r in db.execute(f"SELECT url FROM {table}")]
            db.executemany(f"DELETE FROM {table} WHERE url=?", [(u,) for u in rows if u not in keep])
    db.commit()
    db.close()
    _rerun(site, out)


@pytest.mark.parametrize("name", ["captures.sqlite", "dedup.sqlite"])
def test_damaged_sqlite_is_named_and_recreated(site: dict[str, Any], tmp_path: Path, name: str) -> None:
    out = _copy(site, tmp_path)
    path = out / name
    for extra in ("-wal", "-shm"):
        (out / f"{name}{extra}").unlink(missing_ok=True)
    data = bytearray(path.read_bytes())
    data[:100] = b"\xff" * 100          # the header is gone
    path.write_bytes(bytes(data))
    _, stderr = _rerun(site, out)
    assert str(path) in stderr and "moved aside" in stderr, stderr[-2000:]
    assert "robots.txt" not in stderr.lower(), stderr[-2000:]


@pytest.mark.parametrize("how", ["deleted", "torn", "missing-a-file"])
def test_index_lost_torn_or_behind_is_rebuilt(site: dict[str, Any], tmp_path: Path, how: str) -> None:
    out = _copy(site, tmp_path)
    index = out / "warc" / "index.cdxj"
    lines = index.read_text("utf-8").splitlines(keepends=True)
    if how == "deleted":
        index.unlink()
    elif how == "torn":
        index.write_text("".join(lines[:-3]) + lines[-3][: len(lines[-3]) // 2], encoding="utf-8")
    else:   # killed between closing a file and indexing it
        last = sorted({json.loads(line.split(" ", 2)[2])["filename"] for line in lines})[-1]
        index.write_text("".join(line for line in lines if f'"filename": "{last}"' not in line), encoding="utf-8")
    _rerun(site, out)
    assert index.read_text("utf-8").splitlines() == cdxj_indexer_lines(out / "warc")


def test_digests_of_an_unindexed_file_are_published(site: dict[str, Any], tmp_path: Path) -> None:
    """A run killed at the rename never published the digests of its last file: the next run
    reads them from the file, so the same payloads are written as revisits, not again in full."""
    out = _copy(site, tmp_path)
    index = out / "warc" / "index.cdxj"
    lines = index.read_text("utf-8").splitlines(keepends=True)
    last = sorted({json.loads(line.split(" ", 2)[2])["filename"] for line in lines})[-1]
    index.write_text("".join(line for line in lines if f'"filename": "{last}"' not in line), encoding="utf-8")
    db = sqlite3.connect(out / "captures.sqlite")
    lost = db.execute("DELETE FROM digests WHERE filename=?", (last,)).rowcount
    db.commit()
    db.close()
    assert lost > 0
    _rerun(site, out)
    db = sqlite3.connect(out / "captures.sqlite")
    assert db.execute("SELECT count(*) FROM digests WHERE filename=?", (last,)).fetchone()[0] == lost
    db.close()


def test_torn_runs_history_line_is_repaired(site: dict[str, Any], tmp_path: Path) -> None:
    out = _copy(site, tmp_path)
    history = out / "runs.jsonl"
    history.write_bytes(history.read_bytes() + b'{"kind": "harvest", "started": "2026-')
    _rerun(site, out)
    rows = [json.loads(line) for line in history.read_text("utf-8").splitlines()]
    assert len(rows) == 2 and rows[-1]["exit_code"] == 0


def test_archived_but_not_stored_items_point_at_responses(site: dict[str, Any], tmp_path: Path) -> None:
    """A clean stop between an archive write and its item: the pages are in the archive, the
    items are not. The next run fetches them again, writes revisits (same payload), and the
    items must point at the response records holding the payload, not at the revisits."""
    out = _copy(site, tmp_path)
    items = out / "items.jsonl"
    lines = items.read_bytes().split(b"\n")
    kept = [line for line in lines if line][: len(site["reference"]) // 2]
    items.write_bytes(b"".join(line + b"\n" for line in kept))
    for name in ("seen.sqlite", "dedup.sqlite"):
        for extra in ("", "-wal", "-shm"):
            (out / f"{name}{extra}").unlink(missing_ok=True)
    db = sqlite3.connect(out / "captures.sqlite")   # a stopped run commits no validators
    db.execute("DELETE FROM validators")
    db.commit()
    db.close()
    before = {p.name for p in (out / "warc").glob("*.warc.gz")}
    _rerun(site, out)
    stored = item_lines(out)
    assert len(stored) == len(site["reference"])
    from archive.reader import ArchivedRecord, iter_records

    refetched = {i["url"] for i in site["reference"]} - {json.loads(line).get("url") for line in kept}
    revisits = {r.url for p in (out / "warc").glob("*.warc.gz") if p.name not in before
                for r in iter_records(p, keep_payload=False) if isinstance(r, ArchivedRecord) and r.rec_type == "revisit"}
    assert refetched & revisits, "the refetched pages were not written as revisits: nothing was tested"


def test_seen_store_lost_in_a_folder_of_many_items(site: dict[str, Any], tmp_path: Path) -> None:
    """600 stored items (more than any tail window) and no seen-store: every one is recorded
    again before the crawl starts, so none is fetched or stored twice."""
    out = _copy(site, tmp_path)
    items = out / "items.jsonl"
    lines = [line for line in items.read_bytes().split(b"\n") if line and b'"kind":"relink"' not in line]
    extra = []
    for n in range(600):
        item = json.loads(lines[n % len(lines)])
        item["id"] = f"{n:016x}"
        item["url"] = item["canonical_url"] = f"http://old.example.cn/archive/{n}.html"
        extra.append(json.dumps(item, ensure_ascii=False).encode("utf-8"))
    items.write_bytes(b"".join(line + b"\n" for line in extra) + items.read_bytes())
    for name in ("seen.sqlite", "dedup.sqlite"):
        for suffix in ("", "-wal", "-shm"):
            (out / f"{name}{suffix}").unlink(missing_ok=True)
    _, stderr = _rerun_many(site, out)
    db = sqlite3.connect(out / "seen.sqlite")
    known = {row[0] for row in db.execute("SELECT url FROM seen")}
    db.close()
    assert {f"http://old.example.cn/archive/{n}.html" for n in range(600)} <= known
    assert "recorded again" in stderr


def _rerun_many(site: dict[str, Any], out: Path) -> tuple[str, str]:
    code, stdout, stderr = run(site["specs"], out, "-s", "ARCHIVE_MAX_SIZE=60000")
    assert code == 0, stdout[-2000:] + stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    stored = item_lines(out)
    ids = [i["id"] for i in stored]
    assert len(ids) == len(set(ids)) == 600 + len(site["reference"])
    return stdout, stderr

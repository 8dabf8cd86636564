"""Disk full and I/O errors while writing items or WARC records: a clear error naming the file,
everything written before it still valid; and an item never exists before its WARC record."""

from __future__ import annotations

import errno
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.hardening import crawl, items
from support.servers import HostileServer, article_routes, index_page

from archive.reader import ArchivedRecord, iter_records, read_record_at
from archive.writer import WarcWriter
from crawler.store import jsonl
from crawler.store.jsonl import JsonLinesWriter, StoreError


def _fail_after(monkeypatch: pytest.MonkeyPatch, good: int, *, short: bool = False) -> None:
    """Let `good` os.write calls through, then fail (ENOSPC) or write half (short write)."""
    real = os.write
    calls = {"n": 0}

    def write(fd: int, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] <= good:
            return real(fd, data)
        if short:
            return real(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(jsonl.os, "write", write)


@pytest.mark.parametrize("short", [False, True], ids=["enospc", "short-write"])
def test_items_writer_disk_full(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, short: bool) -> None:
    path = tmp_path / "items.jsonl"
    writer = JsonLinesWriter(path)
    _fail_after(monkeypatch, 3, short=short)
    for n in range(3):
        writer.write(json.dumps({"n": n, "text": "卫生" * 100}))
    with pytest.raises(StoreError) as info:
        writer.write(json.dumps({"n": 3, "text": "卫生" * 100}))
    assert str(path) in str(info.value)
    assert info.value.errno == errno.ENOSPC
    monkeypatch.undo()
    writer.close()
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""  # ends with a whole line
    assert [json.loads(line)["n"] for line in lines[:-1]] == [0, 1, 2]


def test_items_writer_fsync_error_names_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    writer = JsonLinesWriter(tmp_path / "items.jsonl")
    monkeypatch.setattr(jsonl.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.EIO, "I/O error")))
    with pytest.raises(StoreError, match="items.jsonl"):
        writer.sync()


class _FullFile(io.BufferedWriter):
    """A file object that accepts `budget` bytes, then fails with ENOSPC."""

    budget = 0

    def write(self, data: Any) -> int:
        if _FullFile.budget < len(data):
            raise OSError(errno.ENOSPC, "No space left on device")
        _FullFile.budget -= len(data)
        return super().write(data)


def _capture(writer: WarcWriter, n: int) -> Any:
    return writer.write_capture(url=f"http://a.cn/{n}.html", method="GET", request_headers=[("Host", "a.cn")],
                                request_body=b"", status=200, reason="OK",
                                response_headers=[("Content-Type", "text/html")], body=b"<p>x</p>" * 500,
                                http_version="HTTP/1.1")


def test_warc_writer_disk_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "warc"
    folder.mkdir()
    writer = WarcWriter(folder, prefix="t", max_size=10_000_000)
    refs = [_capture(writer, n) for n in range(3)]
    fh = writer._fh  # noqa: SLF001 - simulate the device filling up under the open file
    assert fh is not None
    _FullFile.budget = 100
    full = _FullFile(fh.raw if hasattr(fh, "raw") else fh)
    monkeypatch.setattr(writer, "_fh", full)
    with pytest.raises(OSError) as info:
        _capture(writer, 3)
    assert "t-" in str(info.value) and ".warc.gz" in str(info.value), f"error does not name the file: {info.value}"
    path = writer.current_path
    assert path is not None
    for ref in refs:
        assert read_record_at(path, ref.offset).url == f"http://a.cn/{refs.index(ref)}.html"
    damaged = [r for r in iter_records(path) if not isinstance(r, ArchivedRecord)]
    assert damaged == [], "a partial record was left in the WARC"


def test_crawl_on_full_disk_stops_with_store_error(tmp_path: Path) -> None:
    routes = article_routes(2)
    routes["/"] = index_page(["/good/0.html", "/good/1.html"])
    out = tmp_path / "out"
    with HostileServer(routes) as srv:
        res = crawl(out, srv.url("/"), extra=["-s", "STORE_ITEMS_FILE=/dev/full"])
    assert res.code == 1, res.output[-3000:]
    assert "/dev/full" in res.stderr and "No space left" in res.stderr
    assert "store-error" in res.output


@pytest.fixture(scope="module")
def normal_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    routes = article_routes(4)
    routes["/"] = index_page([f"/good/{n}.html" for n in range(4)])
    out = tmp_path_factory.mktemp("order") / "out"
    with HostileServer(routes) as srv:
        res = crawl(out, srv.url("/"))
        assert res.code == 0, res.output[-3000:]
    yield out


def test_every_item_points_at_its_response_record(normal_crawl: Path) -> None:
    stored = items(normal_crawl)
    assert len(stored) == 4
    for item in stored:
        path = normal_crawl / "warc" / item["warc_filename"]
        if not path.exists():
            path = path.with_name(path.name + ".open")
        record = read_record_at(path, item["warc_offset"])
        assert record.rec_type == "response" and record.url == item["url"] and record.http_status == 200

"""Replay of damaged WARCs: whole-file gzip instead of one member per record, a flipped payload
byte (digest mismatch), a file cut mid-record, a bogus Content-Length — each reported with file
and offset, the rest replayed, exit status 1."""

from __future__ import annotations

import gzip
import re
import shutil
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.hardening import crawl, items, run_cli
from support.servers import HostileServer, article_routes, index_page

from archive.reader import ArchivedRecord, iter_records

PAGES = 4


@pytest.fixture(scope="module")
def warc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    routes = article_routes(PAGES)
    routes["/"] = index_page([f"/good/{n}.html" for n in range(PAGES)])
    out = tmp_path_factory.mktemp("replay") / "out"
    with HostileServer(routes) as srv:
        res = crawl(out, srv.url("/"))
    assert res.code == 0, res.output[-3000:]
    assert len(items(out)) == PAGES
    files = sorted((out / "warc").glob("*.warc.gz"))
    assert len(files) == 1
    yield files[0]


def _response(path: Path, name: str) -> ArchivedRecord:
    for record in iter_records(path):
        if isinstance(record, ArchivedRecord) and record.rec_type == "response" and (record.url or "").endswith(name):
            return record
    raise AssertionError(f"no response for {name} in {path}")


def _replace_member(data: bytes, record: ArchivedRecord, change: "callable") -> bytes:  # type: ignore[valid-type]
    member = data[record.offset: record.offset + record.length]
    raw = change(gzip.decompress(member))
    comp = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return data[: record.offset] + comp.compress(raw) + comp.flush() + data[record.offset + record.length:]


def _replay(src: Path, tmp_path: Path) -> tuple[object, int]:
    res = run_cli("replay", str(src), "--out", str(tmp_path / "replayed"))
    return res, len(items(tmp_path / "replayed"))


def _damaged(tmp_path: Path, warc: Path, data: bytes) -> Path:
    bad = tmp_path / warc.name
    bad.write_bytes(data)
    return bad


def test_intact_file_replays_everything(warc: Path, tmp_path: Path) -> None:
    res, count = _replay(warc, tmp_path)
    assert res.code == 0 and count == PAGES, res.output  # type: ignore[attr-defined]


def test_flipped_payload_byte(warc: Path, tmp_path: Path) -> None:
    target = _response(warc, "/good/1.html")
    data = _replace_member(warc.read_bytes(), target, lambda raw: raw.replace("第1篇第3段".encode(), "第1篇第8段".encode()))
    res, count = _replay(_damaged(tmp_path, warc, data), tmp_path)
    assert res.code == 1, res.output  # type: ignore[attr-defined]
    assert re.search(rf"{re.escape(warc.name)} at offset {target.offset}: .*digest mismatch", res.stdout)  # type: ignore[attr-defined]
    assert count == PAGES - 1


def test_bogus_content_length(warc: Path, tmp_path: Path) -> None:
    target = _response(warc, "/good/2.html")
    data = _replace_member(warc.read_bytes(), target,
                           lambda raw: re.sub(rb"Content-Length: \d+", b"Content-Length: 99999999", raw, count=1))
    res, count = _replay(_damaged(tmp_path, warc, data), tmp_path)
    assert res.code == 1, res.output  # type: ignore[attr-defined]
    assert f"{warc.name} at offset {target.offset}" in res.stdout  # type: ignore[attr-defined]
    assert count == PAGES - 1


def test_file_cut_mid_record(warc: Path, tmp_path: Path) -> None:
    data = warc.read_bytes()
    records = [r for r in iter_records(warc) if isinstance(r, ArchivedRecord)]
    last = records[-1]
    res, count = _replay(_damaged(tmp_path, warc, data[: last.offset + last.length // 2]), tmp_path)
    assert res.code == 1, res.output  # type: ignore[attr-defined]
    assert f"{warc.name} at offset {last.offset}: truncated record" in res.stdout  # type: ignore[attr-defined]
    assert count >= PAGES - 1  # only what the cut record held is lost


def test_whole_file_gzip(warc: Path, tmp_path: Path) -> None:
    """Whole-file gzip loses nothing: every record is read (streamed), with a note naming the
    fix for tools that need offsets; no record lost, so exit 0."""
    data = gzip.compress(gzip.decompress(warc.read_bytes()))
    res, count = _replay(_damaged(tmp_path, warc, data), tmp_path)
    assert res.code == 0, res.output  # type: ignore[attr-defined]
    assert count == PAGES
    assert f"{warc.name} at offset 0: not one record per gzip member" in res.output  # type: ignore[attr-defined]
    assert "warcio recompress" in res.output  # type: ignore[attr-defined]


def test_damaged_file_next_to_good_one(warc: Path, tmp_path: Path) -> None:
    folder = tmp_path / "two"
    folder.mkdir()
    shutil.copy(warc, folder / "a-good.warc.gz")
    data = warc.read_bytes()
    (folder / "b-cut.warc.gz").write_bytes(data[: len(data) // 3])
    res, count = _replay(folder, tmp_path)
    assert res.code == 1
    assert "b-cut.warc.gz at offset" in res.stdout  # type: ignore[attr-defined]
    assert count == PAGES

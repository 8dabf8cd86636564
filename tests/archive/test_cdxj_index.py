"""archive.cdxj: our CDXJ must equal cdxj-indexer's output on the files we write."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import pytest
from support.archives import capture

from archive.cdxj import cdxj_lines_for_file, merge_into_index, surt, write_index
from archive.writer import WarcWriter

cdxj_indexer = pytest.importorskip("cdxj_indexer.main", reason="pip install cdxj-indexer (test extra)")

URLS = [
    "https://news.example.cn/health/2026/11/a.html?id=7",
    "http://WWW.Example.CN:80/Path/%E5%81%A5?b=2&a=1#frag",
    "https://gov.example.cn:8443/wjw/index.html",
    "https://news.example.cn/",
]


def reference_lines(inputs: list[Path], sort: bool = False) -> list[str]:
    out = io.StringIO()
    cdxj_indexer.write_cdx_index(out, [str(p) for p in inputs], {"sort": sort})
    return out.getvalue().splitlines()


def build_archive(directory: Path) -> list[Path]:
    writer = WarcWriter(directory, max_size=3000, host_tag="news.example.cn")
    for i, url in enumerate(URLS):
        ref, _ = capture(writer, url=url, gzip_body=i % 2 == 0,
                         extra_response_headers=[("Content-Type", "text/html ; charset=gbk")] if i == 3 else [])
        writer.write_metadata(url=url, refers_to=ref, fields={"n": i})
        writer.write_revisit(url=url, method="GET", request_headers=[], request_body=b"", status=304,
                             reason="Not Modified", response_headers=[], refers_to=ref, refers_to_url=url,
                             profile="server-not-modified")
    ref, _ = capture(writer, url="https://news.example.cn/nomime", gzip_body=False, status=404)
    writer.close()
    return writer.closed_files


def test_lines_equal_cdxj_indexer_per_file(tmp_path: Path) -> None:
    files = build_archive(tmp_path)
    assert len(files) >= 2
    total = 0
    for path in files:
        ours = list(cdxj_lines_for_file(path))
        assert ours == reference_lines([path]), path.name
        total += len(ours)
    assert total == 4 * 3 + 1  # response, metadata, revisit per URL (+1): no warcinfo, no request


def test_write_index_equals_sorted_cdxj_indexer(tmp_path: Path) -> None:
    files = build_archive(tmp_path)
    index = write_index(tmp_path)
    assert index == tmp_path / "index.cdxj"
    ours = index.read_text(encoding="utf-8").splitlines()
    assert ours == reference_lines([tmp_path], sort=True)
    assert ours == sorted(ours)
    key, ts, blob = ours[0].split(" ", 2)
    assert list(json.loads(blob))[:2] == ["url", "mime"] and len(ts) == 14
    assert {json.loads(line.split(" ", 2)[2])["filename"] for line in ours} == {p.name for p in files}


def test_merge_into_index_incrementally(tmp_path: Path) -> None:
    files = build_archive(tmp_path)
    index = tmp_path / "index.cdxj"
    for path in files:
        merge_into_index(index, [path])
    merge_into_index(index, [files[0]])  # repeated: no duplicates
    assert index.read_text(encoding="utf-8").splitlines() == reference_lines([tmp_path], sort=True)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_surt_matches_package() -> None:
    assert surt("https://www.Example.com:443/a/b?z=1&a=2#x") == "com,example)/a/b?a=2&z=1"
    assert surt("http://news.example.cn/") == "cn,example,news)/"
    assert surt("https://gov.example.cn:8443/x") == "cn,example,gov:8443)/x"


def test_damaged_record_left_out(tmp_path: Path) -> None:
    with WarcWriter(tmp_path) as writer:
        refs = [capture(writer, url=f"https://a.example/{i}")[0] for i in range(3)]
    path = writer.closed_files[0]
    data = bytearray(path.read_bytes())
    data[refs[2].offset + 40] ^= 0xFF
    path.write_bytes(bytes(data))
    urls = [json.loads(line.split(" ", 2)[2])["url"] for line in cdxj_lines_for_file(path)]
    assert urls == ["https://a.example/0", "https://a.example/1"]


def test_index_created_with_the_process_umask(tmp_path: Path) -> None:
    build_archive(tmp_path)
    old = os.umask(0o022)
    try:
        index = write_index(tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(index.stat().st_mode) == 0o644


ARCHIVES = Path(__file__).resolve().parents[3] / "shared" / "archives"


@pytest.mark.parametrize("path", sorted(p for p in ARCHIVES.iterdir() if p.name != "README.md"), ids=lambda p: p.name)
def test_field_archives_index_like_cdxj_indexer(path: Path) -> None:
    """Line for line what cdxj-indexer writes, except the records we report (damaged, or in a
    gzip member shared with others, which cdxj-indexer gives up on)."""
    reported: list = []
    ours = list(cdxj_lines_for_file(path, on_damage=reported.append))
    out = io.StringIO()
    try:
        cdxj_indexer.write_cdx_index(out, [str(path)], {})
        finished = True
    except Exception:  # noqa: BLE001 - cdxj-indexer stops at whole-file gzip and broken framing
        finished = False
    theirs = out.getvalue().splitlines()
    lost_offsets = {d.offset for d in reported if d.lost}
    if finished:
        assert ours == [t for t in theirs if int(json.loads(t.split(" ", 2)[2])["offset"]) not in lost_offsets]
        assert len(theirs) - len(ours) == len(lost_offsets & {int(json.loads(t.split(" ", 2)[2])["offset"])
                                                              for t in theirs})
    else:  # where a record spans gzip members our length covers all of it, cdxj-indexer's the first
        def strip(line: str) -> tuple:
            key, ts, blob = line.split(" ", 2)
            return key, ts, {k: v for k, v in json.loads(blob).items() if k != "length"}
        assert [strip(x) for x in ours[:len(theirs)]] == [strip(x) for x in theirs[:len(ours)]]

"""`healthcrawl replay` over the archives of other tools (../shared/archives): every HTML 200
response the reader gives becomes the item `healthcrawl extract` makes of its body; damage is
named and fails the run; replaying again (or through a second path) stores nothing twice."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from archive.captures import CaptureReader
from archive.reader import iter_warc_paths
from crawler.items import Article
from crawler.pages.process import CapturedPage, fetched_at
from crawler.pages.sequence import CountingStats, StageSequence
from crawler.runs.config import build_settings
from crawler.runs.replay import run_replay

ARCHIVES = Path(__file__).resolve().parents[3] / "shared" / "archives"


@pytest.fixture(scope="module")
def field(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("field") / "in"
    folder.mkdir()
    for path in ARCHIVES.iterdir():
        if path.name != "README.md":
            shutil.copy(path, folder / path.name)
    # a file reached through a second path is read once
    os.symlink(folder / "wget-1.21.3--eval-pages.warc.gz", folder / "again.warc.gz")
    return folder


def _items(out: Path) -> list[dict]:
    lines = (out / "items.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(x) for x in lines if x.strip() and '"warc_filename"' in x]


def test_replay_items_are_what_extract_gives(field: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "out"
    code = run_replay([field], out)
    printed = capsys.readouterr().out
    assert code == 1, printed  # the field archives hold damaged records on purpose
    assert "warcio--example-digest.warc at offset 0: payload digest mismatch" in printed
    items = _items(out)
    by_capture = {(i["warc_filename"], i["warc_offset"], i["url"], i["fetched_at"]): i for i in items}
    assert len(by_capture) == len(items), "an item stored twice"

    sequence = StageSequence(build_settings(tmp_path / "extract", {}), CountingStats())
    expected = 0
    for capture in CaptureReader().captures(iter_warc_paths([field])):
        record = capture.record
        page = CapturedPage(url=record.url or "", status=200, headers={
            k.lower(): v for k, v in capture.payload.http_headers if k.lower() != "content-encoding"},
            body=capture.payload.payload, fetched_at="2020-01-01T00:00:00+00:00")
        result = sequence.extract(page)
        if not isinstance(result, Article):
            continue
        expected += 1
        item = by_capture[(record.filename, record.offset, record.url, fetched_at(record.date))]
        assert (item["title"], item["text"]) == (result.title, result.text), record.url
    assert expected == len(items) >= 15  # warcio's example files share records: each capture once


def test_replay_twice_into_one_out_stores_each_item_once(field: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "out"
    run_replay([field / "wget-1.21.3--eval-pages.warc.gz"], out)
    first = _items(out)
    assert len(first) == 12
    code = run_replay([field, field / "again.warc.gz"], out)
    printed = capsys.readouterr().out
    assert code == 1
    assert "12 captures already stored" in printed
    again = _items(out)
    assert len(again) == len({(i["warc_filename"], i["warc_offset"], i["url"], i["fetched_at"]) for i in again})
    assert [i["id"] for i in again[:12]] == [i["id"] for i in first]


def test_archive_replay_from_resolves_revisits_by_target_and_date(tmp_path: Path) -> None:
    """ARCHIVE_REPLAY_FROM's index: a revisit is served with the capture its
    Refers-To-Target-URI + Date name, even when its digest is written differently."""
    import io as _io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from archive.reader import ArchivedRecord, iter_records, read_record_at
    from crawler.middlewares.archive_replay import ArchiveIndex

    folder = tmp_path / "warc"
    folder.mkdir()
    shutil.copy(ARCHIVES / "warcio--example.warc.gz", folder / "a.warc.gz")
    original = next(r for r in iter_records(folder / "a.warc.gz")
                    if isinstance(r, ArchivedRecord) and r.rec_type == "response")
    buf = _io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    rec = writer.create_revisit_record("http://mirror.example/same-page", digest="sha1:" + "A" * 32,
                                       refers_to_uri=original.url, refers_to_date=original.date,
                                       http_headers=http)
    writer.write_record(rec)
    (folder / "b.warc.gz").write_bytes(buf.getvalue())
    index = ArchiveIndex([folder])
    entry = index.by_url["http://mirror.example/same-page"]
    assert entry.revisit and entry.digest not in index.by_digest
    found = index.original(read_record_at(entry.path, entry.offset), entry)
    assert found is not None and (found.path.name, found.offset) == ("a.warc.gz", original.offset)


def test_damage_inside_a_wacz_is_named_with_its_member(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import zipfile

    data = bytearray((ARCHIVES / "wget-1.21.3--eval-pages.warc.gz").read_bytes())
    data[len(data) // 2:len(data) // 2 + 16] = bytes(16)
    wacz = tmp_path / "in.wacz"
    with zipfile.ZipFile(wacz, "w") as zf:
        zf.writestr("archive/damaged.warc.gz", bytes(data))
        zf.write(ARCHIVES / "warcio--example.warc.gz", "archive/good.warc.gz")
    code = run_replay([wacz], tmp_path / "out")
    printed = capsys.readouterr().out
    assert code == 1
    assert re.search(r"in\.wacz!archive/damaged\.warc\.gz at offset \d+: bad gzip", printed), printed
    assert len(_items(tmp_path / "out")) >= 10  # the rest of both members is replayed

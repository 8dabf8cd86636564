"""crawler.store.wacz: a demo crawl packaged as WACZ 1.1.1, checked field by field and with the
`wacz validate` of the py-wacz package (in the `dev` extra). Replay of the WACZ in pywb is
tested in test_pywb.py."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support import free_port, read_items, run_cli

from archive.reader import read_record_at
from archive.writer import WarcWriter
from crawler.store.wacz import package_wacz, write_wacz

CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _wacz_cli() -> str:
    beside = Path(sys.executable).parent / "wacz"
    found = str(beside) if beside.exists() else shutil.which("wacz")
    if found is None:
        message = "the `wacz` command (pip package wacz, in the dev extra) is not installed"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_wacz_cli(), "validate", "-f", str(path)], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wacz") / "crawl"
    run_cli("demo", "--out", str(out), "--port", str(free_port()), check=True)
    return out


@pytest.fixture(scope="module")
def package(crawl: Path) -> Path:
    return write_wacz(crawl / "warc", crawl.parent / "demo.wacz", title="healthcrawl demo", created=CREATED)


def _index(zf: zipfile.ZipFile) -> list[tuple[str, str, dict[str, Any]]]:
    rows = []
    for line in zf.read("indexes/index.cdx").decode("utf-8").splitlines():
        key, timestamp, raw = line.split(" ", 2)
        rows.append((key, timestamp, json.loads(raw)))
    return rows


def _pages(zf: zipfile.ZipFile) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    lines = [json.loads(x) for x in zf.read("pages/pages.jsonl").decode("utf-8").splitlines()]
    return lines[0], lines[1:]


def test_layout_and_stored_warcs(crawl: Path, package: Path) -> None:
    warcs = sorted((crawl / "warc").glob("*.warc.gz"))
    with zipfile.ZipFile(package) as zf:
        names = zf.namelist()
        assert sorted(names) == sorted([f"archive/{p.name}" for p in warcs] + [
            "indexes/index.cdx", "pages/pages.jsonl", "datapackage.json", "datapackage-digest.json"])
        for warc in warcs:
            info = zf.getinfo(f"archive/{warc.name}")
            assert info.compress_type == zipfile.ZIP_STORED, f"{warc.name} must be stored, not deflated"
            assert zf.read(info) == warc.read_bytes()


def test_datapackage_lists_every_file_with_its_hash(package: Path) -> None:
    with zipfile.ZipFile(package) as zf:
        data = json.loads(zf.read("datapackage.json"))
        assert data["profile"] == "data-package"
        assert data["wacz_version"] == "1.1.1"
        assert data["title"] == "healthcrawl demo"
        assert data["created"] == "2026-01-02T03:04:05Z"
        assert data["software"].startswith("healthcrawl ")
        listed = {r["path"]: r for r in data["resources"]}
        assert set(listed) == set(zf.namelist()) - {"datapackage.json", "datapackage-digest.json"}
        for path, resource in listed.items():
            body = zf.read(path)
            assert resource["bytes"] == len(body), path
            assert resource["hash"] == "sha256:" + hashlib.sha256(body).hexdigest(), path
            assert resource["name"] == path.rsplit("/", 1)[1].lower()
        digest = json.loads(zf.read("datapackage-digest.json"))
        assert digest == {"path": "datapackage.json",
                          "hash": "sha256:" + hashlib.sha256(zf.read("datapackage.json")).hexdigest()}


def test_index_points_at_records_in_the_packaged_warcs(crawl: Path, package: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(package) as zf:
        zf.extractall(tmp_path)
        rows = _index(zf)
    lines = [f"{k} {t} {json.dumps(d)}" for k, t, d in rows]
    assert lines == sorted(lines), "indexes/index.cdx must be sorted"
    assert rows, "empty index"
    page_keys = {k for k, _t, d in rows if "status" in d}
    for key, timestamp, data in rows:
        if data.get("mime") == "application/json" and "status" not in data:  # our metadata records
            assert data["url"].startswith("urn:healthcrawl:metadata:") and key not in page_keys, \
                f"JSON metadata record of {data['url']} would shadow the page in replay"
        record = read_record_at(tmp_path / "archive" / data["filename"], int(data["offset"]))
        assert record.url == data["url"] and record.length == int(data["length"])
        assert record.date.replace("-", "").replace(":", "").replace("T", "")[:14] == timestamp
    ours = (crawl / "warc" / "index.cdxj").read_text(encoding="utf-8").splitlines()
    responses = {line for line in ours if '"status": "' in line}
    assert responses <= set(lines), "every capture of our own index must be in the WACZ index"


def test_pages_are_the_articles_with_titles(crawl: Path, package: Path) -> None:
    items = read_items(crawl / "items.jsonl")
    with zipfile.ZipFile(package) as zf:
        header, pages = _pages(zf)
        captures = {(d["url"], t): d for _k, t, d in _index(zf)}
    assert header == {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
    assert len(pages) == len(items) >= 10
    by_id = {p["id"]: p for p in pages}
    for item in items:
        page = by_id[item["id"]]
        assert page["title"] == item["title"]
        assert page["text"] == item["text"] and page["text"], "ReplayWeb.page searches pages' text"
        ts = page["ts"]
        assert len(ts) == 20 and ts.endswith("Z"), ts
        capture = captures[(page["url"], ts[:19].replace("-", "").replace(":", "").replace("T", ""))]
        assert capture["status"] == "200" and capture["filename"] == item["warc_filename"]
        assert int(capture["offset"]) == item["warc_offset"]


def test_wacz_validate_accepts_it_and_catches_a_changed_file(package: Path, tmp_path: Path) -> None:
    done = _validate(package)
    assert done.returncode == 0 and "is valid" in done.stdout, done.stdout + done.stderr

    tampered = tmp_path / "tampered.wacz"
    with zipfile.ZipFile(package) as src, zipfile.ZipFile(tampered, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "pages/pages.jsonl":
                body = body.replace(b'"All Pages"', b'"Some Pages"')
            dst.writestr(info, body)
    done = _validate(tampered)
    assert done.returncode != 0, "wacz validate did not notice a changed pages.jsonl"


def test_same_input_and_created_give_the_same_bytes(crawl: Path, package: Path, tmp_path: Path) -> None:
    again = write_wacz(crawl / "warc", tmp_path / "again.wacz", title="healthcrawl demo", created=CREATED)
    assert again.read_bytes() == package.read_bytes()


# ---------------------------------------------------------------------- small hand-made archives
def _small_archive(folder: Path) -> Path:
    warc_dir = folder / "warc"
    with WarcWriter(warc_dir, host_tag="example") as writer:
        html = "<html><head><title>页面</title></head><body>正文</body></html>".encode()
        for n in range(3):
            ref = writer.write_capture(
                url=f"http://news.example/a/{n}.html", method="GET", request_headers=[], request_body=b"",
                status=200, reason="OK", response_headers=[("Content-Type", "text/html; charset=utf-8")],
                body=html)
            writer.write_metadata(url=f"http://news.example/a/{n}.html", refers_to=ref, fields={"n": n})
        writer.write_capture(url="http://news.example/style.css", method="GET", request_headers=[],
                             request_body=b"", status=200, reason="OK",
                             response_headers=[("Content-Type", "text/css")], body=b"p{}")
        writer.write_capture(url="http://news.example/gone.html", method="GET", request_headers=[],
                             request_body=b"", status=404, reason="Not Found",
                             response_headers=[("Content-Type", "text/html")], body=b"no")
    return warc_dir


def test_without_items_every_archived_html_page_is_a_page(tmp_path: Path) -> None:
    warc_dir = _small_archive(tmp_path)
    (warc_dir / "quarantine").mkdir()
    (warc_dir / "quarantine" / "broken.warc.gz").write_bytes(b"not gzip")
    (warc_dir / "next.warc.gz.open").write_bytes(b"still being written")
    out = write_wacz(warc_dir, tmp_path / "small.wacz", title="small")
    with zipfile.ZipFile(out) as zf:
        _header, pages = _pages(zf)
        archived = [n for n in zf.namelist() if n.startswith("archive/")]
        index = _index(zf)
    assert sorted(p["url"] for p in pages) == [f"http://news.example/a/{n}.html" for n in range(3)]
    assert all("title" not in p for p in pages)
    assert len(archived) == 1 and archived[0].endswith(".warc.gz"), archived
    assert {d["url"] for _k, _t, d in index if "status" in d} == {
        f"http://news.example/a/{n}.html" for n in range(3)} | {"http://news.example/style.css",
                                                              "http://news.example/gone.html"}
    page_keys = {k for k, _t, d in index if "status" in d}
    metadata = [(k, d) for k, _t, d in index if d.get("mime") == "application/json"]
    assert len(metadata) == 3 and all(d["url"].startswith("urn:healthcrawl:metadata:") and k not in page_keys
                                      for k, d in metadata)


def test_items_pointing_outside_the_package_are_left_out(tmp_path: Path) -> None:
    warc_dir = _small_archive(tmp_path)
    index_line = next(line for line in _lines(warc_dir) if "/a/1.html" in line and '"status"' in line)
    data = json.loads(index_line.split(" ", 2)[2])
    items = tmp_path / "items.jsonl"
    items.write_text(
        json.dumps({"id": "x1", "title": "一", "warc_filename": data["filename"], "warc_offset": int(data["offset"])})
        + "\n" + json.dumps({"id": "x2", "title": "二", "warc_filename": "other.warc.gz", "warc_offset": 0}) + "\n",
        encoding="utf-8")
    out = write_wacz(warc_dir, tmp_path / "items.wacz", title="small")
    with zipfile.ZipFile(out) as zf:
        _header, pages = _pages(zf)
    assert [(p["id"], p["url"], p["title"]) for p in pages] == [("x1", "http://news.example/a/1.html", "一")]


def _lines(warc_dir: Path) -> list[str]:
    from archive.cdxj import cdxj_lines_for_file

    return [line for p in sorted(warc_dir.glob("*.warc.gz")) for line in cdxj_lines_for_file(p)]


def test_bad_input_names_the_file(tmp_path: Path) -> None:
    warc_dir = _small_archive(tmp_path)
    with pytest.raises(ValueError, match=r"small\.zip: a WACZ file name must end in \.wacz"):
        write_wacz(warc_dir, tmp_path / "small.zip", title="t")
    with pytest.raises(FileNotFoundError, match="nowhere"):
        write_wacz(tmp_path / "nowhere", tmp_path / "x.wacz", title="t")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="empty: no closed WARC files"):
        write_wacz(empty, tmp_path / "x.wacz", title="t")
    (tmp_path / "items.jsonl").write_text('{"id": "a", "warc_filename": "f", "warc_offset": 0}\n{oops\n',
                                          encoding="utf-8")
    with pytest.raises(ValueError, match=r"items\.jsonl:2: not a JSON line"):
        write_wacz(warc_dir, tmp_path / "x.wacz", title="t")
    (tmp_path / "items.jsonl").write_text('{"id": "a", "warc_offset": "0"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"items\.jsonl:1: field warc_filename/warc_offset"):
        write_wacz(warc_dir, tmp_path / "x.wacz", title="t")
    assert not list(tmp_path.glob("x.wacz*")), "a failed write must leave no file behind"



# ---------------------------------------------------------------------- archives of other tools
ARCHIVES = Path(__file__).resolve().parents[2] / "shared" / "archives"


def _field_folders(tmp_path: Path) -> list[Path]:
    """The field archives in two folders (as two workers would write them), names changed:
    upper-case extensions, a gzip file named .warc."""
    first, second = tmp_path / "w1" / "warc", tmp_path / "w2" / "warc"
    first.mkdir(parents=True)
    second.mkdir(parents=True)
    for path in sorted(ARCHIVES.iterdir()):
        if path.name.endswith((".warc", ".warc.gz")):
            shutil.copy(path, first / path.name)
        elif path.name.endswith((".arc", ".arc.gz")):
            shutil.copy(path, second / path.name.upper().replace("WARCIO--", "warcio--"))
    shutil.copy(ARCHIVES / "gowarc--test.warc.gz", second / "gowarc-misnamed.warc")
    return [first, second]


def test_field_archives_from_several_folders_make_one_valid_package(tmp_path: Path) -> None:
    folders = _field_folders(tmp_path)
    old = os.umask(0o022)
    try:
        result = package_wacz(folders, tmp_path / "field.wacz", title="field", created=CREATED)
    finally:
        os.umask(old)
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o644
    done = _validate(result.path)
    assert done.returncode == 0 and "is valid" in done.stdout, done.stdout + done.stderr
    with zipfile.ZipFile(result.path) as zf:
        names = [n for n in zf.namelist() if n.startswith("archive/")]
        rows = _index(zf)
        zf.extractall(tmp_path / "unpacked")
    assert "archive/gowarc-misnamed.warc.gz" in names and "archive/warcio--EXAMPLE.arc.gz" in names
    # the whole-file gzip went in recompressed, so its records are indexed too
    whole = [d for _k, _t, d in rows if d["filename"] == "warcio--example-bad-non-chunked.warc.gz"]
    assert len(whole) >= 2  # its response and revisit, as in warcio's plain copy of the same records
    plain = [d for _k, _t, d in rows if d["filename"] == "warcio--example.warc"]
    assert [(d["url"], d.get("mime")) for d in whole] == [(d["url"], d.get("mime")) for d in plain]
    for _key, _ts, data in rows:
        record = read_record_at(tmp_path / "unpacked" / "archive" / data["filename"], int(data["offset"]),
                                verify_digests=False)
        assert record.url == data["url"]
    # what could not be indexed is named: file, offset, reason
    assert sorted((d.filename, d.offset) for d in result.left_out) == [("warcio--EXAMPLE-SPACE-IN-URL.ARC", 151)]
    assert result.index_lines == len(rows)


def test_cli_exits_1_naming_what_was_left_out(tmp_path: Path) -> None:
    folders = _field_folders(tmp_path)
    done = run_cli("wacz", *map(str, folders), "--out", str(tmp_path / "cli.wacz"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 record left out of the index" in done.stderr
    assert "warcio--EXAMPLE-SPACE-IN-URL.ARC at offset 151: truncated record" in done.stderr
    clean = run_cli("wacz", str(_small_archive(tmp_path / "small")), "--out", str(tmp_path / "ok.wacz"))
    assert clean.returncode == 0, clean.stdout + clean.stderr


def test_bad_warc_date_is_named_and_left_out(tmp_path: Path) -> None:
    import gzip
    import re
    import zlib

    src = ARCHIVES / "wget-1.21.3--eval-pages.warc.gz"
    raw = src.read_bytes()
    parts, pos, bad_offset = [], 0, None
    while pos < len(raw):
        dec = zlib.decompressobj(zlib.MAX_WBITS | 16)
        data = dec.decompress(raw[pos:])
        size = len(raw) - pos - len(dec.unused_data)
        if bad_offset is None and b"WARC-Type: response" in data:
            bad_offset = sum(len(p) for p in parts)
            parts.append(gzip.compress(re.sub(rb"WARC-Date: [^\r]+", b"WARC-Date: not-a-date", data, count=1)))
        else:
            parts.append(raw[pos:pos + size])
        pos += size
    folder = tmp_path / "warc"
    folder.mkdir()
    (folder / "baddate.warc.gz").write_bytes(b"".join(parts))
    result = package_wacz(folder, tmp_path / "bad.wacz", title="t")
    assert [(d.filename, d.offset) for d in result.left_out] == [("baddate.warc.gz", bad_offset)]
    assert "WARC-Date" in result.left_out[0].reason
    done = _validate(result.path)
    assert done.returncode == 0, done.stdout + done.stderr

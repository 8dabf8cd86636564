"""Byte-level checks of archive.writer against the WARC/1.1 spec, using an independent parser."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from support.archives import (
    FIXED_DATE,
    HTML,
    SECRET_AUTH,
    SECRET_COOKIE,
    SECRET_PROXY,
    capture,
    http_split,
    read_records,
    sha1_b32,
    split_members,
)

import archive.writer as writer_mod
from archive.writer import REVISIT_PROFILES, WarcWriter

NAME_RE = re.compile(r"^healthcrawl-\d{17}-\d{5}-news\.example\.cn\.warc\.gz$")
MANDATORY = ("WARC-Record-ID", "WARC-Date", "WARC-Type", "Content-Length")


@pytest.fixture
def closed_warc(tmp_path: Path) -> tuple[Path, dict]:
    writer = WarcWriter(tmp_path, host_tag="news.example.cn", warcinfo={"operator": "test lab"})
    ref, sent = capture(writer)
    meta = writer.write_metadata(url="https://news.example.cn/health/2026/11/a.html?id=7", refers_to=ref,
                                 fields={"extractor": "trafilatura", "chars": 12, "tags": ["卫生"]})
    revisit = writer.write_revisit(
        url="https://news.example.cn/health/2026/11/b.html", method="GET", request_headers=[("Cookie", SECRET_COOKIE)],
        request_body=b"", status=200, reason="OK", response_headers=[("Content-Type", "text/html")],
        refers_to=ref, refers_to_url="https://news.example.cn/health/2026/11/a.html?id=7")
    not_modified = writer.write_revisit(
        url="https://news.example.cn/health/2026/11/a.html?id=7", method="GET", request_headers=[],
        request_body=b"", status=304, reason="Not Modified", response_headers=[], refers_to=ref,
        refers_to_url="https://news.example.cn/health/2026/11/a.html?id=7", profile="server-not-modified")
    writer.close()
    return writer.closed_files[0], {"ref": ref, "sent": sent, "meta": meta, "revisit": revisit, "nm": not_modified}


def test_file_name_and_open_suffix_renamed_on_close(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, host_tag="news.example.cn/../x y")
    capture(writer)
    open_path = writer.current_path
    assert open_path is not None and open_path.name.endswith(".warc.gz.open") and open_path.exists()
    writer.close()
    writer.close()  # idempotent
    assert not open_path.exists()
    [final] = writer.closed_files
    assert final.exists() and not list(tmp_path.glob("*.open"))
    assert re.fullmatch(r"healthcrawl-\d{17}-00000-news\.example\.cn-\.\.-x-y\.warc\.gz", final.name), final.name
    with pytest.raises(ValueError, match="closed"):
        capture(writer)


def test_name_pattern_and_capture_ref(closed_warc) -> None:
    path, refs = closed_warc
    assert NAME_RE.match(path.name), path.name
    ref = refs["ref"]
    assert ref.filename == path.name
    raw = path.read_bytes()
    member = split_members(raw[ref.offset:ref.offset + ref.length])
    assert len(member) == 1
    assert b"WARC-Type: response" in member[0].data
    assert ref.record_id.encode() in member[0].data
    assert ref.date == "2026-11-25T08:15:00.123456Z"


def test_one_member_per_record_warcinfo_first_and_mandatory_headers(closed_warc) -> None:
    path, _ = closed_warc
    records = read_records(path)  # asserts one record per gzip member
    assert [r.get("WARC-Type") for r in records] == [
        "warcinfo", "response", "request", "metadata", "revisit", "request", "revisit", "request"]
    ids = set()
    for rec in records:
        assert rec.version == "WARC/1.1"
        for name in MANDATORY:
            assert rec.get(name), f"{name} missing in {rec.get('WARC-Type')} at {rec.offset}"
        assert re.fullmatch(r"<urn:uuid:[0-9a-f-]{36}>", rec.get("WARC-Record-ID"))
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z", rec.get("WARC-Date"))
        ids.add(rec.get("WARC-Record-ID"))
        if rec.get("WARC-Type") != "warcinfo":
            assert rec.get("WARC-Warcinfo-ID") == records[0].get("WARC-Record-ID")
    assert len(ids) == len(records)
    info = records[0]
    assert info.get("Content-Type") == "application/warc-fields"
    assert info.get("WARC-Filename") == path.name
    fields = dict(line.split(": ", 1) for line in info.block.decode().strip().split("\r\n"))
    assert fields["format"] == "WARC File Format 1.1"
    assert fields["software"] == "healthcrawl"
    assert fields["robots"] == "obey"
    assert fields["operator"] == "test lab"
    assert "header order" in fields["description"] and "status line" in fields["description"]


def test_request_response_linked_and_digests_recomputed(closed_warc) -> None:
    path, refs = closed_warc
    records = read_records(path)
    by_id = {r.get("WARC-Record-ID"): r for r in records}
    resp, req = records[1], records[2]
    assert req.get("WARC-Concurrent-To") == resp.get("WARC-Record-ID")
    assert resp.get("WARC-Concurrent-To") == req.get("WARC-Record-ID")
    assert req.get("WARC-Target-URI") == resp.get("WARC-Target-URI")
    assert req.get("WARC-Date") == resp.get("WARC-Date")
    for rec in records:
        assert rec.get("WARC-Block-Digest") == sha1_b32(rec.block), rec.get("WARC-Type")
        if rec.get("WARC-Type") in ("response", "request"):
            _, payload = http_split(rec.block)
            assert rec.get("WARC-Payload-Digest") == sha1_b32(payload)
        if rec.get("WARC-Type") == "request":
            assert by_id[rec.get("WARC-Concurrent-To")].get("WARC-Type") in ("response", "revisit")
    assert resp.get("Content-Type") == "application/http; msgtype=response"
    assert req.get("Content-Type") == "application/http; msgtype=request"
    assert resp.get("WARC-IP-Address") == "127.0.0.1"
    assert refs["ref"].payload_digest == resp.get("WARC-Payload-Digest") == sha1_b32(refs["sent"])


def test_gzip_body_stored_as_sent_with_content_encoding(closed_warc) -> None:
    path, refs = closed_warc
    resp = read_records(path)[1]
    head, payload = http_split(resp.block)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nContent-Encoding: gzip" in head
    assert payload == refs["sent"]
    assert gzip.decompress(payload) == HTML


def test_request_record_has_no_credentials_anywhere(closed_warc) -> None:
    path, _ = closed_warc
    plain = b"".join(m.data for m in split_members(path.read_bytes()))
    for secret in (SECRET_AUTH, SECRET_PROXY, SECRET_COOKIE):
        assert secret.encode() not in plain
    req = read_records(path)[2]
    head, _ = http_split(req.block)
    names = [line.split(b":")[0].lower() for line in head.split(b"\r\n")[1:]]
    assert b"authorization" not in names and b"proxy-authorization" not in names and b"cookie" not in names
    assert head.split(b"\r\n")[0] == b"GET /health/2026/11/a.html?id=7 HTTP/1.1"
    assert b"Host: news.example.cn" in head and b"User-Agent: healthcrawl/0.1" in head


def test_transfer_encoding_dropped_set_cookie_kept(tmp_path: Path) -> None:
    with WarcWriter(tmp_path) as writer:
        capture(writer, gzip_body=False,
                extra_response_headers=[("Transfer-Encoding", "chunked"), ("Set-Cookie", "srv=1; Path=/")])
    resp = read_records(writer.closed_files[0])[1]
    head, payload = http_split(resp.block)
    assert b"transfer-encoding" not in head.lower()
    assert b"Set-Cookie: srv=1; Path=/" in head
    assert payload == HTML


def test_header_bytes_round_trip_latin1(tmp_path: Path) -> None:
    gbk_name = "附件.pdf".encode("gbk")
    with WarcWriter(tmp_path) as writer:
        capture(writer, gzip_body=False,
                extra_response_headers=[("Content-Disposition", b"attachment; filename=" + gbk_name),
                                        ("X-Latin", "caf\xe9")])
    head, _ = http_split(read_records(writer.closed_files[0])[1].block)
    assert b"attachment; filename=" + gbk_name in head
    assert b"X-Latin: caf\xe9" in head


def test_revisit_records_have_required_headers(closed_warc) -> None:
    path, refs = closed_warc
    records = read_records(path)
    ref = refs["ref"]
    for rec, profile, status in ((records[4], "identical-payload-digest", b"200"),
                                 (records[6], "server-not-modified", b"304")):
        assert rec.get("WARC-Type") == "revisit"
        assert rec.get("WARC-Profile") == REVISIT_PROFILES[profile]
        assert rec.get("WARC-Profile").startswith("http://netpreserve.org/warc/1.1/revisit/")
        assert rec.get("WARC-Refers-To") == ref.record_id
        assert rec.get("WARC-Refers-To-Target-URI") == "https://news.example.cn/health/2026/11/a.html?id=7"
        assert rec.get("WARC-Refers-To-Date") == ref.date
        assert rec.get("WARC-Payload-Digest") == ref.payload_digest
        assert rec.get("WARC-Truncated") == "length"
        head, body = http_split(rec.block)
        assert body == b"" and head.split(b" ")[1] == status
        assert int(rec.get("Content-Length")) == len(rec.block)
        assert records[records.index(rec) + 1].get("WARC-Concurrent-To") == rec.get("WARC-Record-ID")
    assert refs["revisit"].offset == records[4].offset and refs["nm"].offset == records[6].offset


def test_metadata_record_json_refers_to_response_same_file(closed_warc) -> None:
    path, refs = closed_warc
    meta = read_records(path)[3]
    assert refs["meta"].filename == refs["ref"].filename == path.name
    assert meta.get("WARC-Type") == "metadata"
    assert meta.get("Content-Type") == "application/json"
    assert meta.get("WARC-Refers-To") == refs["ref"].record_id == meta.get("WARC-Concurrent-To")
    # a urn: target: its SURT key is never the page's, so pywb/cdxj-indexer do not serve it for the page
    assert meta.get("WARC-Target-URI") == "urn:healthcrawl:metadata:https://news.example.cn/health/2026/11/a.html?id=7"
    from archive.cdxj import surt
    assert surt(meta.get("WARC-Target-URI")) != surt("https://news.example.cn/health/2026/11/a.html?id=7")
    assert json.loads(meta.block) == {"extractor": "trafilatura", "chars": 12, "tags": ["卫生"]}


def test_warcio_check_passes(closed_warc) -> None:
    path, _ = closed_warc
    exe = shutil.which("warcio", path=str(Path(sys.executable).parent)) or shutil.which("warcio")
    cmd = [exe, "check", "-v", str(path)] if exe else [sys.executable, "-c",
                                                       "from warcio.cli import main; main()", "check", "-v", str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("digest pass") == 6  # every record but the warcinfo and the 2 revisits


def test_rotation_never_splits_a_capture(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, max_size=4000)
    refs = []
    for i in range(12):
        ref, _ = capture(writer, url=f"https://news.example.cn/p/{i}.html", body=bytes([65 + i]) * 700,
                         gzip_body=False)
        refs.append((ref, writer.write_metadata(url=f"https://news.example.cn/p/{i}.html", refers_to=ref,
                                                fields={"i": i})))
    writer.close()
    files = writer.closed_files
    assert len(files) >= 3
    assert len({f.name for f in files}) == len(files)
    for ref, meta in refs:
        assert meta.filename == ref.filename
    for path in files:
        records = read_records(path)
        assert records[0].get("WARC-Type") == "warcinfo"
        types = [r.get("WARC-Type") for r in records[1:]]
        assert types == ["response", "request", "metadata"] * (len(types) // 3)
        assert path.stat().st_size <= 4000 + 1000  # only metadata may push past max_size
        for resp, req, meta in zip(records[1::3], records[2::3], records[3::3]):
            assert req.get("WARC-Concurrent-To") == resp.get("WARC-Record-ID")
            assert meta.get("WARC-Refers-To") == resp.get("WARC-Record-ID")
    assert sum(len(read_records(p)) - 1 for p in files) == 36


def test_never_overwrites_existing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fixed = "healthcrawl-20261125081500123-00000-news.example.cn.warc.gz"

    def fake_name(prefix, serial, host_tag="", *, now=None, unique_suffix=""):  # noqa: ANN001, ANN202
        return fixed if not unique_suffix else fixed.replace(".warc.gz", f"-{unique_suffix}.warc.gz")

    monkeypatch.setattr(writer_mod, "warc_name", fake_name)
    (tmp_path / fixed).write_bytes(b"precious")
    (tmp_path / (fixed.replace(".warc.gz", "-x.warc.gz") + ".open")).write_bytes(b"other")
    writer = WarcWriter(tmp_path, host_tag="news.example.cn")
    ref, _ = capture(writer)
    writer.close()
    assert (tmp_path / fixed).read_bytes() == b"precious"
    [final] = writer.closed_files
    assert final.name != fixed and final.name == ref.filename
    assert read_records(final)[1].get("WARC-Type") == "response"
    # a second writer with the same (forced) name also leaves both files alone
    writer2 = WarcWriter(tmp_path, host_tag="news.example.cn")
    capture(writer2)
    writer2.close()
    assert writer2.closed_files[0] not in (final, tmp_path / fixed)
    assert (tmp_path / fixed).read_bytes() == b"precious" and read_records(final)


def test_bad_input_is_rejected_with_url(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path)
    with pytest.raises(ValueError, match="timezone-aware"):
        capture(writer, date=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="ftp://x"):
        writer.write_capture(url="ftp://x/y", method="GET", request_headers=[], request_body=b"",
                             status=200, reason="OK", response_headers=[], body=b"")
    with pytest.raises(ValueError, match="line break"):
        capture(writer, extra_response_headers=[("X-Evil", "a\r\nInjected: 1")])
    ref, _ = capture(writer)
    with pytest.raises(ValueError, match="revisit profile"):
        writer.write_revisit(url="https://a.example/", method="GET", request_headers=[], request_body=b"",
                             status=200, reason="OK", response_headers=[], refers_to=ref,
                             refers_to_url="https://a.example/", profile="bogus")
    writer.close()
    # the valid capture above is intact and nothing half-written was left behind
    types = [r.get("WARC-Type") for r in read_records(writer.closed_files[0])]
    assert types == ["warcinfo", "response", "request"]


def test_on_file_closed_callback_and_rotate(tmp_path: Path) -> None:
    seen: list[Path] = []
    writer = WarcWriter(tmp_path, on_file_closed=seen.append)
    capture(writer)
    first = writer.rotate()
    capture(writer)
    writer.close()
    assert seen == writer.closed_files and seen[0] == first and len(seen) == 2
    assert all(p.exists() for p in seen)


def test_capture_date_written(tmp_path: Path) -> None:
    with WarcWriter(tmp_path) as writer:
        capture(writer, date=FIXED_DATE)
    resp = read_records(writer.closed_files[0])[1]
    assert resp.get("WARC-Date") == "2026-11-25T08:15:00.123456Z"


def test_host_tag_sanitised_and_bounded(tmp_path: Path) -> None:
    from archive.naming import MAX_TAG_LENGTH, sanitise_tag, warc_name

    tag = sanitise_tag("健康.example.cn/" + "x" * 200)
    assert re.fullmatch(r"[A-Za-z0-9.-]+", tag) and len(tag) <= MAX_TAG_LENGTH
    assert re.fullmatch(r"healthcrawl-\d{17}-00007\.warc\.gz", warc_name("healthcrawl", 7, ""))
    with WarcWriter(tmp_path, host_tag="x" * 500) as writer:
        capture(writer)
    assert len(writer.closed_files[0].name) <= len("healthcrawl-") + 17 + 7 + MAX_TAG_LENGTH + len(".warc.gz")

"""The reader on real archives written by other tools (../shared/archives) and on damaged
copies crafted from them: what warcio reads intact, we read; damage costs only the damaged
record; any mutation gives records or DamagedRecord, never an exception."""

from __future__ import annotations

import base64
import gzip
import io
import hashlib
import os
import re
import tempfile
import zipfile
import zlib
from pathlib import Path

import pytest
from support.archives import split_members
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader

from archive.captures import CaptureReader
from archive.cdxj import cdxj_lines_for_file
from archive.reader import (
    ArchivedRecord,
    DamagedRecord,
    file_format,
    iter_records,
    iter_warc_paths,
    read_record_at,
)

ARCHIVES = Path(__file__).resolve().parents[3] / "shared" / "archives"
FILES = sorted(p for p in ARCHIVES.iterdir() if p.name != "README.md")
# per-record gzip files with several members: the base of the crafted damage
MULTI_MEMBER = [p for p in FILES if file_format(p) == "gzip" and len(_m := split_members(p.read_bytes())) > 2
                and all(m.data.lstrip(b"\r\n").startswith(b"WARC/") for m in _m)]


def _is_html_200(rec_type: str, status: str | int | None, ctype: str | None) -> bool:
    return rec_type == "response" and str(status) == "200" and "html" in (ctype or "").lower()


def warcio_records(path: Path) -> tuple[list[tuple[str, str, bytes]], bool]:
    """(type, record id or URL, decoded body) of every record warcio reads intact (digests
    pass, block read to its Content-Length); and whether warcio got to the end."""
    out: list[tuple[str, str, bytes]] = []
    html_200.clear()
    try:
        with open(path, "rb") as fh:
            for rec in ArchiveIterator(fh, arc2warc=True, check_digests=True):
                raw = rec.raw_stream.read()
                if getattr(rec.raw_stream, "limit", 0) > 0:
                    continue
                if rec.digest_checker.passed is False and not _chunked_payload_digest_ok(rec, raw):
                    continue
                rec.raw_stream = io.BytesIO(raw)
                body = rec.content_stream().read()
                key = rec.rec_headers.get_header("WARC-Target-URI") or rec.rec_headers.get_header("WARC-Filename") or ""
                out.append((rec.rec_type, key, body))
                http = rec.http_headers
                if http is not None and _is_html_200(rec.rec_type, http.get_statuscode(), http.get_header("Content-Type")):
                    html_200.append(key)
    except Exception:  # noqa: BLE001 - warcio gives up on some of these files
        return out, False
    return out, True


def _chunked_payload_digest_ok(rec, raw: bytes) -> bool:  # noqa: ANN001
    """warcio checks payload digests over the stored (chunked) bytes; WARC 1.1 writers digest
    the de-chunked entity. True when only that check failed and the de-chunked digest holds."""
    if not all(p.startswith("payload") for p in rec.digest_checker.problems) or rec.http_headers is None:
        return False
    if (rec.http_headers.get_header("Transfer-Encoding") or "").lower() != "chunked":
        return False
    algo, _, value = rec.rec_headers.get_header("WARC-Payload-Digest").partition(":")
    body = ChunkedDataReader(io.BytesIO(raw)).read()
    return base64.b32encode(hashlib.new(algo, body).digest()).decode() == value


html_200: list[str] = []  # URLs of the HTML 200 responses of the last warcio_records call


def our_records(path: Path, **kw) -> list[ArchivedRecord]:  # noqa: ANN003
    return [r for r in iter_records(path, **kw) if isinstance(r, ArchivedRecord)]


def key(rec: ArchivedRecord) -> tuple[str, str, bytes]:
    return (rec.rec_type, rec.url or rec.warc_header("WARC-Filename") or "", rec.payload)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_reads_what_warcio_reads(path: Path) -> None:
    theirs, complete = warcio_records(path)
    ours = [key(r) for r in our_records(path)]
    if complete:
        assert ours == theirs
    else:  # warcio stopped early (whole-file gzip, broken member framing): we read on
        assert ours[:len(theirs)] == theirs and len(ours) > len(theirs)
    html_theirs = [k for k in theirs if k[0] == "response"]
    assert [k for k in ours if k[0] == "response"][:len(html_theirs)] == html_theirs


def test_html_200_counts_on_the_field_files() -> None:
    """HTML 200 responses per file: ours >= warcio's intact ones, equal where warcio finishes."""
    total_ours = total_theirs = 0
    for path in FILES:
        theirs, complete = warcio_records(path)
        n_theirs = len(html_200)
        n_ours = sum(1 for r in our_records(path)
                     if _is_html_200(r.rec_type, r.http_status, r.http_header("content-type")))
        assert n_ours >= n_theirs, path.name
        if complete:
            assert n_ours == n_theirs, path.name
        total_ours, total_theirs = total_ours + n_ours, total_theirs + n_theirs
    assert total_theirs >= 15 and total_ours >= total_theirs


def test_whole_file_gzip_from_warcio_is_read_in_full() -> None:
    path = ARCHIVES / "warcio--example-bad-non-chunked.warc.gz"
    plain = ARCHIVES / "warcio--example.warc"
    items = list(iter_records(path))
    assert [i.lost for i in items if isinstance(i, DamagedRecord)] == [False]
    assert [key(r) for r in our_records(path)] == [key(r) for r in our_records(plain)]


def test_arc_files_are_converted() -> None:
    recs = our_records(ARCHIVES / "warcio--example.arc")
    assert [r.rec_type for r in recs] == ["warcinfo", "response"] and recs[1].source_format == "arc"
    assert recs[1].http_status == 200 and b"Example Domain" in recs[1].payload
    assert [key(r) for r in our_records(ARCHIVES / "warcio--example.arc.gz")] == [key(r) for r in recs]


# ---------------------------------------------------------------------- crafted damage
def members_of(path: Path) -> list[bytes]:
    raw = path.read_bytes()
    return [raw[m.offset:m.offset + m.length] for m in split_members(raw)]


def write(tmp: Path, name: str, data: bytes) -> Path:
    out = tmp / name
    out.write_bytes(data)
    return out


@pytest.mark.parametrize("path", MULTI_MEMBER, ids=lambda p: p.name)
def test_each_bad_member_costs_only_its_record(tmp_path: Path, path: Path) -> None:
    parts = members_of(path)
    good = [key(r) for r in our_records(path)]
    assert len(good) == len(parts)
    for i, part in enumerate(parts):
        broken = bytearray(part)
        mid = len(broken) // 2
        broken[mid:mid + 8] = bytes(b ^ 0x55 for b in broken[mid:mid + 8])
        data = b"".join(parts[:i]) + bytes(broken) + b"".join(parts[i + 1:])
        f = write(tmp_path, f"bad{i}.warc.gz", data)
        items = list(iter_records(f))
        lost = [d for d in items if isinstance(d, DamagedRecord) and d.lost]
        offset = sum(len(p) for p in parts[:i])
        assert [d.offset for d in lost] == [offset], (i, lost)
        assert [key(r) for r in items if isinstance(r, ArchivedRecord)] == good[:i] + good[i + 1:]


@pytest.mark.parametrize("path", MULTI_MEMBER, ids=lambda p: p.name)
def test_junk_padding_and_concatenation_cost_nothing(tmp_path: Path, path: Path) -> None:
    parts = members_of(path)
    good = [key(r) for r in our_records(path)]
    junk = write(tmp_path, "junk.warc.gz", parts[0] + b"garbage\x1f\x8b garbage\r\n" + b"".join(parts[1:]))
    items = list(iter_records(junk))
    assert [(d.offset, d.lost) for d in items if isinstance(d, DamagedRecord)] == [(len(parts[0]), False)]
    assert [key(r) for r in items if isinstance(r, ArchivedRecord)] == good
    padded = write(tmp_path, "padded.warc.gz", path.read_bytes() + b"\0" * 4096)
    assert list(iter_records(padded)) and not any(isinstance(i, DamagedRecord) for i in iter_records(padded))
    # a WARC-in-one-member followed by a per-record copy
    plain = b"".join(zlib.decompress(p, zlib.MAX_WBITS | 16) for p in parts)
    cat = write(tmp_path, "cat.warc.gz", gzip.compress(plain) + path.read_bytes())
    assert [key(r) for r in our_records(cat)] == good + good
    # a plain WARC named .warc.gz, and any case of extension
    named = write(tmp_path, "plain.WARC.GZ", plain)
    assert file_format(named) == "warc" and [key(r) for r in our_records(named)] == good
    assert iter_warc_paths([tmp_path]) == sorted([junk, padded, cat, named])


def _lie_about_length(record: bytes, delta: int) -> bytes:
    head, sep, rest = record.partition(b"\r\n\r\n")
    return re.sub(rb"(?im)^(content-length:\s*)(\d+)", lambda m: m.group(1) + str(int(m.group(2)) + delta).encode(),
                  head, count=1) + sep + rest


def _check_lie(items: list, offset: int, good: list, i: int, *, has_digest: bool, delta: int) -> None:
    lost = [d.offset for d in items if isinstance(d, DamagedRecord) and d.lost]
    notes = [d.offset for d in items if isinstance(d, DamagedRecord) and not d.lost]
    records = [key(r) for r in items if isinstance(r, ArchivedRecord)]
    if has_digest or delta > 0:  # a digest catches the lie; a longer block eats the next header
        assert lost == [offset]
        assert records == good[:i] + good[i + 1:]
    else:  # a few bytes short, no digest to tell: kept with a note, as warcio reads it
        assert lost == [] and notes == [offset]
        assert records[:i] + records[i + 1:] == good[:i] + good[i + 1:]
        assert records[i][2] == good[i][2][:delta] or records[i][0] == good[i][0]


@pytest.mark.parametrize("delta", [-7, 9, 10**12])
@pytest.mark.parametrize("path", MULTI_MEMBER, ids=lambda p: p.name)
def test_lying_content_length_costs_only_its_record(tmp_path: Path, path: Path, delta: int) -> None:
    parts = members_of(path)
    plains = [zlib.decompress(p, zlib.MAX_WBITS | 16) for p in parts]
    good = [key(r) for r in our_records(path)]
    for i in range(1, len(parts)):
        head = plains[i].partition(b"\r\n\r\n")[0]
        has_digest = b"WARC-Block-Digest" in head and b"WARC-Type: revisit" not in head  # warcio checks no revisit
        # gzip: the lie stays inside its member
        data = b"".join(parts[:i]) + gzip.compress(_lie_about_length(plains[i], delta)) + b"".join(parts[i + 1:])
        items = list(iter_records(write(tmp_path, f"gz{i}.warc.gz", data)))
        _check_lie(items, sum(map(len, parts[:i])), good, i, has_digest=has_digest, delta=delta)
        # plain: a lie reaches into the next records, which are found again
        plain = b"".join(plains[:i]) + _lie_about_length(plains[i], delta) + b"".join(plains[i + 1:])
        items = list(iter_records(write(tmp_path, f"plain{i}.warc", plain)))
        _check_lie(items, sum(map(len, plains[:i])), good, i, has_digest=has_digest, delta=delta)


def test_junk_after_a_verified_record_costs_nothing(tmp_path: Path) -> None:
    path = ARCHIVES / "wget-1.21.3--eval-pages.warc.gz"
    plains = [zlib.decompress(p, zlib.MAX_WBITS | 16) for p in members_of(path)]
    good = [key(r) for r in our_records(path)]
    junk = b"<<< 300 bytes of junk that is no record >>>" * 7
    f = write(tmp_path, "junk.warc", plains[0] + plains[1] + junk + b"".join(plains[2:]))
    items = list(iter_records(f))
    assert [(d.offset, d.lost) for d in items if isinstance(d, DamagedRecord)] == [(len(plains[0]), False)]
    assert [key(r) for r in items if isinstance(r, ArchivedRecord)] == good


def _response_of(path: Path) -> bytes:
    for part in (zlib.decompress(p, zlib.MAX_WBITS | 16) for p in members_of(path)):
        if b"WARC-Type: response" in part:
            return part
    raise AssertionError(path)


def _rebuild(warc_head: bytes, block: bytes) -> bytes:
    lines = [ln for ln in warc_head.split(b"\r\n") if not ln.lower().startswith((b"warc-block-digest",
                                                                                 b"warc-payload-digest"))]
    head = b"\r\n".join(lines).rstrip(b"\r\n")
    head = re.sub(rb"(?im)^content-length:.*$", b"Content-Length: %d" % len(block), head)
    return head + b"\r\n\r\n" + block + b"\r\n\r\n"


def test_lenient_http_headers_like_warcio(tmp_path: Path) -> None:
    record = _response_of(ARCHIVES / "warcio--example.warc.gz")
    head, _, rest = record.partition(b"\r\n\r\n")
    block = rest[:-4]
    http, _, body = block.partition(b"\r\n\r\n")
    lf_only = http.replace(b"\r\n", b"\n") + b"\nThis line has no colon\n\n" + body
    request = (b"WARC/1.0\r\nWARC-Type: request\r\nWARC-Target-URI: http://example.com/\r\n"
               b"WARC-Date: 2017-03-06T04:02:06Z\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\n"
               b"Content-Type: application/http; msgtype=request\r\nContent-Length: 0")
    req_block = b"GET / HTTP/1.1\r\nHost: example.com\r\n"  # no final blank line
    data = _rebuild(head, lf_only) + _rebuild(request, req_block)
    f = write(tmp_path, "lenient.warc", data)
    ours = list(iter_records(f))
    assert not any(isinstance(i, DamagedRecord) for i in ours)
    theirs, complete = warcio_records(f)
    assert complete and [key(r) for r in ours] == theirs
    assert ours[0].http_status == 200 and ours[0].http_header("content-type")
    assert ours[1].http_method == "GET" and ours[1].http_header("host") == "example.com"


def test_body_stored_decoded_under_content_encoding(tmp_path: Path) -> None:
    html = b"<html><head><title>t</title></head><body><p>stored decoded</p></body></html>"
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\n"
    head = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://example.com/d\r\n"
            b"WARC-Date: 2017-03-06T04:02:06Z\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000002>\r\n"
            b"Content-Type: application/http; msgtype=response\r\nContent-Length: 0")
    f = write(tmp_path, "decoded.warc.gz", gzip.compress(_rebuild(head, http + html)))
    [rec] = our_records(f)
    assert rec.payload == html and rec.content_encoding is None
    assert [key(rec)] == warcio_records(f)[0]


def test_compressed_archives_we_cannot_read_are_named(tmp_path: Path) -> None:
    lz4 = write(tmp_path, "x.warc.lz4", b"\x04\x22\x4d\x18" + b"\x00" * 64)
    [item] = list(iter_records(lz4))
    assert isinstance(item, DamagedRecord) and item.lost and "LZ4" in item.reason and item.offset == 0
    zst = write(tmp_path, "x.warc.gz", b"\x28\xb5\x2f\xfd" + b"\x00" * 64)  # misnamed zstd
    assert "zstd" in next(iter(iter_records(zst))).reason


def test_wacz_input_reads_its_archive_members(tmp_path: Path) -> None:
    wacz = tmp_path / "in.wacz"
    sources = [ARCHIVES / "warcio--example.warc.gz", ARCHIVES / "wget-1.21.3--eval-pages.warc.gz"]
    with zipfile.ZipFile(wacz, "w") as zf:
        for src in sources:
            zf.write(src, f"archive/{src.name}", compress_type=zipfile.ZIP_STORED)
        zf.writestr("datapackage.json", "{}")
    assert file_format(wacz) == "wacz"
    items = our_records(wacz)
    expected = [key(r) for src in sources for r in our_records(src)]
    assert [key(r) for r in items] == expected
    last = items[-1]
    assert last.member == f"archive/{sources[1].name}" and last.path == wacz
    again = read_record_at(wacz, last.offset, member=last.member)
    assert key(again) == key(last)


# ---------------------------------------------------------------------- property test
SEEDS = [p for p in FILES if p.stat().st_size < 30_000]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(0, len(SEEDS) - 1), edits=st.lists(
    st.tuples(st.sampled_from(["flip", "insert", "delete", "cut"]), st.floats(0, 1), st.binary(min_size=1, max_size=8)),
    min_size=1, max_size=4))
def test_mutated_archives_give_records_or_damage(index: int, edits: list) -> None:  # noqa: ANN001
    data = bytearray(SEEDS[index].read_bytes())
    for op, where, blob in edits:
        pos = int(where * max(len(data) - 1, 0))
        if op == "flip" and data:
            data[pos] ^= blob[0] or 1
        elif op == "insert":
            data[pos:pos] = blob
        elif op == "delete":
            del data[pos:pos + len(blob)]
        elif op == "cut":
            del data[pos:]
    fd, name = tempfile.mkstemp(suffix=".warc.gz")
    os.close(fd)
    path = Path(name)
    path.write_bytes(bytes(data))
    try:
        for item in iter_records(path):
            assert isinstance(item, (ArchivedRecord, DamagedRecord))
            if isinstance(item, DamagedRecord):
                assert item.reason and item.offset >= 0
            elif item.addressable:  # what the index will point at reads back the same
                again = read_record_at(path, item.offset, verify_digests=False)
                assert (again.rec_type, again.url) == (item.rec_type, item.url)
        # the consumers of the reader: capture selection and indexing never raise either
        reader = CaptureReader()
        for capture in reader.captures([path]):
            assert capture.payload.rec_type in ("response", "resource", "revisit")
        assert all(d.reason for d in reader.damaged)
        for line in cdxj_lines_for_file(path):
            assert line.count(" ") >= 2
    finally:
        path.unlink(missing_ok=True)


def test_clueweb_style_warc_018_with_lf_only_lines(tmp_path: Path) -> None:
    """WARC/0.18 records whose WARC and HTTP header lines end in LF only and whose records end
    in LF LF (as ClueWeb09 files are written): read as warcio reads them."""
    out = []
    for part in (zlib.decompress(p, zlib.MAX_WBITS | 16) for p in members_of(ARCHIVES / "warcio--example.warc.gz")):
        head, _, rest = part.partition(b"\r\n\r\n")
        block = rest[:-4]
        if b"application/http" in head:
            http, sep, body = block.partition(b"\r\n\r\n")
            block = http.replace(b"\r\n", b"\n") + b"\n\n" + body
        lines = [ln for ln in head.split(b"\r\n")[1:] if not ln.lower().startswith((b"content-length",
                                                                                    b"warc-block-digest"))]
        out.append(b"\n".join([b"WARC/0.18", *lines, b"Content-Length: %d" % len(block)]) + b"\n\n" + block + b"\n\n")
    f = write(tmp_path, "clueweb.warc", b"".join(out))
    ours = list(iter_records(f))
    assert not [d for d in ours if isinstance(d, DamagedRecord)]
    theirs, complete = warcio_records(f)
    assert complete and [key(r) for r in ours] == theirs and len(theirs) == 6
    assert [r.http_status for r in ours if r.rec_type == "response"] == [200]
    gz = write(tmp_path, "clueweb.warc.gz", gzip.compress(b"".join(out)))  # whole-file gzip, as ClueWeb09
    assert [key(r) for r in our_records(gz)] == theirs


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(0, 2 * len(MULTI_MEMBER) - 1), which=st.floats(0, 1), where=st.floats(0, 1),
       op=st.sampled_from(["flip", "insert", "delete"]), blob=st.binary(min_size=1, max_size=16))
def test_one_edit_anywhere_costs_only_the_record_it_hits(index: int, which: float, where: float, op: str,
                                                         blob: bytes) -> None:
    """One flipped, inserted or deleted run of bytes anywhere inside one record (its gzip
    member in a ``.warc.gz``; its bytes in the same file uncompressed): every other record is
    read as before, at its offset, and at most one record is lost."""
    path = MULTI_MEMBER[index % len(MULTI_MEMBER)]
    plain = index >= len(MULTI_MEMBER)
    parts = members_of(path)
    if plain:
        parts = [gzip.decompress(part) for part in parts]
    starts = [sum(len(p) for p in parts[:i]) for i in range(len(parts))]
    hit = min(int(which * len(parts)), len(parts) - 1)
    part = bytearray(parts[hit])
    pos = min(int(where * len(part)), len(part) - 1)
    if op == "flip":
        part[pos] ^= blob[0] or 1
    elif op == "insert":
        part[pos:pos] = blob
    else:
        del part[pos:pos + len(blob)]
    shift = len(part) - len(parts[hit])
    fd, name = tempfile.mkstemp(suffix=".warc" if plain else ".warc.gz")
    os.close(fd)
    edited = Path(name)
    clean = Path(name + ".clean")
    try:
        clean.write_bytes(b"".join(parts))
        edited.write_bytes(b"".join(parts[:hit]) + bytes(part) + b"".join(parts[hit + 1:]))
        assume(file_format(edited) == file_format(clean))  # an edit that makes it a zstd file is another test
        before = [r for r in our_records(clean) if r.offset != starts[hit]]
        items = list(iter_records(edited))
        have = {(r.offset, r.record_id, r.payload) for r in items if isinstance(r, ArchivedRecord)}
        for rec in before:
            offset = rec.offset + (shift if rec.offset > starts[hit] else 0)
            assert (offset, rec.record_id, rec.payload) in have, (path.name, plain, hit, op, pos, rec.offset)
        assert sum(isinstance(d, DamagedRecord) and d.lost for d in items) <= 1
    finally:
        edited.unlink(missing_ok=True)
        clean.unlink(missing_ok=True)

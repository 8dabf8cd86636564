"""archive.reader: good records, damage reports with file + offset, resync, decoding caps."""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

import brotli
import pytest
import zstandard
from support.archives import HTML, capture, split_members
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter as WarcioWriter

from archive.reader import (
    DEFAULT_MAX_BODY,
    ArchivedRecord,
    DamagedRecord,
    DamagedRecordError,
    iter_records,
    iter_warc_paths,
    read_record_at,
)
from archive.writer import WarcWriter

URL = "https://news.example.cn/health/{}.html"


def write_file(directory: Path, n: int = 3, **kw) -> tuple[Path, list]:
    with WarcWriter(directory) as writer:
        refs = [capture(writer, url=URL.format(i), **kw)[0] for i in range(n)]
    return writer.closed_files[0], refs


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def splice(path: Path, index: int, edit) -> int:  # noqa: ANN001
    """Replace gzip member ``index`` by ``edit(decompressed)`` recompressed; returns its offset."""
    members = split_members(path.read_bytes())
    target = members[index]
    parts = [gz(edit(m.data)) if i == index else path.read_bytes()[m.offset:m.offset + m.length]
             for i, m in enumerate(members)]
    path.write_bytes(b"".join(parts))
    return target.offset


def kinds(items: list) -> list[str]:
    return [i.rec_type if isinstance(i, ArchivedRecord) else "DAMAGED" for i in items]


def test_reads_back_what_was_written(tmp_path: Path) -> None:
    path, refs = write_file(tmp_path)
    items = list(iter_records(path))
    assert kinds(items) == ["warcinfo"] + ["response", "request"] * 3
    responses = [r for r in items if r.rec_type == "response"]
    for ref, rec in zip(refs, responses):
        assert (rec.offset, rec.length, rec.record_id) == (ref.offset, ref.length, ref.record_id)
        assert rec.payload == HTML and rec.content_encoding == "gzip" and rec.http_status == 200
        assert rec.http_header("content-encoding") == "gzip"  # headers stay as stored
        assert rec.payload_digest == ref.payload_digest and rec.filename == path.name
    request = items[2]
    assert request.http_method == "GET" and request.concurrent_to == items[1].record_id
    assert items[1].concurrent_to == request.record_id


def test_read_record_at_offset(tmp_path: Path) -> None:
    path, refs = write_file(tmp_path)
    rec = read_record_at(path, refs[1].offset)
    assert rec.url == URL.format(1) and rec.payload == HTML
    raw = read_record_at(path, refs[1].offset, decode_payload=False)
    assert gzip.decompress(raw.payload) == HTML and not raw.payload_decoded


def test_bad_gzip_member_in_middle_is_reported_and_skipped(tmp_path: Path) -> None:
    path, refs = write_file(tmp_path)
    data = bytearray(path.read_bytes())
    bad = refs[1].offset
    for i in range(bad + 30, bad + 60):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    items = list(iter_records(path))
    damaged = [i for i in items if isinstance(i, DamagedRecord)]
    assert len(damaged) == 1
    assert damaged[0].offset == bad and damaged[0].filename == path.name
    assert damaged[0].reason.startswith("bad gzip")
    good = [i.url for i in items if isinstance(i, ArchivedRecord) and i.rec_type == "response"]
    assert good == [URL.format(0), URL.format(2)]
    assert kinds(items)[-3:] == ["request", "response", "request"]
    with pytest.raises(DamagedRecordError, match=rf"{path.name} at offset {bad}: bad gzip"):
        read_record_at(path, bad)


def test_garbage_between_members_resyncs(tmp_path: Path) -> None:
    path, refs = write_file(tmp_path)
    data = path.read_bytes()
    cut = refs[1].offset
    path.write_bytes(data[:cut] + b"JUNK\x1f\x8bJUNK" + data[cut:])
    items = list(iter_records(path))
    # junk is reported (file, offset) but costs no record
    assert [(i.offset, i.reason.split(":")[0], i.lost) for i in items if isinstance(i, DamagedRecord)] == \
        [(cut, "junk", False)]
    assert [i.url for i in items if getattr(i, "rec_type", "") == "response"] == [URL.format(i) for i in range(3)]


def test_flipped_payload_digest(tmp_path: Path) -> None:
    path, refs = write_file(tmp_path)
    digest = refs[0].payload_digest.encode()
    flipped = digest[:-1] + (b"A" if digest[-1:] != b"A" else b"B")
    offset = splice(path, 1, lambda d: d.replace(b"WARC-Payload-Digest: " + digest, b"WARC-Payload-Digest: " + flipped))
    items = list(iter_records(path))
    damaged = [i for i in items if isinstance(i, DamagedRecord)]
    assert [(d.offset, d.reason.split(":")[0]) for d in damaged] == [(offset, "payload digest mismatch")]
    assert len([i for i in items if getattr(i, "rec_type", "") == "response"]) == 2
    # verification can be switched off
    assert not any(isinstance(i, DamagedRecord) for i in iter_records(path, verify_digests=False))


def test_bogus_content_length(tmp_path: Path) -> None:
    path, refs = write_file(tmp_path)

    def bump(d: bytes) -> bytes:
        head, sep, rest = d.partition(b"\r\n\r\n")
        lines = [b"Content-Length: %d" % (int(ln.split(b": ")[1]) + 17) if ln.startswith(b"Content-Length")
                 else ln for ln in head.split(b"\r\n")]
        return b"\r\n".join(lines) + sep + rest

    offset = splice(path, 3, bump)
    items = list(iter_records(path))
    damaged = [i for i in items if isinstance(i, DamagedRecord)]
    assert [(d.offset, d.reason.split(":")[0]) for d in damaged] == [(offset, "bad Content-Length")]
    assert kinds(items) == ["warcinfo", "response", "request", "DAMAGED", "request", "response", "request"]


def test_file_cut_mid_record(tmp_path: Path) -> None:
    path, refs = write_file(tmp_path)
    data = path.read_bytes()
    cut = refs[2].offset + refs[2].length // 2
    path.write_bytes(data[:cut])
    items = list(iter_records(path))
    assert kinds(items) == ["warcinfo", "response", "request", "response", "request", "DAMAGED"]
    assert items[-1].offset == refs[2].offset and items[-1].reason.startswith("truncated record")


@pytest.mark.parametrize("kind", ["gzip", "plain"])
def test_a_cut_anywhere_in_the_last_record_costs_that_record_only(tmp_path: Path, kind: str) -> None:
    """Cut at every byte of the last record, including its first bytes, where it has said
    only "W" or "WA" of its version line (in a ``.warc.gz``: of the first bytes its gzip
    member inflates to): the records before it are read (and addressable), the cut one is one
    truncated record at its offset. (A file ending inside the 3-byte gzip magic is junk: no
    record can be told there; a plain record missing only its closing blank lines is whole.)"""
    path, _ = write_file(tmp_path)
    data = path.read_bytes()
    members = split_members(data)
    if kind == "plain":
        data = b"".join(m.data for m in members)
        path = tmp_path / "plain.warc"
        path.write_bytes(data)
    records = list(iter_records(path))
    last, before = records[-1], records[:-1]
    first_cut = last.offset + (3 if kind == "gzip" else 1)
    last_cut = last.offset + (members[-1].length if kind == "gzip" else len(data) - last.offset - 4)
    cut_path = tmp_path / f"cut{path.name}"
    for cut in range(first_cut, last_cut):
        cut_path.write_bytes(data[:cut])
        items = list(iter_records(cut_path))
        assert [(i.offset, i.record_id, i.addressable) for i in items[:-1]] == \
            [(r.offset, r.record_id, r.addressable) for r in before], cut
        assert isinstance(items[-1], DamagedRecord) and items[-1].offset == last.offset, (cut, items[-1])
        assert items[-1].lost and items[-1].reason.startswith(("truncated record", "bad gzip")), (cut, items[-1])


def test_whole_file_gzip_is_streamed_with_a_note(tmp_path: Path) -> None:
    path, refs = write_file(tmp_path)
    plain = b"".join(m.data for m in split_members(path.read_bytes()))
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gz(plain))
    for max_body in (DEFAULT_MAX_BODY, 10_000):
        items = list(iter_records(whole, max_body=max_body))
        notes = [i for i in items if isinstance(i, DamagedRecord)]
        assert len(notes) == 1 and not notes[0].lost and notes[0].offset == 0
        assert "warcio recompress IN OUT" in notes[0].reason
        records = [i for i in items if isinstance(i, ArchivedRecord)]
        assert kinds(records) == ["warcinfo"] + ["response", "request"] * 3
        assert [r.member_index for r in records] == list(range(7))
        assert not any(r.addressable for r in records)
        assert [r.payload for r in records if r.rec_type == "response"] == [HTML] * 3
    # a record inside the member is still reachable by (offset, member_index)
    assert read_record_at(whole, 0, member_index=3).url == URL.format(1)


def test_concatenated_whole_file_and_per_record_gzip(tmp_path: Path) -> None:
    path, refs = write_file(tmp_path)
    plain = b"".join(m.data for m in split_members(path.read_bytes()))
    joined = tmp_path / "joined.warc.gz"
    joined.write_bytes(gz(plain) + path.read_bytes())
    records = [i for i in iter_records(joined) if isinstance(i, ArchivedRecord)]
    assert kinds(records) == (["warcinfo"] + ["response", "request"] * 3) * 2
    tail = records[7:]
    assert all(r.addressable for r in tail)
    assert [r.offset - len(gz(plain)) for r in tail] == [m.offset for m in split_members(path.read_bytes())]


def test_uncompressed_warc_is_read(tmp_path: Path) -> None:
    path, refs = write_file(tmp_path)
    plain = tmp_path / "plain.warc"
    plain.write_bytes(b"".join(m.data for m in split_members(path.read_bytes())))
    items = list(iter_records(plain))
    assert kinds(items) == ["warcinfo"] + ["response", "request"] * 3
    assert items[1].payload == HTML
    assert read_record_at(plain, items[3].offset).url == URL.format(1)


def test_gzip_bomb_body_is_capped(tmp_path: Path) -> None:
    bomb = gz(b"\0" * (8 * 1024 * 1024))
    assert len(bomb) < 20_000
    with WarcWriter(tmp_path) as writer:
        capture(writer, url=URL.format("ok"))
        bomb_ref, _ = capture(writer, url=URL.format("bomb"), body=bomb)
        capture(writer, url=URL.format("after"))
    items = list(iter_records(writer.closed_files[0], max_body=1024 * 1024))
    damaged = [i for i in items if isinstance(i, DamagedRecord)]
    assert [(d.offset, d.reason.split(":")[0]) for d in damaged] == [(bomb_ref.offset, "body over cap")]
    assert [i.url for i in items if getattr(i, "rec_type", "") == "response"] == [URL.format("ok"), URL.format("after")]
    # raising the cap reads it
    big = read_record_at(writer.closed_files[0], bomb_ref.offset, max_body=9 * 1024 * 1024)
    assert len(big.payload) == 8 * 1024 * 1024


def test_record_over_cap_is_skipped_exactly(tmp_path: Path) -> None:
    with WarcWriter(tmp_path) as writer:
        big_ref, _ = capture(writer, url=URL.format("big"), body=b"x" * 3_000_000, gzip_body=False)
        capture(writer, url=URL.format("after"))
    items = list(iter_records(writer.closed_files[0], max_body=100))
    assert (items[1].offset, items[1].reason.split(":")[0]) == (big_ref.offset, "body over cap")
    assert [i.url for i in items if getattr(i, "rec_type", "") == "response"] == [URL.format("after")]


@pytest.mark.parametrize(("coding", "encode"), [
    ("br", brotli.compress),
    ("zstd", lambda b: zstandard.ZstdCompressor().compress(b)),
    ("deflate", zlib.compress),
    ("gzip, br", lambda b: brotli.compress(gz(b))),
])
def test_content_codings_decoded(tmp_path: Path, coding: str, encode) -> None:  # noqa: ANN001
    with WarcWriter(tmp_path) as writer:
        ref, sent = capture(writer, body=encode(HTML), gzip_body=False,
                            extra_response_headers=[("Content-Encoding", coding)])
    rec = read_record_at(writer.closed_files[0], ref.offset)
    assert rec.payload == HTML and rec.content_encoding == coding


def test_brotli_bomb_capped(tmp_path: Path) -> None:
    with WarcWriter(tmp_path) as writer:
        ref, _ = capture(writer, body=brotli.compress(b"a" * 5_000_000), gzip_body=False,
                         extra_response_headers=[("Content-Encoding", "br")])
    with pytest.raises(DamagedRecordError, match="body over cap"):
        read_record_at(writer.closed_files[0], ref.offset, max_body=100_000)


def test_chunked_record_from_other_tools(tmp_path: Path) -> None:
    chunked = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    path = tmp_path / "foreign.warc.gz"
    with open(path, "wb") as fh:
        w = WarcioWriter(fh, gzip=True)
        http = StatusAndHeaders("200 OK", [("Transfer-Encoding", "chunked"), ("Content-Type", "text/plain")],
                                protocol="HTTP/1.1")
        w.write_record(w.create_warc_record("http://other.example/", "response", payload=io.BytesIO(chunked),
                                            length=len(chunked), http_headers=http))
    [rec] = list(iter_records(path))
    assert rec.payload == b"hello world"


def test_iter_warc_paths(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("b.warc.gz", "sub/a.warc.gz", "c.warc", "x.warc.gz.open", "index.cdxj"):
        (tmp_path / name).write_bytes(b"")
    extra = tmp_path / "sub" / "a.warc.gz"
    assert iter_warc_paths([tmp_path, extra]) == sorted([tmp_path / "b.warc.gz", extra, tmp_path / "c.warc"])
    with pytest.raises(FileNotFoundError, match="missing.warc.gz"):
        iter_warc_paths([tmp_path / "missing.warc.gz"])


def test_damaged_first_member_still_resyncs(tmp_path: Path) -> None:
    path, refs = write_file(tmp_path)
    data = bytearray(path.read_bytes())
    data[0:3] = b"XXX"
    path.write_bytes(bytes(data))
    items = list(iter_records(path))
    assert (items[0].offset, items[0].reason.split(":")[0]) == (0, "bad gzip")
    assert [i.url for i in items if getattr(i, "rec_type", "") == "response"] == [URL.format(i) for i in range(3)]


def test_an_empty_file_is_a_note_not_a_loss(tmp_path: Path) -> None:
    path = tmp_path / "empty.warc.gz"
    path.write_bytes(b"")
    [note] = list(iter_records(path))
    assert isinstance(note, DamagedRecord) and not note.lost
    assert (note.offset, note.reason) == (0, "empty file: no records")

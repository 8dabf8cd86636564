"""The reader's fast path (warcio reading a record held in memory through io.BytesIO, and the
early decompression behind it) gives exactly what reading through GzipStream gives: the same
records, the same damage reports at the same offsets with the same reasons, on the field's
archives and on crafted files whose members straddle file chunks, exceed one decompression
step, are split inside a record, damaged or cut."""

from __future__ import annotations

import base64
import gzip
import hashlib
import itertools
import random
import uuid
from pathlib import Path

import pytest

from archive import framing
from archive.framing import CHUNK, FEED, GzipStream
from archive.reader import ArchivedRecord, DamagedRecord, iter_records, read_record_at

ARCHIVES = Path(__file__).resolve().parents[3] / "shared" / "archives"
FIELD = sorted(p for p in ARCHIVES.iterdir() if p.name != "README.md")


def _record(n: int, body: bytes) -> bytes:
    digest = "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()
    head = (f"WARC/1.0\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:{uuid.UUID(int=n)}>\r\n"
            f"WARC-Target-URI: http://example.com/{n}\r\nWARC-Date: 2026-11-01T00:00:00Z\r\n"
            f"WARC-Block-Digest: {digest}\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    return head + body + b"\r\n\r\n"


def _bodies() -> list[bytes]:
    """Small text bodies and incompressible ones: members of up to several FEEDs, so some
    straddle the reader's CHUNK-sized file reads."""
    rng = random.Random(15)
    out = []
    for n in range(40):
        if n % 5 == 2:
            out.append(rng.randbytes(rng.randrange(FEED // 2, 3 * FEED)))
        else:
            out.append((f"line {n} " * rng.randrange(5, 900)).encode())
    return out


def _members(records: list[bytes]) -> list[bytes]:
    return [gzip.compress(r, mtime=0) for r in records]


def _member_of_length(n: int, length: int, rng: random.Random) -> bytes | None:
    """A one-record gzip member of exactly ``length`` bytes (an incompressible body sized to
    fit: stored deflate grows byte for byte), or None when no body size gives it."""
    body = rng.randbytes(length)
    size = length - 400
    for _ in range(8):
        member = gzip.compress(_record(n, body[:size]), mtime=0)
        if len(member) == length:
            return member
        size += length - len(member)
    return None


def _crafted(tmp: Path) -> list[Path]:
    records = [_record(n, b) for n, b in enumerate(_bodies())]
    members = _members(records)
    whole = b"".join(members)
    assert len(whole) > 3 * CHUNK  # several file chunks, so members straddle them
    files: dict[str, bytes] = {"clean.warc.gz": whole}
    big = next(i for i, m in enumerate(members) if len(m) > FEED)
    start = sum(len(m) for m in members[:big])
    for k, where in enumerate((FEED + 7, len(members[big]) // 2, len(members[big]) - 12)):
        damaged = bytearray(whole)
        damaged[start + where] ^= 0x55  # deep in a member larger than one decompression step
        files[f"flip{k}.warc.gz"] = bytes(damaged)
    files["cut-in-big.warc.gz"] = whole[:start + FEED + 100]
    # bad headers and, further on in the same large member, bad deflate data: both reported
    bad_head = records[big].replace(b"Content-Length: ", b"Content-Length: x", 1)
    member = bytearray(gzip.compress(bad_head, mtime=0))
    member[len(member) - 40] ^= 0x55
    files["badhead-flip.warc.gz"] = b"".join(members[:big]) + bytes(member) + b"".join(members[big + 1:])
    for frac in (0.25, 0.5, 0.9):
        files[f"cut{frac}.warc.gz"] = whole[:int(len(whole) * frac)]
    for k, idx in enumerate((1, big, 7)):
        rec = records[idx]
        head_end = rec.index(b"\r\n\r\n") + 4
        for cut in (rec.index(b"\n") + 1, head_end // 2, head_end, (head_end + len(rec)) // 2, len(rec) - 2):
            split = members[:idx] + [gzip.compress(rec[:cut], mtime=0), gzip.compress(rec[cut:], mtime=0)] \
                + members[idx + 1:]
            files[f"split{k}-{cut}.warc.gz"] = b"".join(split)
    files["junk.warc.gz"] = b"".join(members[:9]) + b"no record here\r\n" * 5 + b"".join(members[9:])
    files["pair.warc.gz"] = b"".join(members[:3]) + gzip.compress(records[3] + records[4], mtime=0) \
        + b"".join(members[5:])
    files["whole.warc.gz"] = gzip.compress(b"".join(records), mtime=0)
    # the same, in a member that straddles the first CHUNK of the file (so the reader
    # decompresses the rest of it early, before warcio reads the record)
    rng = random.Random(16)
    filler = _member_of_length(200, CHUNK - 3000, rng)
    assert filler is not None
    straddling = bytearray(gzip.compress(_record(201, rng.randbytes(3 * FEED // 2)).replace(
        b"Content-Length: ", b"Content-Length: x", 1), mtime=0))
    straddling[len(straddling) - 40] ^= 0x55
    assert len(filler) < CHUNK < len(filler) + len(straddling)
    files["straddle-badhead-flip.warc.gz"] = filler + bytes(straddling) + b"".join(members[:3])
    # a record with an empty block, its Content-Length first, split at every byte (three
    # small records in all): warcio stops at the end of the held bytes without a short read
    empty = (b"WARC/1.0\r\nContent-Length: 0\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:"
             + str(uuid.UUID(int=101)).encode() + b">\r\nWARC-Date: 2026-11-01T00:00:00Z\r\n"
             b"WARC-Target-URI: http://example.com/empty\r\n\r\n\r\n\r\n")
    small = [_record(100, b"before"), empty, _record(102, b"after")]
    for cut in range(1, len(small[1])):
        parts = [small[0], small[1][:cut], small[1][cut:], small[2]]
        files[f"empty-split-{cut}.warc.gz"] = b"".join(gzip.compress(p, mtime=0) for p in parts)
    paths = []
    for name, data in files.items():
        path = tmp / name
        path.write_bytes(data)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def crafted(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return _crafted(tmp_path_factory.mktemp("held"))


def _read(path: Path, monkeypatch: pytest.MonkeyPatch, *, held: bool) -> tuple[list[object], int]:
    """Items of ``path`` (and of read_record_at for each record), with the fast path on or
    off; and how many times the fast path had a record's bytes to hand."""
    ids = itertools.count()
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=next(ids)))  # ARC conversion ids
    original = GzipStream.held
    hits = [0]

    def counting(self: GzipStream) -> tuple[bytes, int] | None:
        got = original(self)
        hits[0] += got is not None
        return got

    monkeypatch.setattr(framing.GzipStream, "held", counting if held else (lambda self: None))
    items: list[object] = list(iter_records(path))
    items += list(iter_records(path, keep_payload=False))
    for item in list(items):
        if isinstance(item, ArchivedRecord) and item.addressable:
            try:
                items.append(read_record_at(path, item.offset, member_index=item.member_index))
            except ValueError as exc:
                items.append(str(exc))
    monkeypatch.undo()
    return items, hits[0]


@pytest.mark.parametrize("name", [p.name for p in FIELD])
def test_field_archives_read_the_same_with_and_without_the_fast_path(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = ARCHIVES / name
    fast, hits = _read(path, monkeypatch, held=True)
    slow, _ = _read(path, monkeypatch, held=False)
    assert fast == slow
    assert fast  # every field file gives records or reports


def test_crafted_files_read_the_same_with_and_without_the_fast_path(crafted: list[Path],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    total_hits = 0
    for path in crafted:
        fast, hits = _read(path, monkeypatch, held=True)
        slow, _ = _read(path, monkeypatch, held=False)
        assert fast == slow, path.name
        total_hits += hits
    assert total_hits > 100  # the fast path really ran


def test_damage_deep_in_a_large_member_costs_that_record_only(crafted: list[Path]) -> None:
    """A flipped byte past the first decompression step of a member larger than one: the
    early decompression meets it, the report names that member, the records around it read."""
    clean = [i for i in iter_records(next(p for p in crafted if p.name == "clean.warc.gz"))]
    assert all(isinstance(i, ArchivedRecord) for i in clean) and len(clean) == 40
    for name in ("flip0.warc.gz", "flip1.warc.gz"):
        items = list(iter_records(next(p for p in crafted if p.name == name)))
        damaged = [i for i in items if isinstance(i, DamagedRecord) and i.lost]
        assert len(damaged) == 1, items
        big = next(r for r in clean if r.offset == damaged[0].offset)
        assert len(big.payload) > FEED // 2 and damaged[0].reason.startswith("bad gzip")
        good = [i.record_id for i in items if isinstance(i, ArchivedRecord)]
        assert good == [r.record_id for r in clean if r is not big]
    items = list(iter_records(next(p for p in crafted if p.name == "badhead-flip.warc.gz")))
    reasons = [i.reason.split(":")[0] for i in items if isinstance(i, DamagedRecord)]
    assert reasons == ["bad Content-Length", "bad gzip"]
    assert sum(isinstance(i, ArchivedRecord) for i in items) == 39
    items = list(iter_records(next(p for p in crafted if p.name == "straddle-badhead-flip.warc.gz")))
    reasons = [i.reason.split(":")[0] for i in items if isinstance(i, DamagedRecord)]
    assert reasons == ["bad Content-Length", "bad gzip"]
    assert [i.url for i in items if isinstance(i, ArchivedRecord)] == [
        "http://example.com/200", "http://example.com/0", "http://example.com/1", "http://example.com/2"]


def test_record_fields_come_from_the_right_places() -> None:
    """Every ArchivedRecord field holds what its name says (the reader builds them by position)."""
    path = ARCHIVES / "warcio--example.warc.gz"
    records = [i for i in iter_records(path) if isinstance(i, ArchivedRecord)]
    response = next(r for r in records if r.rec_type == "response")
    assert response.filename == path.name and response.path == path and response.member is None
    assert response.url == response.headers["WARC-Target-URI"]
    assert response.date == response.headers["WARC-Date"] and response.date.startswith("20")
    assert response.record_id == response.headers["WARC-Record-ID"].strip()
    assert response.payload_digest == response.headers["WARC-Payload-Digest"]
    assert response.refers_to is None and response.concurrent_to is None
    assert response.http_status == 200 and response.http_statusline.startswith("HTTP/1.")
    assert response.http_method is None and response.http_header("Content-Type")
    assert response.payload_decoded is True and response.member_index == 0 and response.addressable
    assert response.source_format == "warc" and response.verified is True and response.stored_digest is None
    assert response.content_encoding == "gzip" and response.http_header("Content-Encoding") == "gzip"
    assert 0 < response.payload_length < len(response.payload) and response.length > response.payload_length
    request = next(r for r in records if r.rec_type == "request")
    assert request.http_method == "GET" and request.concurrent_to == request.headers["WARC-Concurrent-To"]
    revisit = next((r for r in records if r.rec_type == "revisit"), None)
    if revisit is not None:
        assert revisit.refers_to == revisit.headers.get("WARC-Refers-To")


def test_a_member_starting_just_before_a_file_chunk_is_still_a_record_start(tmp_path: Path) -> None:
    """The next member's first bytes are cut by the reader's 64 KiB file read, so its first
    decompression step gives only part of its first line ("WA" of "WARC/1.0"): the reader must
    read on before it decides whether that member starts a record. Deciding on the part took
    the member for the rest of the record before it, and reported every record of the file as
    "not one record per gzip member" (seen on a demo crawl in CI; here cuts of about 75 bytes
    hit it)."""
    rng = random.Random(7)
    filler = b"".join(_members([_record(1000 + n, rng.randbytes(900)) for n in range(45)]))
    assert len(filler) < CHUNK - 2000
    tried = 0
    for cut in range(1, 160):  # the next member starts `cut` bytes before the chunk boundary
        pad = _member_of_length(2000, CHUNK - cut - len(filler), rng)
        if pad is None:
            continue
        tried += 1
        after = _members([_record(2001, ("正文 " * 4000).encode()), _record(2002, b"last")])
        path = tmp_path / f"cut{cut}.warc.gz"
        path.write_bytes(filler + pad + b"".join(after))
        items = list(iter_records(path))
        assert all(isinstance(i, ArchivedRecord) and i.addressable for i in items), (cut, items[:3])
        starts = [i.offset for i in items if isinstance(i, ArchivedRecord)]
        assert starts[-3] + len(pad) == CHUNK - cut and starts[-2] == CHUNK - cut
        assert read_record_at(path, CHUNK - cut).url == "http://example.com/2001"
    assert tried > 100


def test_one_loss_per_lost_record_but_every_lost_record_counted(tmp_path: Path, crafted: list[Path]) -> None:
    """A record with bad headers whose member is also damaged further on is one loss: the
    gzip damage is reported too, as a note (lost False), so a run counts one lost record. In
    one gzip member holding several records (whole-file gzip), a bad digest, then bad gzip
    data met while reading the next record, are two losses."""
    items = list(iter_records(next(p for p in crafted if p.name == "badhead-flip.warc.gz")))
    assert [(i.reason.split(":")[0], i.lost) for i in items if isinstance(i, DamagedRecord)] == [
        ("bad Content-Length", True), ("bad gzip", False)]
    rng = random.Random(21)
    records = [_record(n, rng.randbytes(20_000)) for n in range(6)]  # several decompression steps
    records[1] = records[1].replace(b"Content-Length: ", b"Content-Length: x", 1)
    whole = bytearray(gzip.compress(b"".join(records), mtime=0))
    whole[int(len(whole) * 0.8)] ^= 0x55  # in record 4's body: its digest fails, the member's CRC too
    path = tmp_path / "whole.warc.gz"
    path.write_bytes(bytes(whole))
    items = list(iter_records(path))
    lost = [i.reason.split(":")[0] for i in items if isinstance(i, DamagedRecord) and i.lost]
    assert lost == ["bad Content-Length", "block digest mismatch", "bad gzip"]
    assert [i.url for i in items if isinstance(i, ArchivedRecord)] == [f"http://example.com/{n}" for n in (0, 2, 3)]

"""archive.captures: own/foreign by warcinfo software, revisits across files, damaged own files."""

from __future__ import annotations

import gzip
import io
import re
import zipfile
import zlib
from pathlib import Path

from support.archives import HTML, capture, split_members
from warcio.warcwriter import WARCWriter as WarcioWriter

from archive.captures import CaptureReader, is_own_software, warcinfo_software
from archive.reader import ArchivedRecord, iter_records
from archive.writer import WarcWriter

ARCHIVES = Path(__file__).resolve().parents[3] / "shared" / "archives"
WGET = ARCHIVES / "wget-1.21.3--eval-pages.warc.gz"
URL = "https://news.example.cn/health/{}.html"


def html_200(path: Path) -> list[str]:
    return [r.url for r in iter_records(path) if isinstance(r, ArchivedRecord) and r.rec_type == "response"
            and r.http_status == 200 and "html" in (r.http_header("content-type") or "")]


def test_software_field_decides() -> None:
    assert is_own_software("healthcrawl/0.1 (Scrapy capture middleware)")
    assert is_own_software("healthcrawl")
    for other in ("Wget/1.21.3 (linux-gnu)", "healthcrawl-mirror", "not healthcrawl", None, ""):
        assert not is_own_software(other)


def _with_warcinfo(src: Path, out: Path, fields: dict[str, str]) -> Path:
    """``src`` with its warcinfo member replaced by one holding ``fields``."""
    raw = src.read_bytes()
    members = split_members(raw)
    buf = io.BytesIO()
    writer = WarcioWriter(buf, gzip=True)
    writer.write_record(writer.create_warcinfo_record("x.warc.gz", fields))
    out.write_bytes(buf.getvalue() + b"".join(raw[m.offset:m.offset + m.length] for m in members[1:]))
    return out


def test_foreign_file_mentioning_healthcrawl_is_foreign(tmp_path: Path) -> None:
    fake = _with_warcinfo(WGET, tmp_path / "healthcrawl-mirror.warc.gz", {
        "software": "Wget/1.21.3 (linux-gnu)", "wget-arguments": "--warc-file=healthcrawl-mirror",
        "description": "mirror made for healthcrawl"})
    reader = CaptureReader()
    got = [c.record.url for c in reader.captures([fake])]
    assert got == html_200(WGET) and len(got) == 12
    assert not any(c.own for c in CaptureReader().captures([fake]))
    assert warcinfo_software(next(r for r in iter_records(fake) if r.rec_type == "warcinfo")).startswith("Wget")


def own_file(directory: Path, n: int = 4) -> tuple[Path, list]:
    with WarcWriter(directory, software="healthcrawl/0.1 (Scrapy capture middleware)") as writer:
        refs = []
        for i in range(n):
            ref, _ = capture(writer, url=URL.format(i))
            refs.append(ref)
            if i % 2:  # the pool finishes pages out of order: metadata for i-1 and i now
                writer.write_metadata(url=URL.format(i), refers_to=ref, fields={"source_name": "s", "n": i})
                writer.write_metadata(url=URL.format(i - 1), refers_to=refs[i - 1], fields={"source_name": "s", "n": i - 1})
        capture(writer, url="https://news.example.cn/list.html")  # a listing: never offered
    return writer.closed_files[0], refs


def test_own_file_gives_offered_captures_in_metadata_order(tmp_path: Path) -> None:
    path, _ = own_file(tmp_path)
    caps = list(CaptureReader().captures([path]))
    assert [c.fields["n"] for c in caps] == [1, 0, 3, 2]
    assert all(c.own and c.payload.payload == HTML for c in caps)
    assert len({c.key for c in caps}) == 4
    assert [c.key for c in CaptureReader().captures([path])] == [c.key for c in caps]  # stable


def test_truncated_own_file_keeps_complete_captures(tmp_path: Path) -> None:
    path, refs = own_file(tmp_path)
    data = path.read_bytes()
    # cut inside the first metadata record after capture 3: captures 2 and 3 lose theirs
    cut_at = refs[3].offset + refs[3].length
    members = [m for m in split_members(data) if m.offset >= cut_at]
    request_end = members[0].offset + members[0].length  # capture 3's request record
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[:request_end + 20])
    reader = CaptureReader()
    caps = list(reader.captures([cut]))
    assert [c.record.url for c in caps] == [URL.format(1), URL.format(0), URL.format(2), URL.format(3)]
    assert [c.fields.get("n") for c in caps] == [1, 0, None, None]
    assert [d.reason.split(":")[0] for d in reader.damaged if d.lost] == ["truncated record"]


def _revisit_file(directory: Path, original: ArchivedRecord, *, profile_uri: str, refers_id: bool) -> Path:
    path = directory / "revisits.warc.gz"
    with open(path, "wb") as fh:
        writer = WarcioWriter(fh, gzip=True)
        headers = {"WARC-Profile": profile_uri, "WARC-Refers-To-Target-URI": original.url,
                   "WARC-Refers-To-Date": original.date, "WARC-Payload-Digest": original.payload_digest}
        if refers_id:
            headers["WARC-Refers-To"] = original.record_id
        rec = writer.create_revisit_record("http://mirror.example/other-url", digest=original.payload_digest,
                                           refers_to_uri=original.url, refers_to_date=original.date)
        for name, value in headers.items():
            rec.rec_headers.replace_header(name, value)
        writer.write_record(rec)
    return path


def test_foreign_revisits_resolve_across_files_in_any_order(tmp_path: Path) -> None:
    example = ARCHIVES / "warcio--example.warc.gz"
    caps = list(CaptureReader().captures([example]))
    # same-URL revisit through Refers-To-Target-URI + Date
    assert [c.record.rec_type for c in caps] == ["response", "revisit"]
    assert caps[1].payload.record_id == caps[0].record.record_id
    original = caps[0].record
    # URL-agnostic, by payload digest only, in a file read *before* the original
    rev = _revisit_file(tmp_path, original, refers_id=False,
                        profile_uri="http://netpreserve.org/warc/1.1/revisit/identical-payload-digest")
    data = zlib.decompress(rev.read_bytes(), zlib.MAX_WBITS | 16)
    rev.write_bytes(zlib.compress(data.replace(b"WARC-Refers-To-Date", b"X-Refers-To-Date"), wbits=31))
    reader = CaptureReader()
    caps = list(reader.captures([rev, example]))
    moved = [c for c in caps if c.record.url == "http://mirror.example/other-url"]
    assert len(moved) == 1 and moved[0].payload.record_id == original.record_id
    assert b"Example Domain" in moved[0].payload.payload
    assert not [d for d in reader.damaged if d.lost]


def test_missing_revisit_original_is_reported(tmp_path: Path) -> None:
    example = ARCHIVES / "warcio--example.warc.gz"
    original = list(CaptureReader().captures([example]))[0].record
    rev = _revisit_file(tmp_path, original, refers_id=True,
                        profile_uri="http://netpreserve.org/warc/1.1/revisit/server-not-modified")
    reader = CaptureReader()
    assert list(reader.captures([rev])) == []
    [missing] = [d for d in reader.damaged if d.lost]
    assert missing.reason.startswith("revisit original missing") and missing.filename == rev.name


def test_bad_warc_date_is_reported_not_silently_dropped(tmp_path: Path) -> None:
    raw = WGET.read_bytes()
    members = split_members(raw)
    parts = []
    for m in members:
        data = m.data
        if b"WARC-Type: response" in data and not parts.count(b"done"):
            data = re.sub(rb"WARC-Date: [^\r]+", b"WARC-Date: yesterday", data, count=1)
            parts.append(b"done")
            bad_offset = sum(len(p) for p in parts if p != b"done")
        parts.append(gzip.compress(data) if data is not m.data else raw[m.offset:m.offset + m.length])
    path = tmp_path / "baddate.warc.gz"
    path.write_bytes(b"".join(p for p in parts if p != b"done"))
    reader = CaptureReader()
    caps = list(reader.captures([path]))
    assert len(caps) == len(html_200(WGET)) - 1
    [bad] = [d for d in reader.damaged if d.lost]
    assert bad.reason.startswith("bad WARC-Date: 'yesterday'") and bad.offset == bad_offset


def test_own_file_as_whole_file_gzip_and_inside_a_wacz(tmp_path: Path) -> None:
    path, _ = own_file(tmp_path / "w")
    expected = [(c.record.url, c.fields["n"], c.payload.payload) for c in CaptureReader().captures([path])]
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress(b"".join(m.data for m in split_members(path.read_bytes()))))
    reader = CaptureReader()
    assert [(c.record.url, c.fields["n"], c.payload.payload) for c in reader.captures([whole])] == expected
    assert not [d for d in reader.damaged if d.lost] and reader.damaged  # a note, nothing lost
    wacz = tmp_path / "own.wacz"
    with zipfile.ZipFile(wacz, "w") as zf:
        zf.write(ARCHIVES / "warcio--example.warc.gz", "archive/a-foreign.warc.gz")
        zf.write(path, f"archive/{path.name}")
    caps = list(CaptureReader().captures([wacz]))
    assert [c.own for c in caps] == [False, False] + [True] * 4
    assert [(c.record.url, c.fields["n"], c.payload.payload) for c in caps if c.own] == expected
    assert {c.record.member for c in caps} == {"archive/a-foreign.warc.gz", f"archive/{path.name}"}


def test_cut_between_out_of_order_metadata_drops_the_unclaimed_earlier_capture(tmp_path: Path) -> None:
    """Unclaimed responses written before a claimed one were never offered (listing pages, feeds):
    the live crawl writes metadata in fetch order. So when metadata was written out of order (3
    before 2) and the cut falls between the two, capture 2 counts as never offered."""
    path, refs = own_file(tmp_path)
    data = path.read_bytes()
    records = [r for r in iter_records(path) if isinstance(r, ArchivedRecord)]
    meta3 = next(r for r in records if r.rec_type == "metadata" and r.refers_to == refs[3].record_id)
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[:meta3.offset + meta3.length + 30])
    caps = list(CaptureReader().captures([cut]))
    assert [(c.record.url, c.fields.get("n")) for c in caps] == [(URL.format(1), 1), (URL.format(0), 0), (URL.format(3), 3)]


def test_damaged_own_file_never_offers_a_listing_fetched_before_an_article(tmp_path: Path) -> None:
    """The tail of a damaged own file holds only responses after the last claimed capture: a
    listing page fetched (and never offered) before an article does not become an item."""
    with WarcWriter(tmp_path / "w", software="healthcrawl/0.1 (Scrapy capture middleware)") as writer:
        capture(writer, url="https://news.example.cn/list.html")  # a listing: never offered
        ref, _ = capture(writer, url=URL.format(0))
        writer.write_metadata(url=URL.format(0), refers_to=ref, fields={"source_name": "s", "n": 0})
        last, _ = capture(writer, url=URL.format(1))  # its metadata record is lost with the cut
    path = writer.closed_files[0]
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(path.read_bytes()[:last.offset + last.length + 400])
    caps = list(CaptureReader().captures([cut]))
    assert [(c.record.url, c.fields.get("n")) for c in caps] == [(URL.format(0), 0), (URL.format(1), None)]


def test_copies_of_a_file_give_each_capture_once(tmp_path: Path) -> None:
    path, _ = own_file(tmp_path / "w")
    copy = tmp_path / "copy.warc.gz"
    copy.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])  # a cut copy: its tail is replayed
    reader = CaptureReader()
    caps = list(reader.captures([path, copy]))
    assert [c.fields["n"] for c in caps] == [1, 0, 3, 2]
    assert reader.repeated >= 2

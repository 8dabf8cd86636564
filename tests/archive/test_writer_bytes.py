"""Byte-exact WARC writing, as warcio's own tests do (`FixedTestRecordMixin`): record ids, dates
and the file's timestamp fixed, then every record the writer emits for one fetch compared with
the expected bytes — warcinfo, response + request, the extraction metadata record, a
server-not-modified revisit + request. One gzip member per record; the digests are also checked
by warcio on reading. A change here changes what every archive of ours holds: update
EXPECTED only after reading the diff (and say why in the commit)."""

from __future__ import annotations

import gzip
import io
import itertools
import zlib
from datetime import datetime, timezone
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.recordbuilder import RecordBuilder

import archive.writer as writer_module
from archive.writer import WarcWriter

WHEN = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc)
URL = "http://news.example.cn/a/1.html"
BODY = "<html><head><meta charset='utf-8'><title>医共体</title></head><body><p>县域医共体</p></body></html>".encode()

EXPECTED = [
    ('WARC/1.1\r\n'
     'WARC-Type: warcinfo\r\n'
     'WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>\r\n'
     'WARC-Filename: healthcrawl-20260102030405000-00000-w1.warc.gz\r\n'
     'WARC-Date: 2026-01-02T03:04:05.000006Z\r\n'
     'WARC-Block-Digest: sha1:5O6ZCBPGVRBAYZ6TKKUOQ2YYXUWTOKRJ\r\n'
     'Content-Type: application/warc-fields\r\n'
     'Content-Length: 652\r\n'
     '\r\n'
     'software: healthcrawl/test\r\n'
     'format: WARC File Format 1.1\r\n'
     'conformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n'
     'robots: obey\r\n'
     "description: Captured through Scrapy's downloader below its decompression middleware: response bodies are stored as sent (content coding kept, transfer coding removed, so Transfer-Encoding headers are dropped). Scrapy cannot report the exact wire form: header order and name case, and the raw status line (protocol and reason phrase), are as Scrapy reports them. Request headers Authorization, Proxy-Authorization and Cookie are not stored; Host is added when Scrapy's request lacks it.\r\n"
     '\r\n'
     '\r\n'),
    ('WARC/1.1\r\n'
     'WARC-Type: response\r\n'
     'WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000002>\r\n'
     'WARC-Date: 2026-01-02T03:04:05.000006Z\r\n'
     'WARC-Target-URI: http://news.example.cn/a/1.html\r\n'
     'WARC-Warcinfo-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>\r\n'
     'WARC-IP-Address: 127.0.0.1\r\n'
     'WARC-Concurrent-To: <urn:uuid:00000000-0000-4000-8000-000000000003>\r\n'
     'WARC-Payload-Digest: sha1:R7V7JRM3QJHXGRIN3XIMTVTBNDIZE6AY\r\n'
     'WARC-Block-Digest: sha1:XBMWBLNOIS44RAQTCVM7IFLN4HMYYW6D\r\n'
     'Content-Type: application/http; msgtype=response\r\n'
     'Content-Length: 187\r\n'
     '\r\n'
     'HTTP/1.1 200 OK\r\n'
     'Content-Type: text/html; charset=utf-8\r\n'
     'Content-Length: 107\r\n'
     '\r\n'
     "<html><head><meta charset='utf-8'><title>医共体</title></head><body><p>县域医共体</p></body></html>\r\n"
     '\r\n'),
    ('WARC/1.1\r\n'
     'WARC-Type: request\r\n'
     'WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000003>\r\n'
     'WARC-Date: 2026-01-02T03:04:05.000006Z\r\n'
     'WARC-Target-URI: http://news.example.cn/a/1.html\r\n'
     'WARC-Warcinfo-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>\r\n'
     'WARC-Concurrent-To: <urn:uuid:00000000-0000-4000-8000-000000000002>\r\n'
     'WARC-Payload-Digest: sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ\r\n'
     'WARC-Block-Digest: sha1:4AL6DSZDBGYCN2H6ER635XAKUH7EHFU5\r\n'
     'Content-Type: application/http; msgtype=request\r\n'
     'Content-Length: 102\r\n'
     '\r\n'
     'GET /a/1.html HTTP/1.1\r\n'
     'Host: news.example.cn\r\n'
     'User-Agent: healthcrawl/test\r\n'
     'Accept-Encoding: gzip\r\n'
     '\r\n'
     '\r\n'
     '\r\n'),
    ('WARC/1.1\r\n'
     'WARC-Type: metadata\r\n'
     'WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000004>\r\n'
     'WARC-Date: 2026-01-02T03:04:05.000006Z\r\n'
     'WARC-Target-URI: urn:healthcrawl:metadata:http://news.example.cn/a/1.html\r\n'
     'WARC-Warcinfo-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>\r\n'
     'WARC-Refers-To: <urn:uuid:00000000-0000-4000-8000-000000000002>\r\n'
     'WARC-Concurrent-To: <urn:uuid:00000000-0000-4000-8000-000000000002>\r\n'
     'WARC-Payload-Digest: sha1:NTP33MJV4DLBINYHSBBNNWBJW6VOZWAW\r\n'
     'WARC-Block-Digest: sha1:NTP33MJV4DLBINYHSBBNNWBJW6VOZWAW\r\n'
     'Content-Type: application/json\r\n'
     'Content-Length: 39\r\n'
     '\r\n'
     '{"item_id": "abc", "status": "article"}\r\n'
     '\r\n'),
    ('WARC/1.1\r\n'
     'WARC-Type: revisit\r\n'
     'WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000005>\r\n'
     'WARC-Date: 2026-01-02T03:04:05.000006Z\r\n'
     'WARC-Target-URI: http://news.example.cn/a/1.html\r\n'
     'WARC-Warcinfo-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>\r\n'
     'WARC-Profile: http://netpreserve.org/warc/1.1/revisit/server-not-modified\r\n'
     'WARC-Refers-To: <urn:uuid:00000000-0000-4000-8000-000000000002>\r\n'
     'WARC-Refers-To-Target-URI: http://news.example.cn/a/1.html\r\n'
     'WARC-Refers-To-Date: 2026-01-02T03:04:05.000006Z\r\n'
     'WARC-Payload-Digest: sha1:R7V7JRM3QJHXGRIN3XIMTVTBNDIZE6AY\r\n'
     'WARC-Truncated: length\r\n'
     'WARC-Concurrent-To: <urn:uuid:00000000-0000-4000-8000-000000000006>\r\n'
     'WARC-Block-Digest: sha1:4K6KP6NYU2YB4W3KLFPFUK76EZAXZWVT\r\n'
     'Content-Type: application/http; msgtype=response\r\n'
     'Content-Length: 41\r\n'
     '\r\n'
     'HTTP/1.1 304 Not Modified\r\n'
     'ETag: "v1"\r\n'
     '\r\n'
     '\r\n'
     '\r\n'),
    ('WARC/1.1\r\n'
     'WARC-Type: request\r\n'
     'WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000006>\r\n'
     'WARC-Date: 2026-01-02T03:04:05.000006Z\r\n'
     'WARC-Target-URI: http://news.example.cn/a/1.html\r\n'
     'WARC-Warcinfo-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>\r\n'
     'WARC-Concurrent-To: <urn:uuid:00000000-0000-4000-8000-000000000005>\r\n'
     'WARC-Payload-Digest: sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ\r\n'
     'WARC-Block-Digest: sha1:7Q5TNMKX6IJQ75EAKCT7A3GDG6FYUJZU\r\n'
     'Content-Type: application/http; msgtype=request\r\n'
     'Content-Length: 79\r\n'
     '\r\n'
     'GET /a/1.html HTTP/1.1\r\n'
     'Host: news.example.cn\r\n'
     'User-Agent: healthcrawl/test\r\n'
     '\r\n'
     '\r\n'
     '\r\n'),
]


@pytest.fixture
def fixed(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = (f"<urn:uuid:00000000-0000-4000-8000-{n:012d}>" for n in itertools.count(1))
    monkeypatch.setattr(RecordBuilder, "_make_warc_id", staticmethod(lambda: next(ids)))
    monkeypatch.setattr(RecordBuilder, "curr_warc_date", lambda self: "2026-01-02T03:04:05.000006Z")
    name = writer_module.warc_name
    monkeypatch.setattr(writer_module, "warc_name", lambda prefix, serial, host_tag="", *, unique_suffix="":
                        name(prefix, serial, host_tag, now=WHEN, unique_suffix=unique_suffix))


def write_one_fetch(directory: Path) -> Path:
    with WarcWriter(directory, prefix="healthcrawl", software="healthcrawl/test", host_tag="w1") as w:
        ref = w.write_capture(url=URL, method="GET", request_body=b"", status=200, reason="OK",
                              request_headers=[("User-Agent", "healthcrawl/test"), ("Accept-Encoding", "gzip"),
                                               ("Cookie", "s=1")],
                              response_headers=[("Content-Type", "text/html; charset=utf-8"),
                                                ("Content-Length", str(len(BODY))), ("Transfer-Encoding", "chunked")],
                              body=BODY, date=WHEN, ip="127.0.0.1")
        w.write_metadata(url=URL, refers_to=ref, fields={"status": "article", "item_id": "abc"}, date=WHEN)
        w.write_revisit(url=URL, method="GET", request_headers=[("User-Agent", "healthcrawl/test")], request_body=b"",
                        status=304, reason="Not Modified", response_headers=[("ETag", '"v1"')], refers_to=ref,
                        refers_to_url=URL, profile="server-not-modified", date=WHEN)
    (path,) = sorted(directory.iterdir())
    return path


def members(data: bytes) -> list[bytes]:
    """The decompressed gzip members of `data`, one by one."""
    found = []
    while data:
        inflater = zlib.decompressobj(zlib.MAX_WBITS + 16)
        found.append(inflater.decompress(data) + inflater.flush())
        data = inflater.unused_data
    return found


def test_records_are_byte_exact(fixed: None, tmp_path: Path) -> None:
    path = write_one_fetch(tmp_path)
    assert path.name == "healthcrawl-20260102030405000-00000-w1.warc.gz"
    got = [member.decode("utf-8") for member in members(path.read_bytes())]
    assert len(got) == len(EXPECTED), "one gzip member per record"
    for number, (record, expected) in enumerate(zip(got, EXPECTED)):
        assert record == expected, f"record {number} differs"


def test_warcio_reads_them_with_their_digests_checked(fixed: None, tmp_path: Path) -> None:
    path = write_one_fetch(tmp_path)
    with path.open("rb") as fh:
        records = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
                   for r in ArchiveIterator(fh, check_digests="raise")]
    assert [kind for kind, _, _ in records] == ["warcinfo", "response", "request", "metadata", "revisit", "request"]
    assert records[1][2] == BODY
    assert gzip.decompress(path.read_bytes()).count(b"WARC/1.1\r\n") == 6

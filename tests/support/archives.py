"""Helpers for the archive tests: an independent WARC parser (zlib + hashlib only, no code
from ``archive/``) and a canned capture, so writer tests check bytes, not our own reader."""

from __future__ import annotations

import base64
import gzip
import hashlib
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from archive.writer import CaptureRef, WarcWriter

SECRET_AUTH = "Bearer s3cr3t-token-AAA"
SECRET_PROXY = "Basic cHJveHk6c2VjcmV0QkJC"
SECRET_COOKIE = "session=s3cr3t-cookie-CCC"
HTML = "<html><head><title>健康新闻</title></head><body><p>卫生健康委员会通知</p></body></html>".encode()
FIXED_DATE = datetime(2026, 11, 25, 8, 15, 0, 123456, tzinfo=timezone.utc)


@dataclass
class RawMember:
    offset: int
    length: int
    data: bytes  # decompressed record bytes


@dataclass
class RawRecord:
    offset: int
    length: int
    version: str
    headers: list[tuple[str, str]]
    block: bytes

    def get(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def get_all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


def split_members(raw: bytes) -> list[RawMember]:
    """Decompress gzip members one by one; fails if a member is incomplete."""
    members = []
    pos = 0
    while pos < len(raw):
        dec = zlib.decompressobj(zlib.MAX_WBITS | 16)
        data = dec.decompress(raw[pos:])
        assert dec.eof, f"gzip member at {pos} is incomplete"
        length = len(raw) - pos - len(dec.unused_data)
        members.append(RawMember(pos, length, data))
        pos += length
    return members


def parse_member(member: RawMember) -> RawRecord:
    """Parse exactly one WARC record from a member; asserts nothing follows it."""
    head, _, rest = member.data.partition(b"\r\n\r\n")
    lines = head.decode("utf-8").split("\r\n")
    headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:]]
    record = RawRecord(member.offset, member.length, lines[0], headers, b"")  # type: ignore[arg-type]
    length = int(record.get("Content-Length") or "-1")
    assert length >= 0
    record.block = rest[:length]
    assert len(record.block) == length
    assert rest[length:] == b"\r\n\r\n", "record must end with CRLF CRLF and nothing else in its member"
    return record


def read_records(path: Path) -> list[RawRecord]:
    return [parse_member(m) for m in split_members(path.read_bytes())]


def sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def http_split(block: bytes) -> tuple[bytes, bytes]:
    head, sep, body = block.partition(b"\r\n\r\n")
    assert sep, "no end of HTTP headers"
    return head, body


def capture(writer: WarcWriter, url: str = "https://news.example.cn/health/2026/11/a.html?id=7",
            body: bytes | None = None, *, gzip_body: bool = True, extra_response_headers=None,
            status: int = 200, date: datetime | None = FIXED_DATE) -> tuple[CaptureRef, bytes]:
    """Write one capture with secrets in the request; returns (ref, body as sent)."""
    sent = body if body is not None else (gzip.compress(HTML) if gzip_body else HTML)
    response_headers = [("Content-Type", "text/html; charset=utf-8"), ("Server", "nginx")]
    if gzip_body:
        response_headers.append(("Content-Encoding", "gzip"))
    response_headers += list(extra_response_headers or [])
    ref = writer.write_capture(
        url=url, method="GET",
        request_headers=[("User-Agent", "healthcrawl/0.1"), ("Accept-Encoding", "gzip, br"),
                         ("Authorization", SECRET_AUTH), ("proxy-authorization", SECRET_PROXY),
                         ("Cookie", SECRET_COOKIE)],
        request_body=b"", status=status, reason="OK", response_headers=response_headers, body=sent,
        date=date, ip="127.0.0.1")
    return ref, sent

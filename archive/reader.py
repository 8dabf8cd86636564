"""Read WARC records back: sequential iteration with damage reports, and random access.

:func:`iter_records` walks a ``*.warc.gz`` file one gzip member at a time (or a plain
``*.warc`` file record by record) and yields :class:`ArchivedRecord` for every good record
and :class:`DamagedRecord` (file, offset, reason) for every bad one; it never raises for
damaged content and resynchronises on the next gzip header when it can. Damage reported:
``bad gzip``, ``truncated record`` (file ends inside a record), ``bad Content-Length``,
``block digest mismatch``, ``payload digest mismatch``, ``bad WARC headers``,
``bad HTTP headers``, ``body over cap``, ``content-encoding error`` and ``whole-file gzip``
(the reader refuses those and names the fix: ``warcio recompress IN OUT``).

``ArchivedRecord.payload`` is the entity body with transfer coding and content coding
removed (gzip, x-gzip, deflate, br, zstd), decoded with a size cap ``max_body``; the HTTP
headers are left exactly as stored, and ``content_encoding`` says which coding was removed.
Pass ``decode_payload=False`` to get the body as stored instead (the CDXJ indexer does).

:func:`read_record_at` reads the single record at an offset (from a CDXJ line) and raises
:class:`DamagedRecordError` naming file and offset when it is bad.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from archive.members import find_next_magic, member_end, read_member

DEFAULT_MAX_BODY = 50 * 1024 * 1024
HEADER_ALLOWANCE = 1024 * 1024  # room for WARC + HTTP headers on top of max_body
WARC_VERSIONS = (b"WARC/1.1", b"WARC/1.0", b"WARC/0.18", b"WARC/0.17")
HTTP_RECORD_TYPES = ("response", "request", "revisit")
RECOMPRESS_HINT = "fix with: warcio recompress IN OUT"
KNOWN_CODINGS = ("gzip", "x-gzip", "deflate", "br", "zstd")


@dataclass
class ArchivedRecord:
    """One good record. ``headers`` are the WARC headers (last value wins on repeats)."""

    filename: str
    offset: int
    length: int
    rec_type: str
    url: str | None
    date: str
    record_id: str
    headers: dict[str, str]
    http_status: int | None
    http_headers: list[tuple[str, str]]
    payload: bytes
    payload_digest: str | None
    refers_to: str | None
    concurrent_to: str | None
    http_statusline: str | None = None     # first HTTP line as stored, e.g. "HTTP/1.1 200 OK"
    http_method: str | None = None         # request records
    content_encoding: str | None = None    # coding removed from payload (None: none / not decoded)
    payload_decoded: bool = True
    path: Path | None = None

    def http_header(self, name: str, default: str | None = None) -> str | None:
        """First HTTP header called ``name`` (case-insensitive)."""
        lname = name.lower()
        for key, value in self.http_headers:
            if key.lower() == lname:
                return value
        return default

    def warc_header(self, name: str, default: str | None = None) -> str | None:
        """WARC header called ``name`` (case-insensitive)."""
        lname = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lname:
                return value
        return default


@dataclass
class DamagedRecord:
    """A record (or stretch of file) that could not be read, and why."""

    filename: str
    offset: int
    reason: str
    path: Path | None = field(default=None)


class DamagedRecordError(ValueError):
    """Raised by :func:`read_record_at` for a bad record; carries the DamagedRecord."""

    def __init__(self, damage: DamagedRecord) -> None:
        super().__init__(f"{damage.path or damage.filename} at offset {damage.offset}: {damage.reason}")
        self.damage = damage


class _Bad(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------------- public API
def iter_warc_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files and directories -> sorted list of ``*.warc.gz`` / ``*.warc`` files.

    Directories are searched recursively; ``*.open`` files are skipped (recover them
    first). A path that does not exist raises FileNotFoundError naming it.
    """
    found: set[Path] = set()
    for item in paths:
        path = Path(item)
        if path.is_dir():
            for child in path.rglob("*"):
                if child.is_file() and child.name.endswith((".warc.gz", ".warc")):
                    found.add(child)
        elif path.is_file():
            found.add(path)
        else:
            raise FileNotFoundError(f"no such WARC file or directory: {path}")
    return sorted(found)


def iter_records(path: str | Path, *, max_body: int = DEFAULT_MAX_BODY, verify_digests: bool = True,
                 decode_payload: bool = True) -> Iterator[ArchivedRecord | DamagedRecord]:
    """Yield every record of ``path``; damaged ones as DamagedRecord (never raises for them)."""
    path = Path(path)
    with open(path, "rb") as fh:
        magic = fh.read(2)
        if magic == b"\x1f\x8b" or path.name.endswith((".gz", ".gz.open")):
            yield from _iter_gzip(fh, path, max_body, verify_digests, decode_payload)
        else:
            yield from _iter_plain(fh, path, max_body, verify_digests, decode_payload)


def read_record_at(path: str | Path, offset: int, *, max_body: int = DEFAULT_MAX_BODY,
                   verify_digests: bool = True, decode_payload: bool = True) -> ArchivedRecord:
    """Read the one record at ``offset``; raise DamagedRecordError if it is bad."""
    path = Path(path)
    with open(path, "rb") as fh:
        fh.seek(offset)
        magic = fh.read(2)
        if magic == b"\x1f\x8b":
            item, _ = _read_gzip_record(fh, path, offset, max_body, verify_digests, decode_payload)
        else:
            item, _ = _read_plain_record(fh, path, offset, max_body, verify_digests, decode_payload)
    if isinstance(item, DamagedRecord):
        raise DamagedRecordError(item)
    return item


# ---------------------------------------------------------------------- gzip files
def _read_gzip_record(fh: BinaryIO, path: Path, offset: int, max_body: int, verify: bool,
                      decode: bool) -> tuple[ArchivedRecord | DamagedRecord | None, int | None]:
    """Parse the member at ``offset``. Returns (item, next offset or None to resync/stop)."""
    cap = max_body + HEADER_ALLOWANCE
    member = read_member(fh, offset, cap)
    name = path.name
    if member.status == "eof":
        return None, None
    if member.status == "not-gzip":
        return DamagedRecord(name, offset, f"bad gzip: {member.error}", path), None
    if member.status == "bad-gzip":
        return DamagedRecord(name, offset, f"bad gzip: {member.error}", path), None
    if member.status == "truncated":
        return DamagedRecord(name, offset, f"truncated record: {member.error}", path), None
    if member.status == "over-cap":
        if _looks_multi_record(member.data):
            return DamagedRecord(name, offset, _whole_file_reason(), path), -1
        end = member_end(fh, offset)
        return DamagedRecord(name, offset, f"body over cap: record larger than {cap} bytes", path), end
    try:
        record, used = _parse_record(member.data, name, offset, member.length, max_body, verify, decode,
                                     whole_member=True)
    except _Bad as bad:
        if bad.reason == "multi-record member":
            return DamagedRecord(name, offset, _whole_file_reason(), path), -1
        return DamagedRecord(name, offset, bad.reason, path), offset + member.length
    record.path = path
    return record, offset + member.length


def _iter_gzip(fh: BinaryIO, path: Path, max_body: int, verify: bool,
               decode: bool) -> Iterator[ArchivedRecord | DamagedRecord]:
    offset = 0
    while True:
        item, nxt = _read_gzip_record(fh, path, offset, max_body, verify, decode)
        if item is None:
            return
        yield item
        if nxt == -1:  # whole-file gzip: nothing addressable follows
            return
        if nxt is None:
            nxt = _resync(fh, offset + 1, max_body)
            if nxt is None:
                return
        offset = nxt


def _resync(fh: BinaryIO, start: int, max_body: int) -> int | None:
    """Next offset >= start where a gzip member holding a WARC record begins."""
    pos = start
    while True:
        cand = find_next_magic(fh, pos)
        if cand is None:
            return None
        member = read_member(fh, cand, 64 * 1024)
        if member.status in ("ok", "over-cap", "truncated") and member.data.startswith(WARC_VERSIONS):
            return cand
        pos = cand + 1


def _looks_multi_record(data: bytes) -> bool:
    """True when decompressed member data holds more than one WARC record."""
    try:
        head_end = data.index(b"\r\n\r\n")
        length = _content_length(_parse_warc_headers(data[:head_end + 4]))
    except (ValueError, _Bad):
        return False
    end = head_end + 4 + length + 4
    return len(data) > end and data[end:].lstrip(b"\r\n").startswith(WARC_VERSIONS)


def _whole_file_reason() -> str:
    return ("whole-file gzip: the file is not one gzip member per record, so records cannot be "
            f"addressed by offset; {RECOMPRESS_HINT}")


# ---------------------------------------------------------------------- plain files
def _read_plain_record(fh: BinaryIO, path: Path, offset: int, max_body: int, verify: bool,
                       decode: bool) -> tuple[ArchivedRecord | DamagedRecord | None, int | None]:
    name = path.name
    fh.seek(offset)
    head = b""
    while b"\r\n\r\n" not in head:
        line = fh.readline(64 * 1024)
        if not line:
            if head.strip():
                return DamagedRecord(name, offset, "truncated record: file ends inside WARC headers", path), None
            return None, None
        if not head and not line.strip():
            offset += len(line)  # blank lines between records
            continue
        head += line
        if head.endswith(b"\r\n\r\n") or head.endswith(b"\n\n"):
            break
        if len(head) > HEADER_ALLOWANCE:
            return DamagedRecord(name, offset, "bad WARC headers: no end of headers", path), None
    try:
        length = _content_length(_parse_warc_headers(head))
    except _Bad as bad:
        return DamagedRecord(name, offset, bad.reason, path), None
    if length > max_body + HEADER_ALLOWANCE:
        fh.seek(offset + len(head) + length + 4)
        return DamagedRecord(name, offset, f"body over cap: block of {length} bytes", path), fh.tell()
    rest = fh.read(length + 4)
    data = head + rest
    if len(rest) < length:
        return DamagedRecord(name, offset, "truncated record: file ends inside the record block", path), None
    try:
        record, used = _parse_record(data, name, offset, len(data), max_body, verify, decode, whole_member=False)
    except _Bad as bad:
        return DamagedRecord(name, offset, bad.reason, path), None
    record.path = path
    return record, offset + used


def _iter_plain(fh: BinaryIO, path: Path, max_body: int, verify: bool,
                decode: bool) -> Iterator[ArchivedRecord | DamagedRecord]:
    offset = 0
    while True:
        item, nxt = _read_plain_record(fh, path, offset, max_body, verify, decode)
        if item is None:
            return
        yield item
        if nxt is None:
            nxt = _resync_plain(fh, offset + 1)
            if nxt is None:
                return
        offset = nxt


def _resync_plain(fh: BinaryIO, start: int) -> int | None:
    fh.seek(start)
    pos = start
    carry = b""
    while True:
        chunk = fh.read(64 * 1024)
        if not chunk:
            return None
        buf = carry + chunk
        idx = buf.find(b"\nWARC/1.")
        if idx >= 0:
            return pos - len(carry) + idx + 1
        carry = buf[-8:]
        pos += len(chunk)


# ---------------------------------------------------------------------- record parsing
def _parse_warc_headers(head: bytes) -> list[tuple[str, str]]:
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    if not lines or not lines[0].startswith(WARC_VERSIONS):
        raise _Bad(f"bad WARC headers: not a WARC record (first line {lines[0][:40]!r})")
    return _header_lines(lines[1:], "WARC")


def _header_lines(lines: list[bytes], what: str) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    for raw in lines:
        if not raw.strip():
            continue
        line = _decode_header(raw)
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip())
            continue
        if ":" not in line:
            raise _Bad(f"bad {what} headers: line without colon {line[:60]!r}")
        name, value = line.split(":", 1)
        headers.append((name.strip(), value.strip()))
    return headers


def _decode_header(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _get(headers: list[tuple[str, str]], name: str) -> str | None:
    lname = name.lower()
    for key, value in headers:
        if key.lower() == lname:
            return value
    return None


def _content_length(headers: list[tuple[str, str]]) -> int:
    value = _get(headers, "Content-Length")
    try:
        length = int(value) if value is not None else -1
    except ValueError:
        length = -1
    if length < 0:
        raise _Bad(f"bad Content-Length: {value!r}")
    return length


def _parse_record(data: bytes, filename: str, offset: int, length: int, max_body: int, verify: bool,
                  decode: bool, *, whole_member: bool) -> tuple[ArchivedRecord, int]:
    """Parse one record from ``data``; returns the record and the bytes it used."""
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        raise _Bad("truncated record: no end of WARC headers")
    warc = _parse_warc_headers(data[:head_end + 4])
    block_len = _content_length(warc)
    start = head_end + 4
    block = data[start:start + block_len]
    trailer = data[start + block_len:start + block_len + 4]
    if len(block) < block_len:
        raise _Bad(f"bad Content-Length: declares {block_len} bytes, record block has {len(block)}")
    if trailer != b"\r\n\r\n":
        raise _Bad(f"bad Content-Length: {block_len} does not end at the record trailer")
    used = start + block_len + 4
    if whole_member and len(data) > used:
        if data[used:].lstrip(b"\r\n").startswith(WARC_VERSIONS):
            raise _Bad("multi-record member")
        raise _Bad(f"bad Content-Length: {len(data) - used} bytes after the record trailer")

    rec_type = _get(warc, "WARC-Type") or ""
    if not rec_type:
        raise _Bad("bad WARC headers: no WARC-Type")
    url = _get(warc, "WARC-Target-URI")
    if url and url.startswith("<") and url.endswith(">"):
        url = url[1:-1]
    if verify:
        _check_digest(_get(warc, "WARC-Block-Digest"), [block], "block digest mismatch")

    http_status = None
    statusline = None
    method = None
    http_headers: list[tuple[str, str]] = []
    payload = block
    content_type = _get(warc, "Content-Type") or ""
    is_http = rec_type in HTTP_RECORD_TYPES and block_len > 0 and (
        "application/http" in content_type.lower() or (url or "").startswith(("http:", "https:")))
    if is_http:
        http_end = block.find(b"\r\n\r\n")
        if http_end < 0:
            raise _Bad("bad HTTP headers: no end of HTTP headers")
        lines = block[:http_end].split(b"\r\n")
        statusline = _decode_header(lines[0]).strip()
        http_headers = _header_lines(lines[1:], "HTTP")
        payload = block[http_end + 4:]
        parts = statusline.split()
        if rec_type == "request":
            method = parts[0] if parts else None
        else:
            try:
                http_status = int(parts[1])
            except (IndexError, ValueError):
                raise _Bad(f"bad HTTP headers: status line {statusline!r}") from None

    candidates = [payload]
    if is_http and (_get(http_headers, "Transfer-Encoding") or "").lower() == "chunked":
        dechunked = _dechunk(payload)
        if dechunked is not None:
            candidates = [dechunked, payload]
    if verify and rec_type != "revisit":
        _check_digest(_get(warc, "WARC-Payload-Digest"), candidates, "payload digest mismatch")
    payload = candidates[0]

    coding = None
    decoded = False
    if decode and is_http and rec_type != "request":
        coding_header = _get(http_headers, "Content-Encoding")
        payload, coding = _decode_content(payload, coding_header, max_body)
        decoded = True
    elif decode:
        decoded = True
    if decode and len(payload) > max_body:
        raise _Bad(f"body over cap: payload of {len(payload)} bytes exceeds {max_body}")

    record = ArchivedRecord(
        filename=filename, offset=offset, length=length, rec_type=rec_type, url=url,
        date=_get(warc, "WARC-Date") or "", record_id=_get(warc, "WARC-Record-ID") or "",
        headers={k: v for k, v in warc}, http_status=http_status, http_headers=http_headers,
        payload=payload, payload_digest=_get(warc, "WARC-Payload-Digest"),
        refers_to=_get(warc, "WARC-Refers-To"), concurrent_to=_get(warc, "WARC-Concurrent-To"),
        http_statusline=statusline, http_method=method, content_encoding=coding, payload_decoded=decoded)
    return record, used


# ---------------------------------------------------------------------- digests and codings
def _check_digest(header: str | None, candidates: list[bytes], reason: str) -> None:
    if not header:
        return
    if ":" not in header:
        raise _Bad(f"{reason}: malformed digest {header!r}")
    algo, _, expected = header.partition(":")
    algo = algo.strip().lower().replace("-", "")
    try:
        hashes = [hashlib.new(algo, data).digest() for data in candidates]
    except ValueError:
        return  # unknown algorithm: cannot check, do not call it damage
    expected = expected.strip()
    for raw in hashes:
        forms = {base64.b32encode(raw).decode(), binascii.hexlify(raw).decode(),
                 base64.b64encode(raw).decode()}
        if expected in forms or expected.upper() in forms or expected.lower() in forms:
            return
    got = base64.b32encode(hashes[0]).decode()
    raise _Bad(f"{reason}: header says {header}, content has {algo}:{got}")


def _dechunk(data: bytes) -> bytes | None:
    """Remove HTTP/1.1 chunked transfer coding; None if ``data`` is not chunked."""
    out = []
    pos = 0
    try:
        while True:
            eol = data.index(b"\r\n", pos)
            size = int(data[pos:eol].split(b";", 1)[0].strip(), 16)
            pos = eol + 2
            if size == 0:
                return b"".join(out)
            if pos + size > len(data):
                return None
            out.append(data[pos:pos + size])
            pos += size + 2
    except ValueError:
        return None


def _decode_content(body: bytes, header: str | None, max_body: int) -> tuple[bytes, str | None]:
    """Undo ``Content-Encoding`` (last applied first), capped at ``max_body`` bytes."""
    if not header or not body:
        return body, None
    codings = [c.strip().lower() for c in header.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return body, None
    known = [c for c in codings if c in KNOWN_CODINGS]
    if not known:
        return body, None
    for coding in reversed(known):
        body = _decode_one(body, coding, max_body)
    return body, ", ".join(known)


def _decode_one(body: bytes, coding: str, max_body: int) -> bytes:
    if coding in ("gzip", "x-gzip"):
        return _zlib_capped(body, zlib.MAX_WBITS | 32, max_body, coding)
    if coding == "deflate":
        try:
            return _zlib_capped(body, zlib.MAX_WBITS, max_body, coding)
        except _Bad as bad:
            if bad.reason.startswith("body over cap"):
                raise
            return _zlib_capped(body, -zlib.MAX_WBITS, max_body, coding)
    if coding == "br":
        import brotli

        try:
            dec = brotli.Decompressor()
            out = dec.process(body, output_buffer_limit=max_body + 1)
        except brotli.error as exc:
            raise _Bad(f"content-encoding error: br: {exc}") from None
        if len(out) > max_body:
            raise _Bad(f"body over cap: br body decodes to more than {max_body} bytes")
        return out
    if coding == "zstd":
        import io

        import zstandard

        try:
            reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(body), read_across_frames=True)
            out = reader.read(max_body + 1)
        except zstandard.ZstdError as exc:
            raise _Bad(f"content-encoding error: zstd: {exc}") from None
        if len(out) > max_body:
            raise _Bad(f"body over cap: zstd body decodes to more than {max_body} bytes")
        return out
    return body  # unknown coding (servers send e.g. "utf-8"): browsers show the bytes as they are


def _zlib_capped(body: bytes, wbits: int, max_body: int, coding: str) -> bytes:
    out: list[bytes] = []
    produced = 0
    data = body
    while data:
        dec = zlib.decompressobj(wbits)
        try:
            piece = dec.decompress(data, max_body + 1 - produced)
        except zlib.error as exc:
            if out:  # garbage after a complete member: keep what decoded
                break
            raise _Bad(f"content-encoding error: {coding}: {exc}") from None
        out.append(piece)
        produced += len(piece)
        if produced > max_body:
            raise _Bad(f"body over cap: {coding} body decodes to more than {max_body} bytes")
        if not dec.eof:
            break  # truncated stream (or cap reached exactly): keep what decoded
        data = dec.unused_data  # concatenated gzip members
    return b"".join(out)

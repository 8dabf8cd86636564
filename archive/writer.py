"""WARC/1.1 writer: request + response (or revisit) records per capture, metadata, rotation.

Every file starts with a ``warcinfo`` record and holds one gzip member per record, so a
CDXJ ``(offset, length)`` pair can be read directly. Files are written as
``NAME.warc.gz.open`` (created with mode ``'xb'``, never overwriting) and renamed to
``NAME.warc.gz`` by :meth:`WarcWriter.close` / :meth:`WarcWriter.rotate`; leftovers from a
crash are repaired by :func:`archive.recovery.recover_open_files`. While a file is open the
writer holds an exclusive ``flock`` on it so recovery never touches a live file.

What is stored, exactly:

* Response body **as sent**: content coding (gzip, br, ...) is kept together with its
  ``Content-Encoding`` header. Scrapy hands over bodies with the *transfer* coding already
  removed, so a ``Transfer-Encoding`` header is dropped from the stored response headers
  (the stored body is never chunked) and headers and body agree.
* ``WARC-Payload-Digest`` = sha1 (base32) of the entity body with transfer coding removed,
  i.e. of the stored body; ``WARC-Block-Digest`` covers HTTP headers + body.
* Request headers ``Authorization``, ``Proxy-Authorization`` and ``Cookie`` are **dropped**
  (name and value) from request records. A ``Host`` header is added when absent because the
  HTTP/1.1 client sends one. Response ``Set-Cookie`` headers are kept as sent (they are part
  of what the server said, and replay needs them); see ``REDACTED_REQUEST_HEADERS``.
* Header values given as ``str`` are encoded latin-1 (Scrapy's bytes decoded as latin-1
  round-trip exactly); characters outside latin-1 are written as UTF-8. ``bytes`` values
  are written verbatim.
* Records of one capture (response, request and a metadata record written right after)
  always land in the same file: rotation is decided only at the start of
  :meth:`WarcWriter.write_capture` / :meth:`WarcWriter.write_revisit`. A file exceeds
  ``max_size`` only by metadata records, or when a single capture is larger than
  ``max_size`` on its own.

Durability: the file is flushed after each capture and ``fsync``-ed (with its directory)
when closed.

The owner (the crawler's archive extension) maps its ``ARCHIVE_*`` settings onto the
constructor arguments; this module reads no settings itself.
"""

from __future__ import annotations

import io
import json
import logging
import os
import threading
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from warcio.recordbuilder import RecordBuilder
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter as _WarcioWriter

from archive.naming import (
    OPEN_SUFFIX,
    fsync_directory,
    random_suffix,
    rename_no_overwrite,
    warc_name,
)

try:  # POSIX only; on other systems recovery cannot tell a live file from a dead one.
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("archive.writer")

WARC_VERSION = "WARC/1.1"
REVISIT_PROFILES = {
    "identical-payload-digest": "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
    "server-not-modified": "http://netpreserve.org/warc/1.1/revisit/server-not-modified",
}
METADATA_URN_PREFIX = "urn:healthcrawl:metadata:"
REDACTED_REQUEST_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
DROPPED_RESPONSE_HEADERS = frozenset({"transfer-encoding"})

CAPTURE_LIMITS_DESCRIPTION = (
    "Captured through Scrapy's downloader below its decompression middleware: response "
    "bodies are stored as sent (content coding kept, transfer coding removed, so "
    "Transfer-Encoding headers are dropped). Scrapy cannot report the exact wire form: "
    "header order and name case, and the raw status line (protocol and reason phrase), "
    "are as Scrapy reports them. Request headers Authorization, Proxy-Authorization and "
    "Cookie are not stored; Host is added when Scrapy's request lacks it."
)

HeaderList = Iterable[tuple[str | bytes, str | bytes]]


@dataclass(frozen=True)
class CaptureRef:
    """Where one record of a capture lives: enough to read it back or index it."""

    filename: str
    offset: int
    length: int
    record_id: str
    payload_digest: str
    date: str


class _RawHeaders(StatusAndHeaders):
    """HTTP headers whose serialised bytes are fixed by us (warcio would %-encode non-ASCII)."""

    def __init__(self, first_line: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        text = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in headers]
        super().__init__(first_line.decode("latin-1"), text, protocol="")
        buf = first_line + b"\r\n" + b"".join(n + b": " + v + b"\r\n" for n, v in headers) + b"\r\n"
        self.headers_buff = buf

    def compute_headers_buffer(self, header_filter: object = None) -> None:  # noqa: ARG002
        """Keep the bytes built in ``__init__``."""


def _to_bytes(value: str | bytes, what: str) -> bytes:
    if isinstance(value, bytes):
        raw = value
    elif isinstance(value, str):
        try:
            raw = value.encode("latin-1")
        except UnicodeEncodeError:
            raw = value.encode("utf-8")
    else:
        raise TypeError(f"{what} must be str or bytes, got {type(value).__name__}: {value!r}")
    if b"\r" in raw or b"\n" in raw:
        raise ValueError(f"{what} contains a line break: {raw!r}")
    return raw


def _header_pairs(headers: HeaderList, url: str) -> list[tuple[bytes, bytes]]:
    pairs = []
    for item in headers:
        try:
            name, value = item
        except (TypeError, ValueError):
            raise TypeError(f"header for {url} must be a (name, value) pair, got {item!r}") from None
        pairs.append((_to_bytes(name, f"header name for {url}").strip(),
                      _to_bytes(value, f"header {name!r} for {url}").strip()))
    return pairs


def _warc_date(date: datetime | None) -> str:
    if date is None:
        date = datetime.now(timezone.utc)
    elif date.tzinfo is None:
        raise ValueError(f"capture date must be timezone-aware, got naive {date!r}")
    utc = date.astimezone(timezone.utc).replace(tzinfo=None)
    return datetime_to_iso_date(utc, use_micros=True)


def _request_target(url: str) -> tuple[str, str]:
    """``(request-target, host header value)`` for an absolute http(s) URL."""
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise ValueError(f"URL contains whitespace or control characters (percent-encode them): {url!r}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default_port = 443 if parts.scheme == "https" else 80
    if parts.port and parts.port != default_port:
        host += f":{parts.port}"
    return target, host


class _Record:
    """One serialised record (a complete gzip member) plus what a CaptureRef needs."""

    def __init__(self, data: bytes, record_id: str, payload_digest: str, date: str) -> None:
        self.data = data
        self.record_id = record_id
        self.payload_digest = payload_digest
        self.date = date


class WarcWriter:
    """Append captures to rotating WARC/1.1 files in ``directory``. Not re-entrant across
    processes for the same file, safe across threads of one process."""

    def __init__(self, directory: str | Path, *, prefix: str = "healthcrawl", max_size: int = 1_000_000_000,
                 software: str = "healthcrawl", warcinfo: dict[str, str] | None = None, host_tag: str = "",
                 on_file_closed: Callable[[Path], None] | None = None, gzip_level: int = 6) -> None:
        if max_size <= 0:
            raise ValueError(f"max_size must be positive, got {max_size}")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_size = max_size
        self.software = software
        self.warcinfo_fields = dict(warcinfo or {})
        self.host_tag = host_tag
        self.on_file_closed = on_file_closed
        if not 1 <= gzip_level <= 9:
            raise ValueError(f"gzip_level must be 1..9, got {gzip_level}")
        self.gzip_level = gzip_level
        self._builder = RecordBuilder(warc_version=WARC_VERSION)
        self._lock = threading.RLock()
        self._serial = 0
        self._fh: BinaryIO | None = None
        self._open_path: Path | None = None
        self._final_name: str | None = None
        self._warcinfo_id: str | None = None
        self._size = 0
        self._records_in_file = 0
        self._closed = False
        self.closed_files: list[Path] = []

    # ------------------------------------------------------------------ properties
    @property
    def current_path(self) -> Path | None:
        """Path of the file being written (``*.warc.gz.open``), or None between files."""
        return self._open_path

    @property
    def current_filename(self) -> str | None:
        """Final basename the current file will get when closed."""
        return self._final_name

    @property
    def current_size(self) -> int:
        return self._size

    # ------------------------------------------------------------------ public API
    def write_capture(self, *, url: str, method: str, request_headers: HeaderList, request_body: bytes,
                      status: int, reason: str, response_headers: HeaderList, body: bytes,
                      http_version: str = "HTTP/1.1", date: datetime | None = None, ip: str | None = None,
                      truncated: str | None = None) -> CaptureRef:
        """Write response + request records of one fetch; returns where the response is.

        ``truncated`` (e.g. ``"length"``, ``"disconnect"``) sets ``WARC-Truncated`` when the
        body is known to be incomplete.
        """
        warc_date = _warc_date(date)
        resp_http = self._response_http(url, status, reason, response_headers, http_version)
        req_http = self._request_http(url, method, request_headers, http_version)

        def build() -> tuple[_Record, _Record]:
            resp_id, req_id = self._new_id(), self._new_id()
            extra = [("WARC-IP-Address", ip)] if ip else []
            if truncated:
                extra.append(("WARC-Truncated", truncated))
            resp = self._build("response", url, warc_date, resp_id, resp_http, body,
                               extra + [("WARC-Concurrent-To", req_id)])
            req = self._build("request", url, warc_date, req_id, req_http, request_body,
                              [("WARC-Concurrent-To", resp_id)])
            return resp, req

        return self._write_pair(build)

    def write_revisit(self, *, url: str, method: str, request_headers: HeaderList, request_body: bytes,
                      status: int, reason: str, response_headers: HeaderList, refers_to: CaptureRef,
                      refers_to_url: str, profile: str = "identical-payload-digest",
                      http_version: str = "HTTP/1.1", date: datetime | None = None,
                      ip: str | None = None) -> CaptureRef:
        """Write a revisit (HTTP headers only, ``WARC-Truncated: length``) + its request.

        ``profile`` is ``"identical-payload-digest"`` or ``"server-not-modified"`` (for 304s),
        or the full profile URI.
        """
        profile_uri = REVISIT_PROFILES.get(profile, profile)
        if profile_uri not in REVISIT_PROFILES.values():
            raise ValueError(f"unknown revisit profile {profile!r} for {url}; "
                             f"use one of {sorted(REVISIT_PROFILES)}")
        if not refers_to.payload_digest:
            raise ValueError(f"revisit of {url}: refers_to has no payload digest")
        warc_date = _warc_date(date)
        resp_http = self._response_http(url, status, reason, response_headers, http_version)
        req_http = self._request_http(url, method, request_headers, http_version)

        def build() -> tuple[_Record, _Record]:
            rev_id, req_id = self._new_id(), self._new_id()
            extra = [
                ("WARC-Profile", profile_uri),
                ("WARC-Refers-To", refers_to.record_id),
                ("WARC-Refers-To-Target-URI", refers_to_url),
                ("WARC-Refers-To-Date", refers_to.date),
                ("WARC-Payload-Digest", refers_to.payload_digest),
                ("WARC-Truncated", "length"),
                ("WARC-Concurrent-To", req_id),
            ]
            if ip:
                extra.insert(0, ("WARC-IP-Address", ip))
            rev = self._build("revisit", url, warc_date, rev_id, resp_http, b"", extra)
            req = self._build("request", url, warc_date, req_id, req_http, request_body,
                              [("WARC-Concurrent-To", rev_id)])
            return rev, req

        return self._write_pair(build)

    def write_metadata(self, *, url: str, refers_to: CaptureRef,
                       fields: dict[str, str | int | float | list | None],
                       date: datetime | None = None) -> CaptureRef:
        """Write a JSON ``metadata`` record about ``refers_to`` into the current file.

        No rotation happens here, so a metadata record written right after its capture lands
        in the same file as the response. Its target URI is ``urn:healthcrawl:metadata:URL``
        (a ``urn:`` target, as Browsertrix writes ``urn:pageinfo:URL`` for its page records):
        its SURT key is not the page's, so pywb and cdxj-indexer never serve the JSON for the
        page, with or without a timestamp (``metadata://host/path`` had the page's SURT key).
        It is tied to the page by ``WARC-Refers-To`` and ``WARC-Concurrent-To`` (the record id
        of the response or revisit), which is how replay finds it.
        """
        try:
            payload = json.dumps(fields, ensure_ascii=False, sort_keys=True, allow_nan=False).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise ValueError(f"metadata fields for {url} are not JSON-serialisable: {exc}") from exc
        warc_date = _warc_date(date)
        with self._lock:
            self._ensure_file()
            target = METADATA_URN_PREFIX + url
            record = self._build("metadata", target, warc_date, self._new_id(), None, payload,
                                 [("WARC-Refers-To", refers_to.record_id),
                                  ("WARC-Concurrent-To", refers_to.record_id)], content_type="application/json")
            start, count = self._size, self._records_in_file
            try:
                ref = self._append(record)
                self._flush()
            except OSError as exc:  # disk full mid-record: no torn member stays in the file
                raise self._abort_capture(start, count, exc) from exc
            return ref

    def rotate(self) -> Path | None:
        """Close the current file (if any); the next write opens a new one."""
        with self._lock:
            return self._finish_file()

    def close(self) -> None:
        """Finish the current file; later writes raise. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._finish_file()
            self._closed = True

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ building records
    @staticmethod
    def _new_id() -> str:
        return RecordBuilder._make_warc_id()

    @staticmethod
    def _response_http(url: str, status: int, reason: str, headers: HeaderList, http_version: str) -> _RawHeaders:
        if not isinstance(status, int) or not 100 <= status <= 999:
            raise ValueError(f"bad HTTP status {status!r} for {url}")
        pairs = [(n, v) for n, v in _header_pairs(headers, url)
                 if n.decode("latin-1").lower() not in DROPPED_RESPONSE_HEADERS]
        # status-line = HTTP-version SP status-code SP [reason-phrase]: the second SP stays
        line = _to_bytes(f"{http_version} {status} {reason or ''}", f"status line for {url}")
        return _RawHeaders(line, pairs)

    @staticmethod
    def _request_http(url: str, method: str, headers: HeaderList, http_version: str) -> _RawHeaders:
        target, host = _request_target(url)
        pairs = [(n, v) for n, v in _header_pairs(headers, url)
                 if n.decode("latin-1").lower() not in REDACTED_REQUEST_HEADERS]
        if not any(n.lower() == b"host" for n, _ in pairs):
            pairs.insert(0, (b"Host", host.encode("idna") if not host.isascii() else host.encode("ascii")))
        line = _to_bytes(f"{method.upper()} {target} {http_version}", f"request line for {url}")
        return _RawHeaders(line, pairs)

    def _build(self, rec_type: str, url: str, warc_date: str, record_id: str, http: _RawHeaders | None,
               payload: bytes, extra: list[tuple[str, str]], content_type: str | None = None) -> _Record:
        if not isinstance(payload, (bytes, bytearray, memoryview)):
            raise TypeError(f"{rec_type} body for {url} must be bytes, got {type(payload).__name__}")
        headers = [("WARC-Type", rec_type), ("WARC-Record-ID", record_id), ("WARC-Date", warc_date),
                   ("WARC-Target-URI", url)]
        if self._warcinfo_id:
            headers.append(("WARC-Warcinfo-ID", self._warcinfo_id))
        headers.extend(extra)
        warc_headers = StatusAndHeaders("", headers, protocol=WARC_VERSION)
        record = self._builder.create_warc_record(
            url, rec_type, payload=io.BytesIO(bytes(payload)), length=len(payload),
            warc_content_type=content_type or "", warc_headers=warc_headers, http_headers=http)
        digest = record.rec_headers.get_header("WARC-Payload-Digest") or ""
        return _Record(self._gzip_member(record), record_id, digest, warc_date)

    def _gzip_member(self, record: object) -> bytes:
        """The record serialised by warcio and compressed as one gzip member at
        `gzip_level` (warcio itself always uses level 9, which costs about 60% more CPU than
        level 6 for 0.7% smaller files on Chinese news pages)."""
        buf = io.BytesIO()
        _WarcioWriter(buf, gzip=False, warc_version=WARC_VERSION)._write_warc_record(buf, record)
        compressor = zlib.compressobj(self.gzip_level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        return compressor.compress(buf.getvalue()) + compressor.flush()

    def _build_warcinfo(self, filename: str) -> _Record:
        info: dict[str, str] = {
            "software": self.software,
            "format": "WARC File Format 1.1",
            "conformsTo": "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "robots": "obey",
            "description": CAPTURE_LIMITS_DESCRIPTION,
        }
        for key, value in self.warcinfo_fields.items():
            info[key] = str(value)
        record = self._builder.create_warcinfo_record(filename, info)
        self._warcinfo_id = record.rec_headers.get_header("WARC-Record-ID")
        return _Record(self._gzip_member(record), self._warcinfo_id, "", record.rec_headers.get_header("WARC-Date"))

    # ------------------------------------------------------------------ files
    def _write_pair(self, build: Callable[[], tuple[_Record, _Record]]) -> CaptureRef:
        with self._lock:
            self._ensure_file()
            main, req = build()
            needed = len(main.data) + len(req.data)
            if self._records_in_file > 0 and self._size + needed > self.max_size:
                self._finish_file()
                self._ensure_file()
                main, req = build()  # rebuilt so WARC-Warcinfo-ID names the new file's warcinfo
            start, count = self._size, self._records_in_file
            try:
                ref = self._append(main, pending=req.data)
                self._append(req, written=True)
                self._flush()
            except OSError as exc:
                raise self._abort_capture(start, count, exc) from exc
            return ref

    def _abort_capture(self, start: int, count: int, exc: OSError) -> OSError:
        """A write failed (disk full, I/O error): cut the file back to the end of the last
        complete capture so no partial record stays, and name the file in the error."""
        path = self._open_path
        try:
            assert self._fh is not None
            os.ftruncate(self._fh.fileno(), start)
            self._fh.seek(start)
        except (OSError, ValueError) as cleanup:
            logger.error("archive: could not cut %s back to offset %d after a failed write: %s", path, start, cleanup)
        self._size, self._records_in_file = start, count
        return OSError(exc.errno, f"writing WARC file {path} failed at offset {start}: {exc.strerror or exc}; "
                                  "every record before that offset is intact")

    def _append(self, record: _Record, *, pending: bytes = b"", written: bool = False) -> CaptureRef:
        """Account for `record` at the current offset and write it — together with `pending`
        (the next record of the same capture) in one write — unless `written` already."""
        assert self._fh is not None and self._final_name is not None
        offset = self._size
        if not written:
            view = memoryview(record.data + pending)
            while view:
                n = self._fh.write(view)
                view = view[n if n is not None else len(view):]
        self._size += len(record.data)
        self._records_in_file += 1
        return CaptureRef(filename=self._final_name, offset=offset, length=len(record.data),
                          record_id=record.record_id, payload_digest=record.payload_digest, date=record.date)

    def _flush(self) -> None:
        if self._fh is not None:
            self._fh.flush()

    def _ensure_file(self) -> None:
        if self._closed:
            raise ValueError(f"WarcWriter for {self.directory} is closed")
        if self._fh is not None:
            return
        suffix = ""
        while True:
            name = warc_name(self.prefix, self._serial, self.host_tag, unique_suffix=suffix)
            final = self.directory / name
            open_path = self.directory / (name + OPEN_SUFFIX)
            if final.exists():
                suffix = random_suffix()
                continue
            try:
                fh = open(open_path, "xb", buffering=0)  # unbuffered: a failed write can be cut back
            except FileExistsError:
                suffix = random_suffix()
                continue
            break
        if fcntl is not None:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._serial += 1
        self._fh, self._open_path, self._final_name = fh, open_path, name
        self._size = 0
        self._records_in_file = 0
        try:
            info = self._build_warcinfo(name)
            fh.write(info.data)
            self._size = len(info.data)
            fh.flush()
        except BaseException:
            self._discard_current()
            raise

    def _discard_current(self) -> None:
        if self._fh is not None:
            self._fh.close()
        if self._open_path is not None:
            self._open_path.unlink(missing_ok=True)
        self._fh = self._open_path = self._final_name = None
        self._warcinfo_id = None

    def _finish_file(self) -> Path | None:
        if self._fh is None or self._open_path is None or self._final_name is None:
            return None
        fh, open_path, name = self._fh, self._open_path, self._final_name
        fh.flush()
        os.fsync(fh.fileno())
        final = rename_no_overwrite(open_path, self.directory / name)
        if final.name != name:
            logger.warning("archive: %s already existed, closed %s as %s instead; CaptureRefs "
                           "naming %s are stale", name, open_path, final.name, name)
        fh.close()  # releases the flock only after the rename
        fsync_directory(self.directory)
        self._fh = self._open_path = self._final_name = None
        self._warcinfo_id = None
        self._size = 0
        self._records_in_file = 0
        self.closed_files.append(final)
        if self.on_file_closed is not None:
            self.on_file_closed(final)
        return final

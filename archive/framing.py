"""Byte-level framing under warcio's record parser: what a file is, and gzip member streams.

:func:`sniff` tells a file's format from its first bytes (never from its name): ``"gzip"``,
``"warc"`` (uncompressed WARC), ``"arc"`` (uncompressed ARC), ``"wacz"`` (a ZIP), ``"lz4"``,
``"zstd"``, ``"bzip2"``, ``"xz"`` or ``"unknown"``.

:class:`GzipStream` is a file-like object over the decompressed bytes of the gzip members
that follow an offset. It chains members while a record continues in the next one (writers
that split a record over members) and stops at a member that starts a new record, so the
reader knows which records start exactly at a member (addressable by offset, as CDXJ needs)
and which share a member with others (multi-record members, whole-file gzip). It raises
:class:`GzipDamage` for bad deflate data or a file ending inside a member, and stops at
non-gzip bytes after a member (junk or padding; :attr:`GzipStream.end_reason`).

:func:`resync_gzip` and :func:`resync_plain` find the next place where a record starts after
damage. Nothing here reads settings.
"""

from __future__ import annotations

import re
import zlib
from collections import deque
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b\x08"
ZIP_MAGIC = b"PK\x03\x04"
LZ4_MAGIC = b"\x04\x22\x4d\x18"
LZ4_LEGACY_MAGIC = b"\x02\x21\x4c\x18"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
BZIP2_MAGIC = b"BZh"
XZ_MAGIC = b"\xfd7zXZ\x00"
WARC_PREFIX = b"WARC/"
CHUNK = 64 * 1024
FEED = 16 * 1024  # compressed bytes per decompress call: at most ~16 MiB out of a bomb at once
MAX_LINE = 1024 * 1024
PREFEED = 64 * 1024  # GzipStream.held decompresses a member early while it holds at most this
PEEK = 2048

UNSUPPORTED = {
    "lz4": "LZ4-compressed archive: not supported, decompress it first (lz4 -d IN OUT)",
    "zstd": "zstd-compressed archive: not supported, decompress it first (zstd -d IN -o OUT)",
    "bzip2": "bzip2-compressed archive: not supported, decompress it first (bunzip2 -k IN)",
    "xz": "xz-compressed archive: not supported, decompress it first (unxz -k IN)",
}


def sniff_bytes(head: bytes) -> str:
    """Format of data starting with ``head`` (see the module docstring)."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZIP_MAGIC):
        return "wacz"
    if head.startswith((LZ4_MAGIC, LZ4_LEGACY_MAGIC)):
        return "lz4"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    if head.startswith(XZ_MAGIC):
        return "xz"
    if head.startswith(BZIP2_MAGIC) and head[3:4].isdigit():
        return "bzip2"
    stripped = head.lstrip(b"\r\n")
    if stripped.startswith(WARC_PREFIX):
        return "warc"
    if is_arc_line(stripped.split(b"\n", 1)[0]):
        return "arc"
    return "unknown"


def sniff(fh: BinaryIO) -> str:
    """Format of the file ``fh`` from its first bytes; the position is restored."""
    pos = fh.tell()
    head = fh.read(PEEK)
    fh.seek(pos)
    return sniff_bytes(head)


_VERSION_START = re.compile(rb"WARC/[0-9.]*\r?")


def is_cut_record_start(line: bytes) -> bool:
    """True for the last bytes of a file that begin a WARC version line but end inside it
    ("W", "WA", "WARC/1."): a record cut there, not junk after the one before."""
    return bool(line) and not line.endswith(b"\n") and (WARC_PREFIX.startswith(line)
                                                        or _VERSION_START.fullmatch(line) is not None)


def is_arc_line(line: bytes) -> bool:
    """True for an ARC v1 record line ``URL IP DATE MIME LENGTH`` as warcio splits it (from
    the right, so URLs with spaces pass; warcio reads a bad length as 0)."""
    parts = line.rstrip(b"\r\n").rsplit(b" ", 4)
    return (len(parts) == 5 and b":" in parts[0] and parts[2].isdigit() and len(parts[2]) >= 8
            and b" " not in parts[0][:parts[0].find(b":")])


_NOT_EOL = re.compile(rb"[^\r\n]")
_EOL_BYTES = b"\r\n"


def content_start(data: bytes, start: int = 0) -> int:
    """Index of the first byte of ``data`` at or after ``start`` that is no CR/LF (len(data)
    if none), without copying."""
    if start < len(data) and data[start] not in _EOL_BYTES:  # the common case, without the regex
        return start
    found = _NOT_EOL.search(data, start)
    return found.start() if found else len(data)


def starts_record(data: bytes) -> bool:
    """True when ``data`` (after blank lines) begins a WARC or ARC record header."""
    start = content_start(data)
    if data.startswith(WARC_PREFIX, start):
        return True
    stripped = data[start:start + PEEK]
    return bool(stripped) and is_arc_line(stripped.split(b"\n", 1)[0])


class GzipDamage(Exception):
    """Bad deflate data, or the file ends inside a member (``truncated``)."""

    def __init__(self, member_offset: int, message: str, *, truncated: bool = False) -> None:
        super().__init__(message)
        self.member_offset = member_offset
        self.message = message
        self.truncated = truncated


class GzipStream:
    """Decompressed bytes of the gzip members from ``start`` (see the module docstring).

    ``read``/``readline`` return ``b""`` at the end of the data *or* at a member boundary
    where the next member starts a record (:attr:`at_boundary`); :meth:`advance` then moves
    into that member. :meth:`locate` maps a decompressed position to the compressed offset of
    the member holding it and whether the position is that member's first byte.
    """

    def __init__(self, fh: BinaryIO, start: int) -> None:
        self.fh = fh
        self.start = start
        self.raw = b""                # compressed bytes read from the file
        self.rpos = 0                 # raw[rpos:] not yet fed to the decompressor
        self.raw_offset = start       # file offset of raw[rpos]
        self.buf = b""
        self.bpos = 0
        self.dpos = 0                 # decompressed position of buf[bpos]
        self.members: deque[tuple[int, int]] = deque([(0, start)])  # (decompressed start, offset)
        self.dec: zlib._Decompress | None = zlib.decompressobj(zlib.MAX_WBITS | 16)
        self.member_offset = start
        self.produced = 0             # decompressed bytes produced so far (end of buf)
        self.at_boundary = False
        self.end_reason: str | None = None   # "eof" | "junk" once the gzip data ends
        self.end_offset: int | None = None   # compressed offset just after the last member
        self._next: tuple[zlib._Decompress, bytes, int] | None = None
        self.last_member_end: int | None = None  # compressed offset just after the last member that ended
        self._damaged_next: GzipDamage | None = None
        self._pending: GzipDamage | None = None  # damage met by held()'s early feeds, raised in order

    # ------------------------------------------------------------------ file-like API
    def tell(self) -> int:
        return self.dpos

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            out = []
            while self._fill():
                out.append(self.buf[self.bpos:])
                self.dpos += len(self.buf) - self.bpos
                self.buf, self.bpos = b"", 0
            return b"".join(out)
        parts: list[bytes] = []
        while size > 0:
            if self.bpos >= len(self.buf) and not self._fill():
                break
            piece = self.buf[self.bpos:self.bpos + size]
            self.bpos += len(piece)
            self.dpos += len(piece)
            size -= len(piece)
            parts.append(piece)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def readline(self, size: int | None = -1) -> bytes:
        limit = MAX_LINE if size is None or size < 0 else min(size, MAX_LINE)
        buf, start = self.buf, self.bpos
        end = buf.find(b"\n", start, start + limit)
        if end >= 0:  # the common case: the whole line is in the buffer
            self.bpos = end + 1
            self.dpos += end + 1 - start
            return buf[start:end + 1]
        parts: list[bytes] = []
        got = 0
        while got < limit:
            if self.bpos >= len(self.buf) and not self._fill():
                break
            end = self.buf.find(b"\n", self.bpos, self.bpos + (limit - got))
            stop = end + 1 if end >= 0 else min(len(self.buf), self.bpos + (limit - got))
            piece = self.buf[self.bpos:stop]
            self.bpos = stop
            self.dpos += len(piece)
            parts.append(piece)
            got += len(piece)
            if end >= 0:
                break
        return b"".join(parts)

    def held(self) -> tuple[bytes, int] | None:
        """``(buffer, start)`` when ``buffer[start:]`` is everything the stream will return
        before it has to decompress or look at the next member (the current member is fully
        decompressed, or there is no current member) and it is at most MAX_LINE bytes (so
        no line in it is longer than ``readline`` returns); None otherwise. The buffer is
        not copied: read it through ``io.BytesIO`` and :meth:`skip` what was consumed.

        When the current member is not fully decompressed yet because it goes on past the file
        chunk read so far, its remaining feeds are run now -- the very steps ``_fill`` would
        run once the buffer is read, with the same results -- until it ends or more than
        PREFEED bytes are held. Members longer than one FEED, and larger records, are read
        through the stream as before: beside their bodies the Python readline costs little,
        and joining the pieces would copy the body once more (measured on wget's file, whose
        members reach 800 KB: early decompression of everything held up to MAX_LINE was 7%
        slower there). Damage met on the way is kept and raised when
        reading reaches it, as before (measured: 176 of 6310 records of a crawl of ours
        straddled a 64 KiB chunk and were read through the Python readline before)."""
        rest = len(self.buf) - self.bpos
        dec = self.dec
        if dec is not None and not dec.eof and 0 < rest <= PREFEED and self.rpos >= len(self.raw) \
                and self._pending is None:
            pieces = [self.buf[self.bpos:]]  # joined once: appending step by step copies O(n^2)
            try:
                while not dec.eof and rest <= PREFEED:
                    pieces.append(self._step(dec))
                    rest += len(pieces[-1])
            except GzipDamage as damage:
                self._pending = damage
            if len(pieces) > 1:
                self.produced += rest - len(pieces[0])
                self.buf, self.bpos = b"".join(pieces), 0
        if 0 < rest <= MAX_LINE and (dec is None or dec.eof):
            return self.buf, self.bpos
        return None

    @property
    def at_member_end(self) -> bool:
        """At a boundary (:attr:`at_boundary`) with nothing left to read before it."""
        return self.at_boundary and self.bpos >= len(self.buf)

    def exhausted(self) -> bool:
        """True when nothing can be read before a boundary or the end (``readline`` would
        return ``b""``); may decompress and look at the next member to tell."""
        return self.bpos >= len(self.buf) and not self._fill()

    def skip(self, size: int) -> None:
        """Step over ``size`` held bytes (at most what :meth:`held` returned), as reading them would."""
        self.bpos += size
        self.dpos += size

    def unread(self, data: bytes) -> None:
        """Push ``data`` (just read) back in front of the stream."""
        self.buf = data + self.buf[self.bpos:]
        self.bpos = 0
        self.dpos -= len(data)

    def close(self) -> None:
        """warcio may close a stream; the file belongs to the caller."""

    # ------------------------------------------------------------------ members
    def locate(self, dpos: int) -> tuple[int, bool]:
        """(offset of the member holding decompressed position ``dpos``, starts there?)."""
        while len(self.members) > 1 and self.members[1][0] <= dpos:
            self.members.popleft()
        dstart, offset = self.members[0]
        return offset, dstart == dpos

    def advance(self) -> bool:
        """Step over a boundary into the next member; False when there is none."""
        if self.at_boundary and self._damaged_next is not None:
            raise self._damaged_next
        if not self.at_boundary or self._next is None:
            return False
        self.at_boundary = False
        dec, first, offset = self._next
        self._next = None
        self._start_member(dec, first, offset)
        return True

    def _start_member(self, dec: zlib._Decompress, first: bytes, offset: int) -> None:
        self.members.append((self.produced, offset))
        self.dec = dec
        self.member_offset = offset
        self._append(first)

    def _append(self, data: bytes) -> None:
        if not data:
            return
        if self.bpos >= len(self.buf):
            self.buf, self.bpos = data, 0
        else:
            self.buf = self.buf[self.bpos:] + data
            self.bpos = 0
        self.produced += len(data)

    def _raw_more(self) -> bool:
        chunk = self.fh.read(CHUNK)
        if not chunk:
            return False
        if self.rpos >= len(self.raw):
            self.raw, self.rpos = chunk, 0
        else:
            self.raw, self.rpos = self.raw[self.rpos:] + chunk, 0
        return True

    def _feed(self, dec: zlib._Decompress) -> bytes:
        """Give ``dec`` up to FEED raw bytes (a view, not a copy); step over what it used."""
        view = memoryview(self.raw)[self.rpos:self.rpos + FEED]
        size = len(view)
        data = dec.decompress(view)
        used = size - len(dec.unused_data) if dec.eof else size
        self.rpos += used
        self.raw_offset += used
        return data

    def _fill(self) -> bool:
        """Make more decompressed data available; False at the end or at a boundary."""
        while self.bpos >= len(self.buf):
            if self.at_boundary or self.end_reason is not None:
                return False
            if self.dec is None:
                return False
            if self.dec.eof:
                self._member_ended()
                continue
            if self._pending is not None:  # the step held() ran early failed: fail here, as it would have
                damage, self._pending = self._pending, None
                raise damage
            self._append(self._step(self.dec))
            if self.dec.eof and self.bpos >= len(self.buf):
                self._member_ended()
        return True

    def _step(self, dec: zlib._Decompress) -> bytes:
        """One decompression step of the current member (reading the file as needed)."""
        if self.rpos >= len(self.raw) and not self._raw_more():
            raise GzipDamage(self.member_offset, f"file ends inside the gzip member at offset "
                             f"{self.member_offset}", truncated=True)
        try:
            return self._feed(dec)
        except zlib.error as exc:
            where = "" if self.raw_offset - self.member_offset < FEED else f", near byte {self.raw_offset}"
            raise GzipDamage(self.member_offset, f"bad gzip data in the member at offset "
                             f"{self.member_offset}{where}: {exc}") from None

    def _member_ended(self) -> None:
        end = self.raw_offset
        self.last_member_end = end
        while len(self.raw) - self.rpos < len(GZIP_MAGIC) and self._raw_more():
            pass
        if self.rpos >= len(self.raw):
            self.dec, self.end_reason, self.end_offset = None, "eof", end
            return
        if not self.raw.startswith(GZIP_MAGIC, self.rpos):
            self.dec, self.end_reason, self.end_offset = None, "junk", end
            return
        dec = zlib.decompressobj(zlib.MAX_WBITS | 16)
        first = b""
        whole_line = False
        try:
            while not dec.eof:
                if self.rpos >= len(self.raw) and not self._raw_more():
                    break
                first += self._feed(dec)
                start = content_start(first)
                # decide on the whole first line: a feed cut by the file chunk can yield
                # only "WA" of "WARC/1.1", which is no record header yet
                whole_line = start < len(first) and (first.find(b"\n", start) >= 0 or len(first) - start >= PEEK)
                if whole_line:
                    break
        except zlib.error as exc:
            # the next member is damaged: stop at the boundary; advance() reports it
            self.at_boundary = True
            self._damaged_next = GzipDamage(end, f"bad gzip data in the member at offset {end}: {exc}")
            self.dec = None
            return
        if not whole_line and not dec.eof:
            # the file ends before the next member has said its first line: a cut member;
            # the record before it is complete, advance() reports the cut one
            self.at_boundary = True
            self._damaged_next = GzipDamage(end, f"file ends inside the gzip member at offset {end}", truncated=True)
            self.dec = None
        elif starts_record(first):
            self.at_boundary = True
            self._next = (dec, first, end)
            self.dec = None
        else:
            self._start_member(dec, first, end)  # the record goes on in the next member


def find_next(fh: BinaryIO, start: int, needle: bytes) -> int | None:
    """Offset of the next ``needle`` at or after ``start``, or None."""
    pos = start
    carry = b""
    fh.seek(start)
    while True:
        chunk = fh.read(CHUNK)
        if not chunk:
            return None
        buf = carry + chunk
        idx = buf.find(needle)
        if idx >= 0:
            return pos - len(carry) + idx
        carry = buf[-(len(needle) - 1):] if len(needle) > 1 else b""
        pos += len(chunk)


def resync_gzip(fh: BinaryIO, start: int) -> int | None:
    """Next offset >= ``start`` where a gzip member holding the start of a record begins."""
    pos = start
    while True:
        cand = find_next(fh, pos, GZIP_MAGIC)
        if cand is None:
            return None
        fh.seek(cand)
        raw = fh.read(CHUNK)
        dec = zlib.decompressobj(zlib.MAX_WBITS | 16)
        try:
            head = dec.decompress(raw, PEEK)
        except zlib.error:
            head = b""
        if starts_record(head):
            return cand
        pos = cand + 1


_PLAIN_RESYNC = re.compile(rb"WARC/[01]\.\d+\r?\n")


def _plausible_header(data: bytes) -> bool:
    """A WARC version line followed by header lines naming a type and a length (or a header
    block cut by the end of ``data``)."""
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].lower()
    return (b"\nwarc-type:" in head and b"\ncontent-length:" in head) or len(head) == len(data)


def resync_plain(fh: BinaryIO, start: int, fmt: str) -> int | None:
    """Offset of the next line >= ``start`` that starts a WARC (or ARC) record header."""
    fh.seek(start)
    pos = start
    carry = b""
    while True:
        chunk = fh.read(CHUNK)
        if not chunk:
            return None
        buf = carry + chunk
        base = pos - len(carry)
        if fmt == "arc":
            for match in re.finditer(rb"\n", buf):
                rest = buf[match.end():]
                if b"\n" in rest and is_arc_line(rest.split(b"\n", 1)[0]):
                    return base + match.end()
        else:
            for match in _PLAIN_RESYNC.finditer(buf):
                if _plausible_header(buf[match.start():match.start() + 8192]):
                    return base + match.start()
        carry = buf[-256:]
        pos += len(chunk)


def damaged_member_at(fh: BinaryIO, start: int) -> bool:
    """True when the bytes at ``start`` are a gzip member whose header is damaged but whose
    deflate data (after a 10-byte header) still begins a record: a record was lost there."""
    fh.seek(start + 10)
    raw = fh.read(CHUNK)
    try:
        head = zlib.decompressobj(-zlib.MAX_WBITS).decompress(raw, PEEK)
    except zlib.error:
        return False
    return starts_record(head)


def is_padding(fh: BinaryIO, start: int) -> bool:
    """True when everything from ``start`` to the end of the file is NUL or whitespace."""
    fh.seek(start)
    while chunk := fh.read(CHUNK):
        if chunk.strip(b"\0 \t\r\n"):
            return False
    return True

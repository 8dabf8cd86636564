"""Gzip member framing for ``*.warc.gz`` files: one member = one record.

:func:`read_member` decompresses the member that starts at an offset, with a cap on the
output, and reports how it ended (complete, bad data, file ended inside it, over the cap).
:func:`member_end` finds where an over-cap member ends without keeping its output, and
:func:`find_next_magic` scans for the next gzip header to resynchronise after damage.
Used by the reader (damage reports) and by recovery (truncate to the last good member).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b\x08"
CHUNK = 64 * 1024


@dataclass
class Member:
    """Result of decompressing one gzip member starting at ``offset``.

    ``status`` is ``"ok"``, ``"eof"`` (no bytes at offset), ``"not-gzip"``, ``"bad-gzip"``,
    ``"truncated"`` (file ends inside the member) or ``"over-cap"`` (output larger than the
    cap; ``data`` holds the first ``cap`` bytes and ``length`` is unknown, 0).
    """

    offset: int
    status: str
    data: bytes = b""
    length: int = 0
    error: str = ""


def read_member(fh: BinaryIO, offset: int, cap: int) -> Member:
    """Decompress the gzip member at ``offset`` keeping at most ``cap`` output bytes."""
    fh.seek(offset)
    head = fh.read(len(GZIP_MAGIC))
    if not head:
        return Member(offset, "eof")
    if head != GZIP_MAGIC:
        return Member(offset, "not-gzip", error=f"no gzip header at offset {offset} (found {head!r})")
    fh.seek(offset)
    dec = zlib.decompressobj(zlib.MAX_WBITS | 16)
    out: list[bytes] = []
    produced = 0
    consumed = 0
    while True:
        chunk = fh.read(CHUNK)
        if not chunk:
            return Member(offset, "truncated", b"".join(out),
                          error=f"file ends inside the gzip member at offset {offset}")
        data = chunk
        while data:
            try:
                piece = dec.decompress(data, cap + 1 - produced)
            except zlib.error as exc:
                return Member(offset, "bad-gzip", b"".join(out), error=f"bad gzip data: {exc}")
            out.append(piece)
            produced += len(piece)
            if produced > cap:
                return Member(offset, "over-cap", b"".join(out)[:cap],
                              error=f"record larger than {cap} bytes")
            if dec.eof:
                consumed += len(chunk) - len(dec.unused_data)
                return Member(offset, "ok", b"".join(out), length=consumed)
            data = dec.unconsumed_tail
        consumed += len(chunk)


def member_end(fh: BinaryIO, offset: int) -> int | None:
    """Offset just past the gzip member at ``offset`` (output discarded), or None if it is
    damaged or the file ends inside it."""
    fh.seek(offset)
    dec = zlib.decompressobj(zlib.MAX_WBITS | 16)
    consumed = 0
    while True:
        chunk = fh.read(CHUNK)
        if not chunk:
            return None
        data = chunk
        try:
            while data:
                dec.decompress(data, CHUNK * 16)
                if dec.eof:
                    return offset + consumed + len(chunk) - len(dec.unused_data)
                data = dec.unconsumed_tail
        except zlib.error:
            return None
        consumed += len(chunk)


def find_next_magic(fh: BinaryIO, start: int) -> int | None:
    """Offset of the next gzip header at or after ``start``, or None."""
    pos = start
    carry = b""
    fh.seek(start)
    while True:
        chunk = fh.read(CHUNK)
        if not chunk:
            return None
        buf = carry + chunk
        idx = buf.find(GZIP_MAGIC)
        if idx >= 0:
            return pos - len(carry) + idx
        carry = buf[-(len(GZIP_MAGIC) - 1):]
        pos += len(chunk)

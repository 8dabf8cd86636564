"""Rewrite a gzip archive as one gzip member per record (what ``warcio recompress`` does),
byte for byte: the new file decompresses to exactly the bytes the old one did.

Whole-file gzip, multi-record members and ``cat a.warc.gz b.warc.gz`` files can be read but
their records have no offset of their own, so no CDXJ index (pywb, ReplayWeb.page) can point at
them. :func:`recompress_per_record` decompresses every member into a temporary plain file,
finds the record starts with the one reader (:func:`archive.reader.iter_records`) and writes
each stretch from one record start to the next as its own gzip member. Damaged stretches stay
in the member of the record before them (nothing is dropped). Used by ``healthcrawl wacz``.
"""

from __future__ import annotations

import tempfile
import zlib
from pathlib import Path

from archive.framing import CHUNK, GZIP_MAGIC
from archive.reader import ArchivedRecord, iter_records

__all__ = ["decompress_all", "recompress_per_record"]


def decompress_all(src: Path, out) -> int:  # noqa: ANN001 - binary file object
    """Write the decompressed bytes of every gzip member of ``src`` to ``out`` (stops at the
    first byte that is no gzip member, or at damage); returns the bytes written."""
    written = 0
    with open(src, "rb") as fh:
        raw = fh.read(CHUNK)
        while raw[:3] == GZIP_MAGIC:
            dec = zlib.decompressobj(zlib.MAX_WBITS | 16)
            try:
                while True:
                    data = dec.decompress(raw, CHUNK * 4)
                    out.write(data)
                    written += len(data)
                    raw = dec.unused_data if dec.eof else dec.unconsumed_tail
                    if dec.eof:
                        break
                    if not raw:
                        raw = fh.read(CHUNK)
                        if not raw:
                            return written
            except zlib.error:
                return written
            if len(raw) < 3:
                raw += fh.read(CHUNK)
    return written


def recompress_per_record(src: Path, dst: Path, *, level: int = 6) -> int:
    """Write ``src`` (any gzip archive) to ``dst`` as one gzip member per record; returns the
    number of members written. ``dst`` must not exist."""
    with tempfile.NamedTemporaryFile(suffix=".warc") as view:
        size = decompress_all(src, view)
        view.flush()
        if size:
            starts = sorted({r.offset for r in iter_records(view.name, verify_digests=False, decode_payload=False,
                                                            keep_payload=False) if isinstance(r, ArchivedRecord)})
            if not starts or starts[0] != 0:  # bytes before the first record stay with it
                starts.insert(0, 0)
            bounds = starts + [size]
            members = 0
            with open(view.name, "rb") as fh, open(dst, "xb") as out:
                for begin, end in zip(bounds, bounds[1:]):
                    if end <= begin:
                        continue
                    fh.seek(begin)
                    comp = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
                    left = end - begin
                    while left:
                        piece = fh.read(min(left, CHUNK * 16))
                        if not piece:
                            break
                        out.write(comp.compress(piece))
                        left -= len(piece)
                    out.write(comp.flush())
                    members += 1
            return members
    open(dst, "xb").close()
    return 0

"""The one archive reader: every WARC, ARC and WACZ file, with damage reports.

Records are parsed by warcio's ``ArcWarcRecordLoader`` (WARC and HTTP headers, ARC→WARC
conversion, digests) and bodies decoded by warcio's readers (chunked transfer coding, gzip and
deflate content coding, with warcio's fall-back to the stored bytes when a body is not really
encoded); brotli and zstd are decoded here, with the same fall-back. So whatever warcio reads,
this reads: LF-only headers, header lines without a colon, request records without the final
blank line, base16/32/64/64url digests, ``<...>`` or spaced target URIs.

Our own code only frames the bytes (:mod:`archive.framing`): the format comes from the first
bytes (gzip, plain WARC, ARC, WACZ; LZ4/zstd/bzip2/xz are named as unsupported), whatever the
file's name or its case. Gzip files are read member by member; a record that shares a member
with others (multi-record members, whole-file gzip, ``cat a.warc.gz b.warc.gz``) is read too,
with one note per file, but is not addressable by offset (``ArchivedRecord.addressable`` is
False; ``member_index`` says which record of the member it is). A record whose block goes on
in the next member (a writer that split it) is read across members. Sizes are capped: the
stored block at ``max_body`` + ``HEADER_ALLOWANCE``, the decoded payload at ``max_body``
(content decoding stops at the cap, so a compression bomb costs at most one step's output).

Speed: a record that lies in one gzip member's decompressed bytes (the usual case: one small
member per record) is handed to warcio as an ``io.BytesIO`` over those bytes, whose ``readline``
and ``read`` are C, instead of the Python-level :class:`archive.framing.GzipStream`; the stream
is then advanced by what warcio consumed. The result is kept only when warcio stopped inside
the bytes, so it is the one reading the stream gives (``tests/archive/test_reader_held.py``
compares the two paths, damage included); anything else is read through the stream as
before. Measured on a crawl of ours (6310 records, 11.8 MB), ``bench/replay_once.py read``
against ``read-warcio`` (ArchiveIterator, digests checked, every body read): 0.58 s of CPU
against 0.50 s before, on a par now (0.50-0.53 s each, within this machine's noise); counted
by valgrind, reading the file takes 2.4% fewer instructions than ArchiveIterator (11% more
before), with as many cache misses.

Damage costs only the damaged record. :func:`iter_records` yields :class:`ArchivedRecord` for
each good record and :class:`DamagedRecord` (file, offset, reason) for each bad one, and never
raises for bad content. It resyncs on the next member or record header after a bad gzip
member, a lying ``Content-Length`` (plain or gzip), junk between records or a cut file.
Trailing NUL/whitespace padding is ignored. Reasons: ``bad gzip``, ``truncated record``,
``bad Content-Length``, ``bad WARC headers``, ``block digest mismatch``, ``payload digest
mismatch``, ``body over cap``, ``unsupported``; and, with ``lost`` False (no record was lost),
``junk`` (bytes between records that are no record; also a record without digests followed by
at most ``TRAILER_SLACK`` stray bytes, which is kept as warcio keeps it, or one whose digests
match), ``not one record per gzip member`` for whole-file gzip, and gzip damage met while
finishing a record already reported lost (one lost record, one loss). A gzip member whose header
is destroyed but whose data still inflates to a record is a lost record (``bad gzip``), not junk;
so is a record after a well-ended one whose version line is damaged or gone (``bad WARC
headers``), and a file that ends inside a record's first line (``truncated record``).

:func:`read_record_at` reads one record at an offset (from a CDXJ line, or a record's
``offset``/``member_index``) and raises :class:`DamagedRecordError` naming file and offset.
:func:`iter_warc_paths` expands folders into archive files (``.warc``, ``.warc.gz``, ``.arc``,
``.arc.gz``, ``.wacz`` in any case; ``.open`` files are left for recovery). A WACZ is read
through its ``archive/`` members: records carry ``path`` = the ``.wacz`` and ``member`` = the
member name (``filename`` is the member's base name, as in the WACZ's own index).
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import logging
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from warcio.bufferedreaders import BufferedReader, ChunkedDataReader
from warcio.digestverifyingreader import _compare_digest_rfc_3548
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeadersParserException
from warcio.utils import Digester

from archive.framing import (
    MAX_LINE,
    UNSUPPORTED,
    GzipDamage,
    GzipStream,
    content_start,
    damaged_member_at,
    is_cut_record_start,
    is_padding,
    resync_gzip,
    resync_plain,
    sniff,
    starts_record,
)

logger = logging.getLogger("archive.reader")

DEFAULT_MAX_BODY = 50 * 1024 * 1024
HEADER_ALLOWANCE = 1024 * 1024  # room for WARC + HTTP headers on top of max_body
HTTP_RECORD_TYPES = ("response", "request", "revisit")
RECOMPRESS_HINT = "fix with: warcio recompress IN OUT"
SHARED_MEMBER_NOTE = "not one record per gzip member"  # the note (lost=False) for such files
ARCHIVE_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz", ".wacz")
_DRAIN = 256 * 1024
_DECODE_BLOCK = 64 * 1024  # compressed bytes per decode step: at most ~64 MiB out of a bomb before the cap check
_MAX_HEADER_LINES = 10_000
# bytes of non-record data tolerated after a record without digests before the next record
# (warcio reads such records, warning "perhaps Content-Length is invalid"); more, or a digest
# mismatch, and the record is damaged
TRAILER_SLACK = 64


@dataclass(slots=True)
class ArchivedRecord:
    """One good record. ``headers`` are the WARC headers (last value wins on repeats).

    ``payload`` is the entity body with transfer coding removed and (``payload_decoded``)
    content coding removed too; ``content_encoding`` names the coding removed. ``length`` is
    the record's size in the file (the gzip member for ``.warc.gz``); it is 0 and
    ``addressable`` False for a record that shares its gzip member with other records.
    """

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
    member: str | None = None              # WACZ member name ("archive/x.warc.gz") or None
    member_index: int = 0                  # n-th record of its gzip member (0: the first)
    addressable: bool = True
    source_format: str = "warc"            # "warc" or "arc" (converted by warcio)
    payload_length: int = 0                # bytes of the stored body (before content decoding)
    stored_digest: str | None = None       # sha1 of the stored body when the record has no payload digest
    verified: bool | None = None           # True: its digests were checked and match; None: not checked

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
    """A record (or stretch of file) that could not be read, and why.

    ``lost`` is False for notes that cost no record (junk bytes between records, a file
    that is not one record per gzip member)."""

    filename: str
    offset: int
    reason: str
    path: Path | None = field(default=None)
    lost: bool = True
    member: str | None = None

    def where(self) -> str:
        """``path[!member] at offset N`` for messages."""
        name = str(self.path or self.filename)
        if self.member:
            name += f"!{self.member}"
        return f"{name} at offset {self.offset}"


class DamagedRecordError(ValueError):
    """Raised by :func:`read_record_at` for a bad record; carries the DamagedRecord."""

    def __init__(self, damage: DamagedRecord) -> None:
        super().__init__(f"{damage.where()}: {damage.reason}")
        self.damage = damage


class _Bad(Exception):
    """A bad record; ``consumed``: its block was read to its declared end."""

    def __init__(self, reason: str, consumed: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.consumed = consumed


Item = ArchivedRecord | DamagedRecord


# ---------------------------------------------------------------------- public API
def is_archive_name(name: str) -> bool:
    """True for ``.warc``, ``.warc.gz``, ``.arc``, ``.arc.gz`` and ``.wacz`` names, any case."""
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def iter_warc_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files and directories -> sorted list of archive files.

    Directories are searched recursively for :data:`ARCHIVE_SUFFIXES` in any case (``*.open``
    files and ``quarantine/`` folders are skipped: recover them first); a file named
    explicitly is taken whatever its name (its first bytes decide what it is). A file reached
    through several paths (links, a folder and a file in it) is listed once, symbolic links as
    the file they point to. A path that does not exist raises FileNotFoundError naming it.
    """
    found: set[Path] = set()
    seen: set[tuple[int, int]] = set()

    def add(candidate: Path) -> None:
        if candidate.is_symlink():  # records are named after the file itself, whatever the link
            candidate = candidate.resolve()
        stat = candidate.stat()
        if (stat.st_dev, stat.st_ino) not in seen:  # two paths to one file: read it once
            seen.add((stat.st_dev, stat.st_ino))
            found.add(candidate)

    for item in sorted(Path(p) for p in paths):
        path = Path(item)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and is_archive_name(child.name) and "quarantine" not in child.relative_to(path).parts[:-1]:
                    add(child)
        elif path.is_file():
            add(path)
        else:
            raise FileNotFoundError(f"no such WARC file or directory: {path}")
    return sorted(found)


def file_format(path: str | Path) -> str:
    """What ``path`` is, from its first bytes (:func:`archive.framing.sniff`)."""
    with open(path, "rb") as fh:
        return sniff(fh)


def iter_records(path: str | Path, *, max_body: int = DEFAULT_MAX_BODY, verify_digests: bool = True,
                 decode_payload: bool = True, keep_payload: bool = True) -> Iterator[Item]:
    """Yield every record of ``path``; damaged ones as DamagedRecord (never raises for them).

    ``keep_payload=False`` reads bodies without keeping them (indexing: digests are still
    checked; ``payload`` is empty).
    """
    path = Path(path)
    opts = _Opts(max_body, verify_digests, decode_payload, keep_payload)
    with open(path, "rb") as fh:
        fmt = sniff(fh)
        if fmt == "wacz":
            yield from _iter_wacz(fh, path, opts)
            return
        yield from _iter_file(fh, path, path.name, None, fmt, opts)


def read_record_at(path: str | Path, offset: int, *, max_body: int = DEFAULT_MAX_BODY,
                   verify_digests: bool = True, decode_payload: bool = True, member_index: int = 0,
                   member: str | None = None) -> ArchivedRecord:
    """Read the record at ``offset`` (the ``member_index``-th of its gzip member) of ``path``
    (or of the WACZ member ``member``); raise DamagedRecordError if it is bad."""
    path = Path(path)
    opts = _Opts(max_body, verify_digests, decode_payload, True)
    with open(path, "rb") as fh:
        if member is not None:
            window = _wacz_member(fh, path, member)
            item = _read_at(window, path, Path(member).name, member, offset, member_index, opts)
        else:
            item = _read_at(fh, path, path.name, None, offset, member_index, opts)
    if isinstance(item, DamagedRecord):
        raise DamagedRecordError(item)
    return item


# ---------------------------------------------------------------------- options
@dataclass(frozen=True)
class _Opts:
    max_body: int
    verify: bool
    decode: bool
    keep: bool


_LOADER = ArcWarcRecordLoader(verify_http=False, arc2warc=True)


def _damage(name: str, offset: int, reason: str, path: Path, member: str | None, lost: bool = True) -> DamagedRecord:
    return DamagedRecord(name, offset, reason, path, lost, member)


# ---------------------------------------------------------------------- files
def _iter_file(fh: BinaryIO, path: Path, name: str, member: str | None, fmt: str, opts: _Opts) -> Iterator[Item]:
    """The items of one archive file (or WACZ member) whose first bytes say ``fmt``."""
    if fmt == "gzip":  # the common case, without a generator layer of its own between the records
        return _iter_gzip(fh, path, name, member, 0, opts)
    return _iter_other(fh, path, name, member, fmt, opts)


def _iter_other(fh: BinaryIO, path: Path, name: str, member: str | None, fmt: str, opts: _Opts) -> Iterator[Item]:
    if fmt in UNSUPPORTED:
        yield _damage(name, 0, f"unsupported: {UNSUPPORTED[fmt]}", path, member)
        return
    if fmt == "wacz":
        yield _damage(name, 0, "unsupported: a WACZ inside a WACZ", path, member)
        return
    if fmt == "unknown":
        # damaged start: find the first gzip member or record header after it
        gz = resync_gzip(fh, 0)
        plain = resync_plain(fh, 0, "warc")
        starts = [s for s in (gz, plain) if s is not None]
        if not starts:
            if _size(fh) > 0:
                yield _damage(name, 0, "not a WARC or ARC file: no gzip member or record header found",
                              path, member)
            else:   # nothing lost, but a crawl that died at its file's creation leaves one
                yield _damage(name, 0, "empty file: no records", path, member, lost=False)
            return
        start = min(starts)
        yield _junk(fh, name, 0, start, path, member)
        fmt = "gzip" if start == gz else "warc"
        fh.seek(start)
    else:
        start = 0
    if fmt == "gzip":
        yield from _iter_gzip(fh, path, name, member, start, opts)
    else:
        yield from _walk_plain(fh, path, name, member, fmt, start, opts)


def _size(fh: BinaryIO) -> int:
    pos = fh.tell()
    fh.seek(0, io.SEEK_END)
    size = fh.tell()
    fh.seek(pos)
    return size


def _read_at(fh: BinaryIO, path: Path, name: str, member: str | None, offset: int, index: int,
             opts: _Opts) -> Item:
    fh.seek(offset)
    fmt = sniff(fh)
    if fmt == "gzip":
        stream = GzipStream(fh, offset)
        fh.seek(offset)
        items = _walk_gzip(stream, path, name, member, opts, stop_after=index + 1)
    elif fmt in ("warc", "arc"):
        fh.seek(offset)
        items = _walk_plain(fh, path, name, member, fmt, offset, opts, stop_after=index + 1)
    else:
        return _damage(name, offset, f"bad gzip: no gzip member or WARC record at offset {offset}", path, member)
    got: list[Item] = []
    for item in items:
        if isinstance(item, DamagedRecord) and not item.lost:
            continue
        got.append(item)
        if len(got) > index or isinstance(item, DamagedRecord):
            break
    if not got:
        return _damage(name, offset, f"truncated record: nothing at offset {offset}", path, member)
    return got[-1]


# ---------------------------------------------------------------------- gzip
def _iter_gzip(fh: BinaryIO, path: Path, name: str, member: str | None, start: int, opts: _Opts) -> Iterator[Item]:
    """The records of the gzip members from ``start``, one GzipStream after another (a new one
    where reading resumes after damage). The walks are chained in C (itertools): each record
    passes through one generator frame less than with ``yield from`` (measured: ~1 us a record)."""
    warned = [False]

    def walks() -> Iterator[Iterator[Item]]:
        offset: int | None = start
        while offset is not None:
            fh.seek(offset)
            stream = GzipStream(fh, offset)
            nxt: list[int | None] = [None]
            yield _walk_gzip(stream, path, name, member, opts, resume=nxt, warned=warned)
            offset = nxt[0]  # set by the walk just finished

    return itertools.chain.from_iterable(walks())


def _walk_gzip(stream: GzipStream, path: Path, name: str, member: str | None, opts: _Opts, *,
               resume: list[int | None] | None = None, stop_after: int | None = None,
               warned: list[bool] | None = None) -> Iterator[Item]:
    """Records of one gzip stream; sets ``resume[0]`` to where reading should go on. With
    ``warned``, the first record that shares its member with others (in any of the streams
    sharing ``warned``) is preceded by the SHARED_MEMBER_NOTE note."""
    fh = stream.fh
    count = 0
    index = 0                    # records seen in the current member
    block_end_member = -1        # member holding the last byte of the previous record
    reported = -1                # offset of the record just reported damaged (-1: another record began since)
    while stop_after is None or count < stop_after:
        try:
            if stream.at_member_end:  # what reading a line would find (saves a readline per member)
                stream.advance()
            line = stream.readline(MAX_LINE)
            if line and not line.strip(b"\r\n"):  # blank lines between records
                line = _next_line(stream)
            if not line:
                if stream.at_boundary:
                    stream.advance()
                    continue
                break
            rec_offset, _ = stream.locate(stream.tell() - len(line))
            at_start = rec_offset != block_end_member
            index = 0 if at_start else index + 1
            count += 1
            reported = -1
            try:
                record = _parse_held(stream, line, path, name, member, rec_offset, opts)
            except _Bad as bad:
                yield _damage(name, rec_offset, bad.reason, path, member)
                reported = rec_offset
                block_end_member = rec_offset
                if not bad.consumed or not _skip_trailer(stream):
                    _skip_to_record(stream)
                continue
            block_end_member, _ = stream.locate(max(stream.tell() - 1, 0))
            if not _skip_trailer(stream):
                skipped = _skip_to_record(stream)
                if not (record.verified or skipped <= TRAILER_SLACK):
                    yield _damage(name, rec_offset, f"bad Content-Length: {record.headers.get('Content-Length')} "
                                  "does not end at a record boundary", path, member)
                    continue
                yield _damage(name, rec_offset, _slack_note(record, skipped), path, member, lost=False)
            record.member_index = index
            if index > 0 or not (stream.at_boundary or stream.end_reason is not None):
                record.addressable = False
            else:
                end = stream.last_member_end
                record.length = (end - rec_offset) if end is not None and end > rec_offset else 0
                record.addressable = record.length > 0
            if warned is not None and not record.addressable and not warned[0]:
                warned[0] = True
                yield _damage(name, rec_offset, f"{SHARED_MEMBER_NOTE} (whole-file gzip or concatenated "
                              f"records): records are read but cannot be addressed by offset; {RECOMPRESS_HINT}",
                              path, member, lost=False)
            yield record
        except GzipDamage as dmg:
            kind = "truncated record" if dmg.truncated else "bad gzip"
            if dmg.member_offset == reported:  # met while finishing the record just reported: no second loss
                yield _damage(name, dmg.member_offset, f"{kind}: {dmg.message} (the record reported lost at this "
                              "offset)", path, member, lost=False)
            else:
                yield _damage(name, dmg.member_offset, f"{kind}: {dmg.message}", path, member)
            if resume is not None:
                resume[0] = resync_gzip(fh, dmg.member_offset + 1)
            return
    if stream.end_reason == "junk" and stream.end_offset is not None and resume is not None:
        end = stream.end_offset
        if is_padding(fh, end):
            return
        nxt = resync_gzip(fh, end)
        skipped = (nxt if nxt is not None else _size(fh)) - end
        if skipped:
            yield _junk(fh, name, end, skipped, path, member)
        resume[0] = nxt


def _junk(fh: BinaryIO, name: str, start: int, skipped: int, path: Path, member: str | None) -> DamagedRecord:
    """Report ``skipped`` unreadable bytes at ``start``: a lost record when they are a gzip
    member with a damaged header, otherwise junk that cost nothing."""
    if damaged_member_at(fh, start):
        return _damage(name, start, f"bad gzip: damaged gzip header; {skipped} bytes skipped", path, member)
    return _damage(name, start, f"junk: {skipped} bytes that are no record or gzip member", path, member, lost=False)


def _next_line(stream: GzipStream | BinaryIO) -> bytes:
    """The next non-blank line (blank lines between records are skipped)."""
    while True:
        line = stream.readline(MAX_LINE)
        if not line or line.strip(b"\r\n"):
            return line


def _skip_trailer(stream: GzipStream) -> bool:
    """After a record's block: blank lines, then a boundary, the end or a new record."""
    held = stream.held()
    if held is not None:  # the trailer's blank lines are held: step over them in one go
        buf, start = held
        if (len(buf) - start == 4 and buf.endswith(b"\r\n\r\n")) or \
                (buf.endswith(b"\n") and content_start(buf, start) == len(buf)):
            stream.skip(len(buf) - start)
            if stream.exhausted():
                return True
    line = _next_line(stream)
    if not line:
        return True
    stream.unread(line)
    return starts_record(line)


def _skip_to_record(stream: GzipStream) -> int:
    """Drop lines up to the next record header (left unread), member boundary or the end;
    returns the bytes dropped."""
    dropped = 0
    while True:
        line = stream.readline(MAX_LINE)
        if not line:
            return dropped
        if starts_record(line):
            stream.unread(line)
            return dropped
        dropped += len(line)


def _slack_note(record: ArchivedRecord, skipped: int) -> str:
    why = "its digests match" if record.verified else f"at most {TRAILER_SLACK} bytes, as warcio reads it"
    return (f"junk: {skipped} bytes between the end of this record's Content-Length "
            f"({record.headers.get('Content-Length')}) and the next record; the record is kept ({why})")


# ---------------------------------------------------------------------- plain WARC / ARC
class _Lines:
    """A plain file as warcio wants it, with capped line lengths."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh

    def read(self, size: int | None = -1) -> bytes:
        return self.fh.read(size)

    def readline(self, size: int | None = -1) -> bytes:
        limit = MAX_LINE if size is None or size < 0 else min(size, MAX_LINE)
        return self.fh.readline(limit)

    def tell(self) -> int:
        return self.fh.tell()

    def close(self) -> None:
        """The file belongs to the caller."""


def _walk_plain(fh: BinaryIO, path: Path, name: str, member: str | None, fmt: str, start: int, opts: _Opts, *,
                stop_after: int | None = None) -> Iterator[Item]:
    lines = _Lines(fh)
    fh.seek(start)
    count = 0
    while stop_after is None or count < stop_after:
        line = _next_line(lines)
        if not line:
            return
        rec_offset = fh.tell() - len(line)
        count += 1
        try:
            record = _parse(lines, line, path, name, member, rec_offset, opts, fmt=fmt)
        except _Bad as bad:
            reason = bad.reason
            if not reason.startswith("truncated record") and not bad.consumed and fh.tell() >= _size(fh):
                reason = f"truncated record: the file ends inside the record's headers ({reason})"
            yield _damage(name, rec_offset, reason, path, member)
            if bad.consumed:
                following = _next_line(lines)
                if not following or starts_record(following):
                    fh.seek(fh.tell() - len(following))
                    continue
            nxt = resync_plain(fh, rec_offset + 1, fmt)
            if nxt is None:
                return
            fh.seek(nxt)
            continue
        end = fh.tell()
        following = _next_line(lines)
        record.length = end - rec_offset
        if fmt == "warc" and is_cut_record_start(following):  # the file ends inside the next record's first line
            yield record
            yield _damage(name, fh.tell() - len(following), "truncated record: the file ends inside "
                          "the WARC version line", path, member)
            return
        if following and not starts_record(following):
            junk_at = fh.tell() - len(following)
            nxt = resync_plain(fh, end, fmt)
            skipped = (nxt if nxt is not None else _size(fh)) - end
            if fmt == "warc" and _damaged_header(fh, end, junk_at, nxt):
                yield record
                yield _damage(name, junk_at, f"bad WARC headers: no WARC version line; {skipped - (junk_at - end)} "
                              "bytes of a damaged record skipped", path, member)
            elif record.verified or skipped <= TRAILER_SLACK:
                yield _damage(name, rec_offset, _slack_note(record, skipped), path, member, lost=False)
                yield record
            else:
                yield _damage(name, rec_offset, f"bad Content-Length: {record.headers.get('Content-Length')} "
                              "does not end at a record boundary", path, member)
                nxt = resync_plain(fh, rec_offset + 1, fmt)
            if nxt is None:
                return
            fh.seek(nxt)
            continue
        if following:
            fh.seek(fh.tell() - len(following))
        yield record


def _damaged_header(fh: BinaryIO, end: int, junk_at: int, resume: int | None) -> bool:
    """True when the record ending at ``end`` closed with its blank lines (so its
    Content-Length held) and what follows at ``junk_at``, which no WARC version line starts,
    goes on with ``WARC-...:`` header lines in its first two lines (before ``resume``, where
    the next record starts): a record whose first line is damaged or gone (lost), not junk
    and not a lying Content-Length."""
    if not 2 <= junk_at - end <= 8:
        return False
    fh.seek(end)
    gap = fh.read(junk_at - end)
    if not gap.startswith((b"\r\n\r\n", b"\n\n")) or gap.strip(b"\r\n"):
        return False
    size = 1024 if resume is None else min(1024, resume - junk_at)  # up to the next record
    first_lines = fh.read(size).split(b"\n", 2)[:2]  # a damaged version line, or none
    return any(line[:5].lower() == b"warc-" and b":" in line for line in first_lines)


# ---------------------------------------------------------------------- WACZ
class _Window:
    """Read-only view of ``size`` bytes at ``start`` of ``fh`` (a stored ZIP member)."""

    def __init__(self, fh: BinaryIO, start: int, size: int) -> None:
        self.fh, self.start, self.size = fh, start, size
        self.pos = 0

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_END:
            pos = self.size + pos
        elif whence == io.SEEK_CUR:
            pos = self.pos + pos
        self.pos = max(0, min(pos, self.size))
        return self.pos

    def tell(self) -> int:
        return self.pos

    def read(self, size: int | None = -1) -> bytes:
        left = self.size - self.pos
        if size is None or size < 0 or size > left:
            size = left
        if size <= 0:
            return b""
        self.fh.seek(self.start + self.pos)
        data = self.fh.read(size)
        self.pos += len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        limit = self.size - self.pos
        if size is not None and 0 <= size < limit:
            limit = size
        self.fh.seek(self.start + self.pos)
        data = self.fh.readline(limit) if limit > 0 else b""
        self.pos += len(data)
        return data


def wacz_members(fh: BinaryIO) -> list[zipfile.ZipInfo]:
    """The ``archive/`` members of a WACZ (a ZIP), in name order."""
    with zipfile.ZipFile(fh) as zf:
        return sorted((i for i in zf.infolist() if i.filename.startswith("archive/") and not i.is_dir()),
                      key=lambda i: i.filename)


def _wacz_member(fh: BinaryIO, path: Path, name: str) -> BinaryIO:
    zf = zipfile.ZipFile(fh)
    info = zf.getinfo(name)
    if info.compress_type == zipfile.ZIP_STORED:
        fh.seek(info.header_offset)
        local = fh.read(30)
        start = info.header_offset + 30 + int.from_bytes(local[26:28], "little") + int.from_bytes(local[28:30], "little")
        return _Window(fh, start, info.compress_size)  # type: ignore[return-value]
    return zf.open(info)  # type: ignore[return-value]  # deflated member: seekable, slower


def _iter_wacz(fh: BinaryIO, path: Path, opts: _Opts) -> Iterator[Item]:
    try:
        members = wacz_members(fh)
    except zipfile.BadZipFile as exc:
        yield _damage(path.name, 0, f"bad WACZ: {exc}", path, None)
        return
    if not members:
        yield _damage(path.name, 0, "bad WACZ: no archive/ members", path, None)
    for info in members:
        try:
            window = _wacz_member(fh, path, info.filename)
        except (zipfile.BadZipFile, KeyError, OSError) as exc:
            yield _damage(Path(info.filename).name, 0, f"bad WACZ member: {exc}", path, info.filename)
            continue
        window.seek(0)
        yield from _iter_file(window, path, Path(info.filename).name, info.filename, sniff(window), opts)


# ---------------------------------------------------------------------- one record
def _parse_held(stream: GzipStream, first_line: bytes, path: Path, name: str, member: str | None,
                offset: int, opts: _Opts) -> ArchivedRecord:
    """:func:`_parse` on ``stream``, read through an ``io.BytesIO`` over the bytes the stream
    holds (:meth:`GzipStream.held`) when the record lies inside them: the common case of one
    small gzip member per record.

    warcio reads a record with ~20 ``readline`` calls and a few ``read`` calls; BytesIO's are
    C, ours are Python (measured on a crawl of ours, 6310 records in one-record members:
    ``bench/replay_once.py read`` took 0.58 s of CPU through GzipStream, 0.53 s this way).
    The result is the one reading ``stream`` gives: the BytesIO holds exactly the bytes the
    stream would return next, and the result is kept only when warcio stopped before their
    end (so no read was cut short by it); so is a bad record's report. Otherwise -- the
    record goes on past them, or warcio failed in another way -- nothing was consumed from
    ``stream`` and the record is parsed from it, as before."""
    held = stream.held()
    if held is not None:
        buf, start = held
        view = io.BytesIO(buf)  # shares buf: no copy
        view.seek(start)
        try:
            record = _parse(view, first_line, path, name, member, offset, opts)
        except _Bad:
            if not view.closed and view.tell() < len(buf):  # the same bad record either way
                stream.skip(view.tell() - start)
                raise
        except Exception:  # noqa: BLE001 - parsed again from the stream below, which says why
            pass
        else:
            used = view.tell()
            if used < len(buf):
                stream.skip(used - start)
                return record
    return _parse(stream, first_line, path, name, member, offset, opts)


def _parse(stream: GzipStream | _Lines | io.BytesIO, first_line: bytes, path: Path, name: str, member: str | None,
           offset: int, opts: _Opts, *, fmt: str = "warc") -> ArchivedRecord:
    """Parse the record whose first line is ``first_line`` with warcio; read its block to the
    end (the stream is left just after it)."""
    known = "arc" if fmt == "arc" or not first_line.startswith(b"WARC/") else "warc"
    try:
        # (stream, statusline, known_format, no_record_parse, ensure_http_headers, check_digests)
        rec: ArcWarcRecord = _LOADER.parse_record_stream(stream, first_line, known, False, False, opts.verify)
    except EOFError:
        raise _Bad("truncated record: the file ends inside the HTTP headers") from None
    except (ArchiveLoadFailed, StatusAndHeadersParserException, ValueError) as exc:
        raise _Bad(f"bad WARC headers: {_short(exc)}") from None
    except GzipDamage:
        raise
    except Exception as exc:  # noqa: BLE001 - warcio trips over some malformed headers
        raise _Bad(f"bad WARC headers: {type(exc).__name__}: {_short(exc)}") from None
    heads = rec.rec_headers
    if len(heads.headers) > _MAX_HEADER_LINES:
        raise _Bad("bad WARC headers: too many header lines")
    rec_type = rec.rec_type or ""
    first: dict[str, str] = {}
    for header, value in heads.headers:  # get_header semantics (first value), one scan
        first.setdefault(header.lower(), value)
    declared = first.get("content-length")
    if known == "warc":
        try:
            if declared is None or int(declared) < 0:
                raise ValueError
        except ValueError:
            raise _Bad(f"bad Content-Length: not a length: {declared!r}") from None
    if not rec_type:
        try:
            _drain(rec.raw_stream)
        except GzipDamage:
            raise
        except Exception:  # noqa: BLE001 - a malformed digest of a record that is lost anyway
            raise _Bad("bad WARC headers: no WARC-Type", consumed=getattr(rec.raw_stream, "limit", 1) == 0) from None
        raise _Bad("bad WARC headers: no WARC-Type", consumed=True)
    raw_stream = rec.raw_stream
    url = first.get("warc-target-uri")
    http = rec.http_headers

    cap = opts.max_body
    stored_cap = cap + HEADER_ALLOWANCE
    wants_digest = rec_type not in ("revisit", "warcinfo", "request") and not first.get("warc-payload-digest")
    hasher = hashlib.sha1() if wants_digest else None
    try:
        body = raw_stream.read(stored_cap + 1) if opts.keep else b""
        over = len(body) > stored_cap
        if hasher is not None:
            hasher.update(body)
        stored_len = len(body)
        if getattr(raw_stream, "limit", None) != 0:  # at 0 a LimitReader reads nothing more
            stored_len += _drain(raw_stream, hasher)
    except (GzipDamage, _Bad):
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. a digest value that is no base16/32/64
        raise _Bad(f"block digest mismatch: malformed digest ({type(exc).__name__}: {_short(exc)})",
                   consumed=getattr(raw_stream, "limit", 1) == 0) from None
    remaining = getattr(raw_stream, "limit", 0)
    if remaining > 0:
        if isinstance(stream, GzipStream) and stream.at_boundary:
            raise _Bad(f"bad Content-Length: declares {declared} bytes, the gzip member ends "
                       f"{remaining} bytes earlier")
        raise _Bad(f"truncated record: the file ends {remaining} bytes before the end of the record block")
    if over:
        raise _Bad(f"body over cap: stored body of {stored_len} bytes exceeds {stored_cap}", consumed=True)

    transfer = content_coding = None
    if http is not None:
        for header, value in http.headers:  # one scan for the two codings
            lower = header.lower()
            if lower == "transfer-encoding" and transfer is None:
                transfer = value
            elif lower == "content-encoding" and content_coding is None:
                content_coding = value
    chunked = transfer is not None and transfer.lower().startswith("chunked")
    dechunked = _dechunk(body) if chunked and opts.keep else body
    if opts.verify and rec.digest_checker is not None:
        problems = rec.digest_checker.problems
        if problems:
            problems = [p for p in problems if not p.startswith("unknown hash")]
        payload_digest = first.get("warc-payload-digest")
        if problems and chunked and all(p.startswith("payload") for p in problems) and payload_digest:
            algo = payload_digest.partition(":")[0]
            try:
                digester = Digester(algo)
                digester.update(dechunked)
                if _compare_digest_rfc_3548(digester, payload_digest):
                    problems = []
            except ValueError:
                pass
        if problems:
            kind = "block digest mismatch" if problems[0].startswith("block") else "payload digest mismatch"
            raise _Bad(f"{kind}: {problems[0]}", consumed=True)
        verified = True if rec.digest_checker.passed else None
    else:
        verified = None

    payload, coding, decoded = dechunked, None, False
    if opts.decode and opts.keep:
        decoded = True
        if content_coding and rec_type != "request":
            try:
                payload, coding = _decode_content(dechunked, content_coding, cap)
            except _Bad as bad:
                raise _Bad(bad.reason, consumed=True) from None
    elif opts.decode:
        decoded = True
    if decoded and opts.keep and len(payload) > cap:
        raise _Bad(f"body over cap: payload of {len(payload)} bytes exceeds {cap}", consumed=True)

    stored_digest = None
    if hasher is not None:
        stored_digest = "sha1:" + base64.b32encode(hasher.digest()).decode("ascii")
    status = None
    statusline = None
    method = None
    http_headers: list[tuple[str, str]] = []
    if http is not None:
        statusline = (http.protocol + " " + http.statusline).strip() if http.protocol else http.statusline
        http_headers = http.headers  # warcio's list, not shared with anything else
        if rec_type == "request":
            method = http.protocol or None
        else:
            code = http.get_statuscode()
            status = int(code) if code and code.isdigit() else None
    # positional, in field order: a dataclass __init__ called with 24 keywords costs ~1.1 us
    # more a record (measured; the reader's own work is ~10 us a record)
    return ArchivedRecord(
        name, offset, 0, rec_type, url,                                           # filename .. url
        first.get("warc-date") or "", first.get("warc-record-id") or "",          # date, record_id
        dict(heads.headers), status, http_headers, payload,                       # headers .. payload
        first.get("warc-payload-digest"), first.get("warc-refers-to"),            # payload_digest, refers_to
        first.get("warc-concurrent-to"), statusline, method,                      # concurrent_to .. http_method
        coding, decoded, path, member,                                            # content_encoding .. member
        0, True, "arc" if known == "arc" else "warc", stored_len,                 # member_index .. payload_length
        stored_digest, verified)                                                  # stored_digest, verified


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:120]


def _drain(stream: object, hasher: "hashlib._Hash | None" = None) -> int:
    """Read ``stream`` to its end (so warcio's digests are computed), feeding ``hasher``;
    returns the bytes read."""
    total = 0
    while True:
        piece = stream.read(_DRAIN)  # type: ignore[attr-defined]
        if not piece:
            return total
        if hasher is not None:
            hasher.update(piece)
        total += len(piece)


def _dechunk(body: bytes) -> bytes:
    """warcio's de-chunking (falls back to the bytes as they are when not really chunked)."""
    reader = ChunkedDataReader(io.BytesIO(body))
    out = []
    while piece := reader.read(_DRAIN):
        out.append(piece)
    return b"".join(out)


# ---------------------------------------------------------------------- content coding
def _decode_content(body: bytes, header: str | None, cap: int) -> tuple[bytes, str | None]:
    """Undo ``Content-Encoding`` (last applied first), capped at ``cap`` bytes; a coding the
    body does not really have leaves the bytes as stored (as warcio does)."""
    if not header or not body:
        return body, None
    codings = [c.strip().lower() for c in header.split(",") if c.strip()]
    codings = [c for c in codings if c not in ("identity", "none")]
    removed: list[str] = []
    for coding in reversed(codings):
        decoded = _decode_one(body, coding, cap)
        if decoded is None:
            break
        body = decoded
        removed.append(coding)
    if not removed:
        return body, None
    return body, ", ".join(reversed(removed))


def _decode_one(body: bytes, coding: str, cap: int) -> bytes | None:
    """``body`` without ``coding``, or None when it is not (decodably) in that coding."""
    if coding in ("gzip", "x-gzip", "deflate"):
        kind = "deflate" if coding == "deflate" else "gzip"
        reader = BufferedReader(io.BytesIO(body), block_size=_DECODE_BLOCK, decomp_type=kind)
        out = reader.read(cap + 1)
        if reader.decompressor is None:  # warcio found it was not compressed at all
            return None
        if len(out) > cap:
            raise _Bad(f"body over cap: {coding} body decodes to more than {cap} bytes")
        return out
    if coding == "br":
        import brotli

        try:
            dec = brotli.Decompressor()
            out = dec.process(body, output_buffer_limit=cap + 1)
        except brotli.error:
            return None
        if len(out) > cap:
            raise _Bad(f"body over cap: br body decodes to more than {cap} bytes")
        return out
    if coding == "zstd":
        import zstandard

        try:
            reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(body), read_across_frames=True)
            out = reader.read(cap + 1)
        except zstandard.ZstdError:
            return None
        if len(out) > cap:
            raise _Bad(f"body over cap: zstd body decodes to more than {cap} bytes")
        return out
    return None  # unknown coding (servers send e.g. "utf-8"): browsers show the bytes as they are


__all__ = [
    "ARCHIVE_SUFFIXES", "DEFAULT_MAX_BODY", "HEADER_ALLOWANCE", "SHARED_MEMBER_NOTE", "ArchivedRecord", "DamagedRecord",
    "DamagedRecordError", "file_format", "is_archive_name", "iter_records", "iter_warc_paths",
    "read_record_at", "wacz_members",
]

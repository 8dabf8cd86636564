"""Which archived records are captures to re-extract, with their payload, across many files.

:class:`CaptureReader` walks archive files with the one reader (:func:`archive.reader.iter_records`)
and yields a :class:`Capture` (the response or revisit, the record holding its payload, and the
fields of our metadata record about it) for every page worth re-extracting:

* **Own or foreign** is decided by the file's ``warcinfo`` record: a file is ours when the
  ``software:`` field's product name (before ``/`` or a space) is exactly ``OWN_SOFTWARE``
  (``healthcrawl``); a word anywhere else (``wget --warc-file=healthcrawl-mirror``) does not
  count. A file without a warcinfo is foreign.
* **Own files**: the captures the live crawl offered to extraction, in the order of the
  metadata records that refer to them (``WARC-Refers-To``, or ``WARC-Concurrent-To``), which is
  the order the crawl processed them. A file that ends early or holds a lost record still gives
  every complete capture before the damage: the HTML 200 responses no metadata record claimed
  written after the last claimed one (the last ``PENDING_LIMIT``; their metadata may have been
  lost) are yielded at the end of the file, as a foreign file's would be, with the source
  fields (``SOURCE_FIELDS``) of the last claimed page of the same host. An unclaimed response
  written *before* a claimed one was never offered to extraction (a listing page, a feed): the
  process stage writes metadata records in fetch order.
* **Foreign files**: every HTML 200 response, and every revisit whose original is one, in file
  order.
* **Revisits** (identical-payload-digest and server-not-modified) are resolved through
  ``WARC-Refers-To``, then ``WARC-Refers-To-Target-URI`` + ``-Date``, then the payload digest
  (identical-payload-digest) or the latest earlier capture of the URL (server-not-modified),
  across every file given, own or foreign, in any order: a revisit whose original is in a file
  read later waits for it. One whose original is in none of the files is reported as a
  :class:`~archive.reader.DamagedRecord` (``revisit original missing``).

:attr:`Capture.key` identifies a capture across runs (``WARC-Record-ID``, or URL + date +
digest for ARC records, which have none), so a consumer can store each one once. Memory: one
small location tuple per response/revisit read (not the records). Nothing here reads settings;
``max_body`` is the body cap of :func:`archive.reader.iter_records`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from urllib.parse import urlsplit
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warcio.timeutils import iso_date_to_datetime

from archive.reader import (
    DEFAULT_MAX_BODY,
    ArchivedRecord,
    DamagedRecord,
    DamagedRecordError,
    iter_records,
    read_record_at,
)

logger = logging.getLogger("archive.captures")

OWN_SOFTWARE = "healthcrawl"
HTML_TYPES = ("text/html", "application/xhtml")
PENDING_LIMIT = 512
SOURCE_FIELDS = ("source_name", "source_region", "min_relevance")  # what a recovered capture inherits
_PRODUCT = re.compile(r"[\s/;(]")

Where = tuple[int, int, int]  # (file number, offset, member index)


@dataclass
class Capture:
    """One page to re-extract: ``record`` (response or revisit: URL, date, status, where it
    is), ``payload`` (the record holding the body: ``record`` itself or a revisit's original)
    and ``fields`` (the JSON of our metadata record about it; empty for foreign captures)."""

    record: ArchivedRecord
    payload: ArchivedRecord
    fields: dict[str, Any] = field(default_factory=dict)
    own: bool = False

    @property
    def key(self) -> str:
        """Stable identity of the capture (the same for every read of the same record)."""
        if self.record.source_format == "warc" and self.record.record_id:
            return self.record.record_id
        return f"{self.record.url} {self.record.date} {self.payload.payload_digest or self.payload.stored_digest}"


def warcinfo_software(record: ArchivedRecord) -> str | None:
    """The ``software:`` field of a warcinfo record (``application/warc-fields``), or None."""
    try:
        text = record.payload.decode("utf-8", "replace")
    except AttributeError:
        return None
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() == "software":
            return value.strip()
    return None


def is_own_software(software: str | None) -> bool:
    """True when ``software``'s product name is exactly :data:`OWN_SOFTWARE`."""
    if not software:
        return False
    return _PRODUCT.split(software.strip(), 1)[0].lower() == OWN_SOFTWARE


def is_html_200(record: ArchivedRecord) -> bool:
    """A 200 response whose Content-Type is HTML (or missing)."""
    return record.http_status == 200 and \
        (record.http_header("content-type") or "text/html").strip().lower().startswith(HTML_TYPES)


class CaptureReader:
    """Captures of many archive files (see the module docstring)."""

    def __init__(self, *, max_body: int = DEFAULT_MAX_BODY,
                 on_damage: Callable[[DamagedRecord], None] | None = None) -> None:
        self.max_body = max_body
        self.on_damage = on_damage
        self.damaged: list[DamagedRecord] = []
        self.files = 0
        self.records = 0
        self.repeated = 0  # captures met again (same record in another copy of a file), yielded once
        self._paths: list[tuple[Path, str | None]] = []
        self._file_no: dict[tuple[Path, str | None], int] = {}
        self.by_id: dict[str, Where] = {}
        self.by_url_date: dict[tuple[str, str], Where] = {}
        self.by_digest: dict[str, Where] = {}
        self.by_url: dict[str, list[tuple[str, Where]]] = {}
        self._waiting: list[tuple[Where, bool, dict[str, Any]]] = []
        self._host_fields: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ damage
    def _damage(self, damage: DamagedRecord) -> None:
        self.damaged.append(damage)
        if damage.lost:
            logger.error("skipped damaged record: %s: %s", damage.where(), damage.reason)
        else:
            logger.warning("archive note: %s: %s", damage.where(), damage.reason)
        if self.on_damage is not None:
            self.on_damage(damage)

    # ------------------------------------------------------------------ locations
    def _where(self, record: ArchivedRecord) -> Where:
        assert record.path is not None
        source = (record.path, record.member)
        number = self._file_no.get(source)
        if number is None:
            number = self._file_no[source] = len(self._paths)
            self._paths.append(source)
        return number, record.offset, record.member_index

    def _load(self, where: Where) -> ArchivedRecord | None:
        number, offset, index = where
        path, member = self._paths[number]
        try:
            return read_record_at(path, offset, max_body=self.max_body, member_index=index, member=member)
        except DamagedRecordError as exc:
            self._damage(exc.damage)
            return None

    def _remember(self, record: ArchivedRecord) -> None:
        where = self._where(record)
        if record.record_id:
            self.by_id[record.record_id] = where
        if record.rec_type != "response":
            return
        if record.url:
            self.by_url_date.setdefault((record.url, record.date), where)
            self.by_url.setdefault(record.url, []).append((record.date, where))
        digest = record.payload_digest or record.stored_digest
        if digest:
            self.by_digest.setdefault(digest, where)

    def _original(self, revisit: ArchivedRecord) -> Where | None:
        refers = revisit.warc_header("WARC-Refers-To")
        if refers and refers in self.by_id:
            return self.by_id[refers]
        target = revisit.warc_header("WARC-Refers-To-Target-URI")
        date = revisit.warc_header("WARC-Refers-To-Date")
        if target and date and (target, date) in self.by_url_date:
            return self.by_url_date[(target, date)]
        profile = (revisit.warc_header("WARC-Profile") or "").lower()
        if "server-not-modified" not in profile and revisit.payload_digest in self.by_digest:
            return self.by_digest[revisit.payload_digest]
        if "server-not-modified" in profile:
            earlier = [(d, w) for d, w in self.by_url.get(target or revisit.url or "", []) if d <= revisit.date]
            if earlier:
                return max(earlier)[1]
        return None

    def _resolved(self, record: ArchivedRecord, fields: dict[str, Any], own: bool,
                  *, final: bool = False) -> Capture | None:
        """``record`` with its payload; revisits whose original is not read yet wait."""
        if record.rec_type != "revisit":
            return Capture(record, record, fields, own)
        where = self._original(record)
        if where is None:
            if final:
                self._damage(DamagedRecord(record.filename, record.offset,
                                           f"revisit original missing: {record.url} refers to "
                                           f"{record.warc_header('WARC-Refers-To') or record.payload_digest}, "
                                           "which is in none of the files given", record.path, True, record.member))
            else:
                self._waiting.append((self._where(record), own, fields))
            return None
        original = self._load(where)
        if original is None:
            return None
        return Capture(record, original, fields, own)

    # ------------------------------------------------------------------ walking
    def captures(self, paths: Iterable[Path]) -> Iterator[Capture]:
        """Every capture of ``paths`` (see the module docstring); revisits waiting for an
        original come after the last file. A capture whose ``WARC-Date`` is no date is
        reported (``bad WARC-Date``) instead: it has no fetch time to give its item. A capture
        met again (the same record in a copy of a file) is yielded once (``repeated`` counts)."""
        seen: set[bytes] = set()  # 16-byte digests of capture keys: ~60 bytes a capture
        for capture in self._captures(paths):
            key = hashlib.blake2b(capture.key.encode("utf-8", "surrogatepass"), digest_size=16).digest()
            if key in seen:  # the same record in a copy of a file: one capture
                self.repeated += 1
                continue
            seen.add(key)
            try:
                iso_date_to_datetime(capture.record.date)
            except (ValueError, TypeError):
                record = capture.record
                self._damage(DamagedRecord(record.filename, record.offset,
                                           f"bad WARC-Date: {record.date!r} is not a date ({record.url})",
                                           record.path, True, record.member))
                continue
            yield capture

    def _captures(self, paths: Iterable[Path]) -> Iterator[Capture]:
        for path in paths:
            yield from self._file(Path(path))
        waiting, self._waiting = self._waiting, []
        for where, own, fields in waiting:
            record = self._load(where)
            if record is None:
                continue
            capture = self._resolved(record, fields, own, final=True)
            if capture is not None and (own or is_html_200(capture.payload)):
                yield capture

    def _file(self, path: Path) -> Iterator[Capture]:
        self.files += 1
        own: bool | None = None
        member: str | None = None
        pending: OrderedDict[str, ArchivedRecord] = OrderedDict()  # own: responses not yet claimed
        damaged = False
        for item in iter_records(path, max_body=self.max_body):
            if isinstance(item, DamagedRecord):
                self._damage(item)
                damaged = damaged or item.lost
                continue
            self.records += 1
            if item.member != member:  # a new WACZ member is a new WARC file
                if own and damaged:
                    yield from self._tail(pending)
                member, own, damaged = item.member, None, False
                pending.clear()
            kind = item.rec_type
            if kind == "warcinfo":
                if own is None:
                    own = is_own_software(warcinfo_software(item))
                continue
            if kind in ("response", "revisit"):
                self._remember(item)
                if own:
                    pending[item.record_id] = item
                    while len(pending) > PENDING_LIMIT:
                        pending.popitem(last=False)
                elif kind == "revisit" or is_html_200(item):
                    capture = self._resolved(item, {}, False)
                    if capture is not None and is_html_200(capture.payload):
                        yield capture
            elif kind == "metadata" and own:
                target_id = item.refers_to or item.concurrent_to
                try:
                    fields = json.loads(item.payload.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError):
                    continue  # another tool's metadata record in our file: not an extraction record
                if not isinstance(fields, dict) or not target_id:
                    continue
                target = pending.pop(target_id, None)
                if target is not None:
                    # our metadata records follow their captures in fetch order: a response written
                    # before this one and still unclaimed was never offered to extraction (a listing
                    # page, robots.txt, a feed), so it is not part of a damaged file's tail
                    while pending and next(iter(pending.values())).offset < target.offset:
                        pending.popitem(last=False)
                if target is None and target_id in self.by_id:
                    target = self._load(self.by_id[target_id])
                if target is None:
                    continue
                self._host_fields[_host(target.url)] = {k: v for k, v in fields.items() if k in SOURCE_FIELDS}
                capture = self._resolved(target, fields, True)
                if capture is not None:
                    yield capture
        if own and damaged:
            yield from self._tail(pending)

    def _tail(self, pending: OrderedDict[str, ArchivedRecord]) -> Iterator[Capture]:
        """A damaged own file: every HTML 200 response still waiting for its metadata record
        (the last ``PENDING_LIMIT``), whose record may have been lost with the damage — read as
        a foreign file would be, with the source fields of the last claimed page of its host."""
        for record in list(pending.values()):
            if record.rec_type == "response" and is_html_200(record):
                logger.warning("replaying %s (%s at offset %d) without its metadata record: the file is damaged",
                               record.url, record.path, record.offset)
                yield Capture(record, record, dict(self._host_fields.get(_host(record.url), {})), True)
        pending.clear()


def _host(url: str | None) -> str:
    return urlsplit(url or "").netloc.lower()

"""Package a crawl's WARC files as one WACZ 1.1.1 file for ReplayWeb.page or pywb.

    from crawler.store.wacz import package_wacz, write_wacz
    result = package_wacz([Path("out/warc")], Path("healthcrawl.wacz"), title="healthcrawl demo crawl")
    result.left_out   # what is not in the index (file, offset, reason); empty: the index is complete

Layout of the ZIP (WACZ 1.1.1, https://specs.webrecorder.net/wacz/1.1.1/):

- ``archive/<name>``: every closed archive file directly in each of the WARC folders given
  (``.warc.gz``, ``.warc``, ``.arc``, ``.arc.gz`` in any case; ``*.open`` files and sub-folders
  such as ``quarantine/`` are left out), copied byte for byte and **stored**, not deflated, so a
  reader can seek to a record with an HTTP range request. Several folders (the workers of a
  Redis crawl) go into one package; two different files of the same name are refused. The
  extension follows the content (a gzip file named ``.warc`` is packaged as ``.warc.gz``, a
  plain one named ``.warc.gz`` as ``.warc``). A gzip file whose records share members
  (whole-file gzip) is packaged recompressed one member per record
  (:func:`archive.recompress.recompress_per_record`, same bytes once decompressed), so every
  record gets an offset. Formats nobody can replay (LZ4, zstd) are left out and reported.
- ``indexes/index.cdx``: a sorted CDXJ index of those files, computed afresh with the one
  archive reader (:func:`archive.cdxj.cdxj_lines_for_file`; the ``index.cdxj`` beside the WARCs
  may be stale). The name ends in ``.cdx`` because that is the one name both readers load as a
  plain index: ReplayWeb.page (wabac.js) reads ``.cdx``/``.cdxj``/``.idx`` and skips a bare
  ``.cdx.gz``, and ``wb-manager add --unpack-wacz`` reads ``.cdx``/``.cdx.gz`` but not ``.cdxj``.
  Old healthcrawl metadata records targeting ``metadata://host/path`` have the page's SURT key
  and are left out (a replay tool would show the JSON instead of the page); current ones
  target ``urn:healthcrawl:metadata:URL`` and are indexed like any record.
- ``pages/pages.jsonl``: a ``json-pages-1.0`` header, then one page per article with ``id``,
  ``url``, ``ts`` (RFC 3339), ``title`` and ``text`` (ReplayWeb.page searches it). Articles
  come from the ``items.jsonl`` beside each WARC folder (``warc_dir.parent / "items.jsonl"``,
  or ``items=``): each item's ``warc_filename``/``warc_offset`` must name a record in the
  package, which gives the archived URL and timestamp. Items whose capture is not in the
  package are left out and logged. With no items file, every archived ``200 text/html``
  response is a page, without a title.
- ``datapackage.json``: ``profile``, ``wacz_version``, ``title``, ``created``, ``software`` and
  one resource per file with ``path``, ``bytes`` and ``hash`` (``sha256:...``).
- ``datapackage-digest.json``: the sha256 of ``datapackage.json``.

The output is written to a temporary file, given the process umask's mode and renamed into
place. Pass ``created`` to get the same bytes from the same input (the ZIP entry times and
``created`` come from it). There are no settings; ``healthcrawl wacz`` is a thin wrapper over
:func:`package_wacz` that exits 1 naming every record left out of the index.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.cdxj import cdxj_lines_for_file
from archive.framing import UNSUPPORTED
from archive.naming import apply_umask
from archive.reader import SHARED_MEMBER_NOTE, DamagedRecord, file_format, is_archive_name
from archive.recompress import recompress_per_record
from crawler.dedup.links import is_relink
from crawler.pages.provenance import package_version

logger = logging.getLogger("crawler.store.wacz")

WACZ_VERSION = "1.1.1"
INDEX_PATH = "indexes/index.cdx"
PAGES_PATH = "pages/pages.jsonl"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class _IndexEntry:
    url: str
    timestamp: str
    mime: str | None
    status: str | None


@dataclass
class WaczResult:
    """What :func:`package_wacz` wrote and what it had to leave out of the index."""

    path: Path
    files: int
    index_lines: int
    pages: int
    left_out: list[DamagedRecord] = field(default_factory=list)


@dataclass(frozen=True)
class _Packaged:
    source: Path          # the file found in a WARC folder
    stored: Path          # the file put into the ZIP (source, or its recompressed copy)
    name: str             # its name in the package (archive/NAME and the index's filename)
    lines: list[str]      # its CDXJ lines


def write_wacz(warc_dir: Path | Sequence[Path], out: Path, *, title: str, description: str | None = None,
               items: Path | Sequence[Path] | None = None, created: datetime | None = None) -> Path:
    """:func:`package_wacz`, returning only the path of the package."""
    return package_wacz(warc_dir, out, title=title, description=description, items=items, created=created).path


def package_wacz(warc_dirs: Path | Sequence[Path], out: Path, *, title: str, description: str | None = None,
                 items: Path | Sequence[Path] | None = None, created: datetime | None = None) -> WaczResult:
    """Write the archives of ``warc_dirs`` as the WACZ file ``out``.

    ``items`` defaults to the ``items.jsonl`` beside each folder (``warc_dir.parent``) that
    exists. Raises FileNotFoundError for a missing folder or items file, ValueError for an
    ``out`` not ending in ``.wacz``, folders without closed WARCs, two different files of one
    name or a malformed items line. Records left out of the index are in ``left_out``.
    """
    dirs = [Path(warc_dirs)] if isinstance(warc_dirs, (str, Path)) else [Path(d) for d in warc_dirs]
    out = Path(out)
    for folder in dirs:
        if not folder.is_dir():
            raise FileNotFoundError(f"WARC folder not found: {folder}")
    if out.suffix != ".wacz":
        raise ValueError(f"{out}: a WACZ file name must end in .wacz")
    found = [p for folder in dirs for p in sorted(folder.iterdir())
             if p.is_file() and is_archive_name(p.name) and not p.name.lower().endswith(".wacz")]
    if not found:
        raise ValueError(f"{', '.join(map(str, dirs))}: no closed WARC files (*.warc.gz, *.warc) to package")
    item_files = _item_files(dirs, items)
    when = (created or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    left_out: list[DamagedRecord] = []

    with tempfile.TemporaryDirectory(prefix="wacz-", dir=out.parent if out.parent.is_dir() else None) as scratch:
        packaged = _packaged_files(found, Path(scratch), left_out)
        index_lines, by_offset, by_url = _index(packaged)
        entries = list(by_offset.values())
        if item_files:
            pages = [page for path in item_files for page in _pages_from_items(path, by_offset, by_url)]
        else:
            pages = list(_pages_from_index(entries))
        index_bytes = "".join(line + "\n" for line, _ in index_lines).encode("utf-8")
        pages_bytes = _pages_jsonl(pages)

        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=out.name + ".", suffix=".tmp", dir=out.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
                resources = [_add_file(zf, f"archive/{p.name}", p.stored, when) for p in packaged]
                resources.append(_add_bytes(zf, INDEX_PATH, index_bytes, when))
                resources.append(_add_bytes(zf, PAGES_PATH, pages_bytes, when))
                package = _datapackage(resources, title=title, description=description, created=when)
                _add_bytes(zf, "datapackage.json", package, when)
                digest = {"path": "datapackage.json", "hash": _sha256(package)}
                _add_bytes(zf, "datapackage-digest.json", _json_bytes(digest), when)
            apply_umask(tmp)
            os.replace(tmp, out)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    logger.info("wacz: %s: %d archive files, %d index lines, %d pages, %d records left out", out, len(packaged),
                len(index_lines), len(pages), len(left_out))
    return WaczResult(out, len(packaged), len(index_lines), len(pages), left_out)


def _item_files(dirs: list[Path], items: Path | Sequence[Path] | None) -> list[Path]:
    if items is not None:
        given = [Path(items)] if isinstance(items, (str, Path)) else [Path(i) for i in items]
        for path in given:
            if not path.is_file():
                raise FileNotFoundError(f"items file not found: {path}")
        return given
    beside: list[Path] = []
    for folder in dirs:
        candidate = folder.parent / "items.jsonl"
        if candidate.is_file() and all(not candidate.samefile(b) for b in beside):
            beside.append(candidate)
    return beside


def _package_name(path: Path, fmt: str) -> str:
    """``path``'s name with the extension its content calls for, in lower case."""
    name = path.name
    lower = name.lower()
    for suffix in (".warc.gz", ".arc.gz", ".warc", ".arc"):
        if lower.endswith(suffix):
            stem, kind = name[: -len(suffix)], suffix.split(".")[1]
            return f"{stem}.{kind}.gz" if fmt == "gzip" else f"{stem}.{kind}"
    return name


def _packaged_files(found: list[Path], scratch: Path, left_out: list[DamagedRecord]) -> list[_Packaged]:
    """The files to package, each indexed once (twice when it has to be recompressed)."""
    packaged: dict[str, _Packaged] = {}
    for path in found:
        fmt = file_format(path)
        if fmt in UNSUPPORTED or fmt in ("unknown", "wacz"):
            reason = f"unsupported: {UNSUPPORTED[fmt]}" if fmt in UNSUPPORTED else "not a WARC or ARC file"
            left_out.append(DamagedRecord(path.name, 0, f"{reason}; file not packaged", path))
            continue
        name = _package_name(path, fmt)
        if name in packaged:
            other = packaged[name].source
            if _same_bytes(other, path):
                continue
            raise ValueError(f"two different archive files would be packaged as archive/{name}: {other} and {path}")
        stored = path
        damages: list[DamagedRecord] = []
        lines = list(cdxj_lines_for_file(path, on_damage=damages.append, filename=name))
        if fmt == "gzip" and any(not d.lost and d.reason.startswith(SHARED_MEMBER_NOTE) for d in damages):
            stored = scratch / name
            count = recompress_per_record(path, stored)
            logger.warning("wacz: %s holds several records per gzip member; packaged as %s recompressed one "
                           "member per record (%d records)", path, name, count)
            damages = []
            lines = list(cdxj_lines_for_file(stored, on_damage=damages.append, filename=name))
        left_out.extend(d for d in damages if d.lost)
        packaged[name] = _Packaged(path, stored, name, lines)
    return [packaged[name] for name in sorted(packaged)]


def _same_bytes(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(_CHUNK), fb.read(_CHUNK)
            if x != y:
                return False
            if not x:
                return True


# ---------------------------------------------------------------------- index and pages
def _index(packaged: list[_Packaged]) -> tuple[
        list[tuple[str, dict[str, Any]]], dict[tuple[str, int], _IndexEntry], dict[tuple[str, str], _IndexEntry]]:
    """Sorted, de-duplicated CDXJ lines of the packaged files (without legacy metadata://
    records), and their entries by (source file name, offset) and (source name, URL)."""
    seen: dict[str, dict[str, Any]] = {}
    by_offset: dict[tuple[str, int], _IndexEntry] = {}
    by_url: dict[tuple[str, str], _IndexEntry] = {}

    for item in packaged:
        recompressed = item.stored != item.source
        for line in item.lines:
            data = json.loads(line.split(" ", 2)[2])
            if _is_item_metadata(data):
                continue
            seen[line] = data
            entry = _entry(line, data)
            if not recompressed:
                by_offset[(item.source.name, int(data["offset"]))] = entry
                if item.name != item.source.name:
                    by_offset.setdefault((item.name, int(data["offset"])), entry)
            by_url.setdefault((item.source.name, data["url"]), entry)
    return sorted(seen.items()), by_offset, by_url


def _is_item_metadata(data: dict[str, Any]) -> bool:
    """A legacy healthcrawl metadata record (``metadata://`` target: the page's SURT key)."""
    return "status" not in data and data.get("mime") == "application/json" and \
        str(data.get("url", "")).startswith("metadata://")


def _entry(line: str, data: dict[str, Any]) -> _IndexEntry:
    return _IndexEntry(url=data["url"], timestamp=line.split(" ", 2)[1], mime=data.get("mime"),
                       status=data.get("status"))


def _pages_from_items(items: Path, entries: dict[tuple[str, int], _IndexEntry],
                      by_url: dict[tuple[str, str], _IndexEntry]) -> Iterator[dict[str, Any]]:
    missing = 0
    with open(items, encoding="utf-8") as fh:
        for number, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{items}:{number}: not a JSON line: {exc}") from exc
            if not isinstance(item, dict):
                raise ValueError(f"{items}:{number}: expected a JSON object, got {type(item).__name__}")
            if is_relink(item):   # a dedup link correction, not a page (crawler.dedup.links)
                continue
            filename, offset = item.get("warc_filename"), item.get("warc_offset")
            if not isinstance(filename, str) or not isinstance(offset, int):
                raise ValueError(f"{items}:{number}: field warc_filename/warc_offset missing or of the wrong type")
            entry = entries.get((filename, offset)) or by_url.get((filename, str(item.get("url") or "")))
            if entry is None:
                missing += 1
                continue
            page: dict[str, Any] = {"id": str(item.get("id") or f"{filename}:{offset}"), "url": entry.url,
                                    "ts": _rfc3339(entry.timestamp)}
            if item.get("title"):
                page["title"] = str(item["title"])
            if item.get("text"):
                page["text"] = str(item["text"])
            yield page
    if missing:
        logger.warning("wacz: %s: %d items point at captures that are not in the package; left out of %s",
                       items, missing, PAGES_PATH)


def _pages_from_index(entries: Iterable[_IndexEntry]) -> Iterator[dict[str, Any]]:
    for n, entry in enumerate(sorted(entries, key=lambda e: (e.timestamp, e.url))):
        if entry.status == "200" and entry.mime == "text/html":
            yield {"id": f"page-{n}", "url": entry.url, "ts": _rfc3339(entry.timestamp)}


def _pages_jsonl(pages: list[dict[str, Any]]) -> bytes:
    header = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
    return "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in [header, *pages]).encode("utf-8")


def _rfc3339(timestamp14: str) -> str:
    t = timestamp14.ljust(14, "0")
    return f"{t[0:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}Z"


# ---------------------------------------------------------------------- zip and datapackage
def _zipinfo(name: str, when: datetime, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
    info.compress_type = compress
    info.external_attr = 0o644 << 16
    return info


def _add_file(zf: zipfile.ZipFile, name: str, path: Path, when: datetime) -> dict[str, Any]:
    """Copy ``path`` into the ZIP stored (no compression), hashing it on the way."""
    hasher, size = hashlib.sha256(), 0
    with open(path, "rb") as src, zf.open(_zipinfo(name, when, zipfile.ZIP_STORED), "w", force_zip64=True) as dst:
        while chunk := src.read(_CHUNK):
            hasher.update(chunk)
            dst.write(chunk)
            size += len(chunk)
    return _resource(name, size, "sha256:" + hasher.hexdigest())


def _add_bytes(zf: zipfile.ZipFile, name: str, data: bytes, when: datetime) -> dict[str, Any]:
    zf.writestr(_zipinfo(name, when, zipfile.ZIP_DEFLATED), data)
    return _resource(name, len(data), _sha256(data))


def _resource(path: str, size: int, digest: str) -> dict[str, Any]:
    return {"name": path.rsplit("/", 1)[-1].lower(), "path": path, "hash": digest, "bytes": size}


def _datapackage(resources: list[dict[str, Any]], *, title: str, description: str | None,
                 created: datetime) -> bytes:
    package: dict[str, Any] = {"profile": "data-package", "wacz_version": WACZ_VERSION, "title": title}
    if description:
        package["description"] = description
    package["created"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    package["software"] = f"healthcrawl {package_version('healthcrawl')}"
    package["resources"] = resources
    return _json_bytes(package)


def _json_bytes(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()

"""Package a crawl's WARC files as one WACZ 1.1.1 file for ReplayWeb.page or pywb.

    from crawler.store.wacz import write_wacz
    write_wacz(Path("out/warc"), Path("healthcrawl.wacz"), title="healthcrawl demo crawl")

Layout of the ZIP (WACZ 1.1.1, https://specs.webrecorder.net/wacz/1.1.1/):

- ``archive/<name>.warc.gz``: every closed WARC directly in ``warc_dir`` (``*.open`` files and
  sub-folders such as ``quarantine/`` are left out), copied byte for byte and **stored**, not
  deflated, so a reader can seek to a record with an HTTP range request.
- ``indexes/index.cdx``: a sorted CDXJ index of those WARCs, computed afresh with
  :func:`archive.cdxj.cdxj_lines_for_file` (the ``index.cdxj`` beside the WARCs may be stale).
  The name ends in ``.cdx`` because that is the one name both readers load as a plain index:
  ReplayWeb.page (wabac.js) reads ``.cdx``/``.cdxj``/``.idx`` and skips a bare ``.cdx.gz``,
  and ``wb-manager add --unpack-wacz`` reads ``.cdx``/``.cdx.gz`` but not ``.cdxj``.
  healthcrawl's JSON ``metadata`` records (mime ``application/json``, no HTTP status) are left
  out of this index: they carry the article's own URL and timestamp, so a replay tool would
  otherwise show the JSON instead of the page. They stay in the WARCs.
- ``pages/pages.jsonl``: a ``json-pages-1.0`` header, then one page per article with ``id``,
  ``url``, ``ts`` (RFC 3339) and ``title``. Articles come from ``items.jsonl`` beside the WARC
  folder (``warc_dir.parent / "items.jsonl"``, or ``items=``): each item's
  ``warc_filename``/``warc_offset`` must name a record in the package, which gives the archived
  URL and timestamp. Items whose capture is not in the package are left out and logged. With
  no items file, every archived ``200 text/html`` response is a page, without a title.
- ``datapackage.json``: ``profile``, ``wacz_version``, ``title``, ``created``, ``software`` and
  one resource per file with ``path``, ``bytes`` and ``hash`` (``sha256:...``).
- ``datapackage-digest.json``: the sha256 of ``datapackage.json``.

The output is written to a temporary file and renamed into place. Pass ``created`` to get the
same bytes from the same input (the ZIP entry times and ``created`` come from it).
There are no settings; ``healthcrawl wacz`` is meant to be a thin wrapper over :func:`write_wacz`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.cdxj import cdxj_lines_for_file
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


def write_wacz(warc_dir: Path, out: Path, *, title: str, description: str | None = None,
               items: Path | None = None, created: datetime | None = None) -> Path:
    """Write the WARCs of ``warc_dir`` as the WACZ file ``out`` and return ``out``.

    ``items`` defaults to ``warc_dir.parent / "items.jsonl"`` when that file exists.
    Raises FileNotFoundError for a missing folder or items file, ValueError for an ``out``
    not ending in ``.wacz``, a folder without closed WARCs or a malformed items line.
    """
    warc_dir, out = Path(warc_dir), Path(out)
    if not warc_dir.is_dir():
        raise FileNotFoundError(f"WARC folder not found: {warc_dir}")
    if out.suffix != ".wacz":
        raise ValueError(f"{out}: a WACZ file name must end in .wacz")
    warcs = sorted(p for p in warc_dir.iterdir() if p.is_file() and p.name.endswith((".warc.gz", ".warc")))
    if not warcs:
        raise ValueError(f"{warc_dir}: no closed WARC files (*.warc.gz, *.warc) to package")
    if items is None and (warc_dir.parent / "items.jsonl").is_file():
        items = warc_dir.parent / "items.jsonl"
    elif items is not None and not Path(items).is_file():
        raise FileNotFoundError(f"items file not found: {items}")
    when = (created or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)

    index_lines = _index_lines(warcs)
    entries = {(d["filename"], int(d["offset"])): _entry(line, d) for line, d in index_lines}
    if items is not None:
        pages = list(_pages_from_items(Path(items), entries))
    else:
        pages = list(_pages_from_index(entries.values()))
    index_bytes = "".join(line + "\n" for line, _ in index_lines).encode("utf-8")
    pages_bytes = _pages_jsonl(pages)

    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=out.name + ".", suffix=".tmp", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
            resources = [_add_file(zf, f"archive/{p.name}", p, when) for p in warcs]
            resources.append(_add_bytes(zf, INDEX_PATH, index_bytes, when))
            resources.append(_add_bytes(zf, PAGES_PATH, pages_bytes, when))
            package = _datapackage(resources, title=title, description=description, created=when)
            _add_bytes(zf, "datapackage.json", package, when)
            digest = {"path": "datapackage.json", "hash": _sha256(package)}
            _add_bytes(zf, "datapackage-digest.json", _json_bytes(digest), when)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    logger.info("wacz: %s: %d WARC files, %d index lines, %d pages", out, len(warcs), len(index_lines), len(pages))
    return out


# ---------------------------------------------------------------------- index and pages
def _index_lines(warcs: Iterable[Path]) -> list[tuple[str, dict[str, Any]]]:
    """Sorted, de-duplicated CDXJ lines of ``warcs`` without our JSON metadata records."""
    seen: dict[str, dict[str, Any]] = {}
    for path in warcs:
        for line in cdxj_lines_for_file(path):
            data = json.loads(line.split(" ", 2)[2])
            if _is_item_metadata(data):
                continue
            seen[line] = data
    return sorted(seen.items())


def _is_item_metadata(data: dict[str, Any]) -> bool:
    return "status" not in data and data.get("mime") == "application/json"


def _entry(line: str, data: dict[str, Any]) -> _IndexEntry:
    return _IndexEntry(url=data["url"], timestamp=line.split(" ", 2)[1], mime=data.get("mime"),
                       status=data.get("status"))


def _pages_from_items(items: Path, entries: dict[tuple[str, int], _IndexEntry]) -> Iterator[dict[str, Any]]:
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
            entry = entries.get((filename, offset))
            if entry is None:
                missing += 1
                continue
            page: dict[str, Any] = {"id": str(item.get("id") or f"{filename}:{offset}"), "url": entry.url,
                                    "ts": _rfc3339(entry.timestamp)}
            if item.get("title"):
                page["title"] = str(item["title"])
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

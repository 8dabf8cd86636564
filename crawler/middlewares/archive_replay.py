"""Answer requests from a WARC collection instead of the network (offline re-crawl).

With `ARCHIVE_REPLAY_FROM` set to one or more folders holding `*.warc.gz` and their
`index.cdxj` (comma-separated), every request — robots.txt, listings, sitemaps, feeds,
articles — is answered with the latest archived capture of its URL (status 200/3xx/4xx as
archived; `revisit` records resolved to the capture they name — `WARC-Refers-To-Target-URI` +
`-Date` — else to a response with their payload digest). A URL the archive
does not hold is dropped with `IgnoreRequest` and counted (`replay/missing`): nothing touches the
network. So `scrapy crawl news -a source=X -s ARCHIVE_REPLAY_FROM=out/warc` re-runs a source
offline through the same spiders and pipeline. Responses carry the flag `archived`, so the
capture middleware does not archive them again; their item's WARC pointer is the archived
record. Bodies are decompressed with the `DOWNLOAD_MAXSIZE` cap. Order 52: before anything else.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from warcio.timeutils import iso_date_to_timestamp

from archive.cdxj import merge_into_index
from archive.reader import ArchivedRecord, DamagedRecordError, iter_warc_paths, read_record_at
from archive.writer import CaptureRef
from crawler.pages.process import fetched_at
from crawler.urls import canonicalize_url

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Entry:
    path: Path
    offset: int
    status: int
    digest: str
    timestamp: str
    revisit: bool


class ArchiveIndex:
    """URL → latest capture, and digest → a response holding that payload, from CDXJ files."""

    def __init__(self, folders: list[Path]) -> None:
        self.by_url: dict[str, _Entry] = {}
        self.by_digest: dict[str, _Entry] = {}
        self.by_capture: dict[tuple[str, str], _Entry] = {}  # (canonical URL, 14-digit time) of responses
        for folder in folders:
            index = folder / "index.cdxj"
            if not index.exists():
                merge_into_index(index, iter_warc_paths([folder]))
            for line in index.read_text(encoding="utf-8").splitlines():
                self._add(folder, line)

    def _add(self, folder: Path, line: str) -> None:
        try:
            _key, timestamp, raw = line.split(" ", 2)
            data = json.loads(raw)
        except ValueError:
            return
        if "status" not in data or data.get("mime") == "application/json":
            return
        entry = _Entry(folder / data["filename"], int(data["offset"]), int(data["status"]), data.get("digest", ""),
                       timestamp, data.get("mime") == "warc/revisit")
        if entry.status == 304:
            return
        url = canonicalize_url(data["url"])
        old = self.by_url.get(url)
        if old is None or old.timestamp <= entry.timestamp:
            self.by_url[url] = entry
        if not entry.revisit and entry.digest:
            self.by_digest.setdefault(entry.digest, entry)
        if not entry.revisit:
            self.by_capture.setdefault((url, timestamp), entry)

    def original(self, revisit: ArchivedRecord, entry: _Entry) -> _Entry | None:
        """The response a revisit refers to: the capture its Refers-To-Target-URI and -Date
        name, else one holding its payload digest."""
        target, date = revisit.warc_header("WARC-Refers-To-Target-URI"), revisit.warc_header("WARC-Refers-To-Date")
        if target and date:
            try:
                found = self.by_capture.get((canonicalize_url(target), iso_date_to_timestamp(date)))
            except (ValueError, TypeError):
                found = None
            if found is not None:
                return found
        return self.by_digest.get(entry.digest)


class ArchiveReplayMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        source = crawler.settings.get("ARCHIVE_REPLAY_FROM")
        if not source:
            raise NotConfigured  # off by default: no message, so nothing is logged
        folders = [Path(p.strip()) for p in str(source).split(",") if p.strip()]
        missing = [str(f) for f in folders if not f.is_dir()]
        if missing:
            raise ValueError(f"ARCHIVE_REPLAY_FROM: no such folder: {', '.join(missing)}")
        self.crawler = crawler
        self.max_body = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        self.index = ArchiveIndex(folders)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ArchiveReplayMiddleware":
        return cls(crawler)

    def process_request(self, request: Request) -> Response:
        stats = self.crawler.stats
        entry = self.index.by_url.get(canonicalize_url(request.url))
        if entry is None:
            stats.inc_value("replay/missing")
            raise IgnoreRequest(f"not in the archive: {request.url}")
        try:
            record = read_record_at(entry.path, entry.offset, max_body=self.max_body)
            payload_record = record
            if entry.revisit:
                original = self.index.original(record, entry)
                if original is None:
                    stats.inc_value("replay/missing")
                    raise IgnoreRequest(f"revisit of {request.url} refers to a payload not in the archive")
                payload_record = read_record_at(original.path, original.offset, max_body=self.max_body)
        except DamagedRecordError as exc:
            stats.inc_value("replay/damaged")
            logger.error("%s", exc)
            raise IgnoreRequest(str(exc)) from exc
        headers = Headers([(k, v) for k, v in record.http_headers
                           if k.lower() not in ("content-encoding", "transfer-encoding", "content-length")])
        cls = responsetypes.from_args(headers=headers, url=request.url, body=payload_record.payload[:1024])
        stats.inc_value("replay/responses")
        request.meta["hc_capture"] = CaptureRef(record.filename, record.offset, record.length, record.record_id,
                                                record.payload_digest or "", record.date)
        request.meta["hc_fetched_at"] = fetched_at(record.date)
        return cls(url=request.url, status=record.http_status or 200, headers=headers,
                   body=payload_record.payload, request=request, flags=["archived"])

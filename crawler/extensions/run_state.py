"""Per-crawl state kept in the output folder (`HEALTHCRAWL_OUT`), and the extension that opens
and closes it.

`RunState.of(crawler)` — the `RunStateExtension`'s state, found through
`crawler.get_extension` — holds the objects every component shares: the WARC writer
(`ARCHIVE_*`), the URL seen-store and the near-duplicate index (`DEDUP_*`), the capture index,
and the run's `StageSequence` (`crawler.pages.sequence`), which the item pipelines adapt. Nothing is
global: two crawlers with two output folders share nothing. The seen-store and the index are
built from their class paths (`DEDUP_SEEN_STORE_CLASS`, `DEDUP_INDEX_CLASS`); distributed mode's
add-on points them at Redis, where every worker shares them; the WARC writer stays per worker. `close()` is called by the
`RunStateExtension` when the spider closes.

Faults (docs/faults.md): at start-up a damaged SQLite file of the folder (`seen.sqlite`,
`dedup.sqlite`, `captures.sqlite`) is moved aside as `NAME.damaged-<UTC>` and started afresh
(named in one warning; `set_aside` lists them so the store stage rebuilds from `items.jsonl`);
`.open` WARCs left by a crash are recovered, and closed WARCs missing from `index.cdxj` (or
all of them, when the index is lost or torn) are indexed and their payload digests published.
Indexing runs on one background thread (`healthcrawl-cdxj`), never on the reactor thread; a
run stopped before it finished leaves the file to the next run. `storage_failed()` is how a
component reports a write that failed (disk full, I/O error): one line naming the path, close
reason `store-error`, exit 1.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.utils.misc import load_object

from crawler import __version__
from crawler.urls import canonicalize_url

if TYPE_CHECKING:
    from archive.writer import WarcWriter
    from crawler.store.capture_index import CaptureIndex
    from crawler.dedup import Deduplicator
    from crawler.pages.sequence import StageSequence

logger = logging.getLogger(__name__)

SQLITE_FILES = ("seen.sqlite", "dedup.sqlite", "captures.sqlite")   # the folder's SQLite state


class StorageFailed(Exception):
    """A store of the output folder could not be opened or written; it was reported once by
    `RunState.storage_failed` (the message is that line) and the run is stopping."""


def sqlite_failure(exc: BaseException) -> bool:
    """An SQLite error, or a ValueError raised for one (the dedup stores wrap them)."""
    return isinstance(exc, sqlite3.Error) or isinstance(exc, ValueError) and isinstance(exc.__cause__, sqlite3.Error)


def check_sqlite(path: Path) -> str | None:
    """None when the SQLite file `path` is missing or sound; else why it is not (SQLite's
    `quick_check`, or the error opening it raised)."""
    if not path.exists():
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            rows = db.execute("PRAGMA quick_check(1)").fetchall()
        finally:
            db.close()
    except sqlite3.OperationalError as exc:
        if "not a database" in str(exc) or "malformed" in str(exc):
            return str(exc)
        raise
    except sqlite3.DatabaseError as exc:
        return str(exc)
    if rows and rows[0][0] != "ok":
        return str(rows[0][0])
    return None


def set_aside(path: Path) -> Path:
    """Move a damaged SQLite file (and its -wal/-shm companions) to `NAME.damaged-<UTC>`;
    returns the new path of the main file."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
        n += 1
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.rename(target.with_name(target.name + suffix))
    path.rename(target)
    return target


class RunState:
    """Shared state of one crawl, rooted in one output folder."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.settings = settings
        self.out_dir = Path(settings.get("HEALTHCRAWL_OUT"))
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.warc_dir = self.out_dir / "warc"
        self._writer: WarcWriter | None = None
        self._seen: Any = None
        self._dedup: Deduplicator | None = None
        self._captures: CaptureIndex | None = None
        self.recovered: list[Any] = []
        self._stages: StageSequence | None = None
        self._closed = False
        self._stopping = False
        self._indexer: ThreadPoolExecutor | None = None
        self._index_jobs: list[Future[None]] = []
        self.set_aside: dict[str, Path] = {}   # damaged SQLite file name -> where it was moved
        for name in SQLITE_FILES:
            path = self.out_dir / name
            problem = check_sqlite(path)
            if problem is not None:
                moved = set_aside(path)
                self.set_aside[name] = moved
                logger.warning("%s is damaged (%s): moved aside to %s and started afresh", path, problem, moved)

    @classmethod
    def of(cls, crawler: Crawler) -> "RunState":
        """The crawl's state: held by its `RunStateExtension` (which must be in `EXTENSIONS`)."""
        extension = crawler.get_extension(RunStateExtension)
        if extension is None:
            raise RuntimeError("crawler.extensions.run_state.RunStateExtension is not enabled (EXTENSIONS)")
        return extension.state

    @property
    def stages(self) -> "StageSequence":
        """The page sequence (extract → tag → relevance → dedup link → store) of this crawl."""
        if self._stages is None:
            from crawler.pages.sequence import StageSequence

            self._stages = StageSequence(self.settings, self.crawler.stats)
        return self._stages

    # -- archive ---------------------------------------------------------------------------
    @property
    def writer(self) -> "WarcWriter":
        if self._writer is None:
            from archive.recovery import recover_open_files
            from archive.writer import WarcWriter

            self.warc_dir.mkdir(parents=True, exist_ok=True)
            self.recovered = recover_open_files(self.warc_dir)
            for report in self.recovered:
                logger.warning("recovered WARC left by a crash: %s", report)
            _ = self.captures   # its tables exist before the indexing thread publishes into them
            self._submit_index(None)   # closed files missing from index.cdxj (or all: lost/torn)
            self._writer = WarcWriter(
                self.warc_dir,
                prefix=self.settings.get("ARCHIVE_PREFIX"),
                max_size=self.settings.getint("ARCHIVE_MAX_SIZE"),
                software=f"healthcrawl/{__version__} (Scrapy capture middleware)",
                warcinfo={"robots": "obey" if self.settings.getbool("ROBOTSTXT_OBEY") else "ignore",
                          "http-header-user-agent": self.settings.get("USER_AGENT")},
                host_tag=self.settings.get("ARCHIVE_HOST_TAG"),
                on_file_closed=self._file_closed,
                gzip_level=self.settings.getint("ARCHIVE_GZIP_LEVEL"),
            )
        return self._writer

    @property
    def index_path(self) -> Path:
        return self.warc_dir / "index.cdxj"

    def _file_closed(self, path: Path) -> None:
        """A WARC file was closed: publish its payload digests (SQL only) and have the indexing
        thread add it to the CDXJ index."""
        try:
            self.captures.file_closed(path)
        except sqlite3.Error as exc:   # unpublished and unindexed: the next run does both
            self.storage_failed(self.captures.path, exc)
            return
        self._submit_index([path])

    def _submit_index(self, paths: list[Path] | None) -> None:
        """Queue `paths` (None: whatever closed file index.cdxj misses) for the indexing thread."""
        if self._indexer is None:
            self._indexer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthcrawl-cdxj")
        self._index_jobs = [job for job in self._index_jobs if not job.done()]
        self._index_jobs.append(self._indexer.submit(self._index, paths))

    def _index(self, paths: list[Path] | None) -> None:
        """On the indexing thread: merge `paths` into index.cdxj, or reconcile the index with
        the folder (publishing the digests of files it missed). A failure is one line; the
        next run indexes what is missing."""
        from archive.cdxj import merge_into_index, reconcile_index
        from crawler.store.capture_index import publish_file

        if self._stopping:
            return
        try:
            if paths is not None:
                merge_into_index(self.index_path, paths)
                return
            missing, rebuilt = reconcile_index(self.warc_dir, self.index_path)
            for path in missing:
                if self._stopping:
                    return
                publish_file(self.out_dir, path)
            if missing and not rebuilt:
                logger.warning("%s: indexed %d closed WARC files it missed (%s)", self.index_path, len(missing),
                               ", ".join(p.name for p in missing[:5]) + (" …" if len(missing) > 5 else ""))
        except (OSError, sqlite3.Error) as exc:
            where = getattr(exc, "filename", None) or self.index_path
            logger.error("updating %s failed: %s; the next run indexes what is missing", where,
                         getattr(exc, "strerror", None) or exc)
        except Exception as exc:  # noqa: BLE001 - one line: the crawl goes on, the next run retries
            logger.error("updating %s failed: %s: %s; the next run indexes what is missing", self.index_path,
                         type(exc).__name__, exc)

    def wait_index(self) -> None:
        """Wait for the indexing thread to finish what was queued."""
        for job in list(self._index_jobs):
            job.result()
        self._index_jobs.clear()

    def storage_failed(self, path: Any, exc: BaseException) -> str:
        """A write into the output folder failed (disk full, I/O error): log one line naming
        `path` and the error (only for the first failure of the run), set `store/error` and
        close the spider with reason `store-error`. Returns the line, for a DropItem or
        IgnoreRequest message."""
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        text = reason if str(path) in reason else f"writing {path} failed: {reason}"
        stats = self.crawler.stats
        if stats.get_value("store/error") is None:
            logger.error("healthcrawl: %s; stopping the run (exit 1)", text)
            stats.set_value("store/error", text)
            engine = self.crawler.engine
            if engine is not None and engine.running and not self._closed:
                import asyncio

                asyncio.ensure_future(engine.close_spider_async(reason="store-error"))
        stats.inc_value("store/errors")
        return text

    @property
    def captures(self) -> "CaptureIndex":
        if self._captures is None:
            from crawler.store.capture_index import CaptureIndex

            self._captures = CaptureIndex(self.out_dir)
        return self._captures

    # -- dedup -----------------------------------------------------------------------------
    @property
    def seen_store(self) -> Any:
        """The URL seen-store (`DEDUP_SEEN_STORE_CLASS`: `seen.sqlite` in the output folder, or
        the crawl's Redis hash), shared with the deduplicator; None when `DEDUP_SEEN_STORE` is off."""
        if self._seen is None and self.settings.getbool("DEDUP_SEEN_STORE"):
            try:
                self._seen = load_object(self.settings["DEDUP_SEEN_STORE_CLASS"]).from_crawler(self.crawler)
            except (sqlite3.Error, ValueError, OSError) as exc:   # disk full at open: one line, exit 1
                if isinstance(exc, ValueError) and not sqlite_failure(exc):
                    raise
                raise StorageFailed(self.storage_failed(self.out_dir / "seen.sqlite", exc)) from None
        return self._seen

    def seen_before(self, url: str) -> bool:
        """Is `url` (canonicalised) in the seen-store? A store that cannot be read is reported
        (`storage_failed`) and the request is ignored."""
        from scrapy.exceptions import IgnoreRequest

        try:
            store = self.seen_store
            return bool(store is not None and store.has(canonicalize_url(url)))
        except StorageFailed as exc:
            raise IgnoreRequest(str(exc)) from None
        except sqlite3.Error as exc:
            raise IgnoreRequest(self.storage_failed(self.out_dir / "seen.sqlite", exc)) from None

    @property
    def dedup(self) -> "Deduplicator":
        """The deduplicator over the near-duplicate index (`DEDUP_INDEX_CLASS`: `dedup.sqlite`
        in the output folder, or the crawl's Redis keys) and the seen-store."""
        if self._dedup is None:
            from crawler.dedup import DedupSettings, Deduplicator

            try:
                index = load_object(self.settings["DEDUP_INDEX_CLASS"]).from_crawler(self.crawler)
            except (sqlite3.Error, ValueError, OSError) as exc:   # disk full at open: one line, exit 1
                if isinstance(exc, ValueError) and not sqlite_failure(exc):
                    raise
                raise StorageFailed(self.storage_failed(self.out_dir / "dedup.sqlite", exc)) from None
            self._dedup = Deduplicator(self.out_dir, DedupSettings.from_scrapy(self.settings),
                                       seen_store=self.seen_store, index=index,
                                       items_file=self.settings.get("STORE_ITEMS_FILE"))  # relink records go there
        return self._dedup

    def close(self, finished: bool = True, *, wait_index: bool = True) -> None:
        """Close the WARC writer (renaming `.open` files, indexing them) and the stores, once.
        Conditional-request validators are kept only when the run `finished` normally.
        `wait_index=False` (a forced stop): indexing not yet done is left to the next run."""
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            try:
                self._writer.close()
            except OSError as exc:  # its .open file is recovered by the next run
                self.storage_failed(self._writer.current_path or self.warc_dir, exc)
        if self._indexer is not None:
            if wait_index:
                for job in self._index_jobs:
                    job.result()
            else:
                self._stopping = True
            self._indexer.shutdown(wait=wait_index, cancel_futures=not wait_index)
        if self._captures is not None:
            try:
                if finished:
                    self._captures.commit_validators()
                self._captures.close()
            except sqlite3.Error as exc:
                self.storage_failed(self._captures.path, exc)
        # A store that cannot be closed (Redis gone, disk full) is named in one line; what it did
        # not record is re-done by the next run (or, distributed, from its lease).
        for name, store in (("near-duplicate index", self._dedup), ("seen-store", self._seen)):
            if store is None:
                continue
            try:
                store.close()
            except Exception as exc:  # noqa: BLE001 - one line, the other stores still close
                # after a storage failure (already named in one line) this is its echo
                level = logging.DEBUG if self.crawler.stats.get_value("store/error") else logging.ERROR
                logger.log(level, "closing the %s failed: %s: %s", name, type(exc).__name__, exc)


class RunStateExtension:
    """Opens the output folder's state when the spider opens and closes it (WARC files renamed
    from `.open`, CDXJ index updated, stores flushed) when it closes. Holds the `RunState`."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.state = RunState(crawler)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "RunStateExtension":
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        state = self.state
        if self.crawler.settings.getbool("ARCHIVE_ENABLED"):
            _ = state.writer  # recover leftovers from a crash before the first capture

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.state.close(finished=reason == "finished")

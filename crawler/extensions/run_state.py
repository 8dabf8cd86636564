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
"""

from __future__ import annotations

import logging
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
            from archive.cdxj import merge_into_index
            from archive.recovery import recover_open_files
            from archive.writer import WarcWriter

            self.warc_dir.mkdir(parents=True, exist_ok=True)
            self.recovered = recover_open_files(self.warc_dir)
            for report in self.recovered:
                logger.warning("recovered WARC left by a crash: %s", report)
            if self.recovered:
                merge_into_index(self.index_path, [r.final_path for r in self.recovered
                                                   if r.final_path and r.final_path.name.endswith(".warc.gz")])
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
        """A WARC file was closed: add it to the CDXJ index and publish its payload digests."""
        from archive.cdxj import merge_into_index

        merge_into_index(self.index_path, [path])
        self.captures.file_closed(path)

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
            self._seen = load_object(self.settings["DEDUP_SEEN_STORE_CLASS"]).from_crawler(self.crawler)
        return self._seen

    def seen_before(self, url: str) -> bool:
        store = self.seen_store
        return bool(store is not None and store.has(canonicalize_url(url)))

    @property
    def dedup(self) -> "Deduplicator":
        """The deduplicator over the near-duplicate index (`DEDUP_INDEX_CLASS`: `dedup.sqlite`
        in the output folder, or the crawl's Redis keys) and the seen-store."""
        if self._dedup is None:
            from crawler.dedup import DedupSettings, Deduplicator

            index = load_object(self.settings["DEDUP_INDEX_CLASS"]).from_crawler(self.crawler)
            self._dedup = Deduplicator(self.out_dir, DedupSettings.from_scrapy(self.settings),
                                       seen_store=self.seen_store, index=index,
                                       items_file=self.settings.get("STORE_ITEMS_FILE"))  # relink records go there
        return self._dedup

    def close(self, finished: bool = True) -> None:
        """Close the WARC writer (renaming `.open` files, indexing them) and the stores.
        Conditional-request validators are kept only when the run `finished` normally."""
        if self._writer is not None:
            self._writer.close()
        if self._captures is not None:
            if finished:
                self._captures.commit_validators()
            self._captures.close()
        # A store that cannot be closed (Redis gone, disk full) is named in one line; what it did
        # not record is re-done by the next run (or, distributed, from its lease).
        for name, store in (("near-duplicate index", self._dedup), ("seen-store", self._seen)):
            if store is None:
                continue
            try:
                store.close()
            except Exception as exc:  # noqa: BLE001 - one line, the other stores still close
                logger.error("closing the %s failed: %s: %s", name, type(exc).__name__, exc)


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

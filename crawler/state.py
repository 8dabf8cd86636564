"""Per-crawl state kept in the output folder (`HEALTHCRAWL_OUT`).

`RunState.of(crawler)` builds, once per crawler, the objects every component shares: the WARC
writer (`ARCHIVE_*`), the URL seen-store and the near-duplicate index (`DEDUP_*`). Nothing is
global: two crawlers with two output folders share nothing. `close()` is called by the
`RunStateExtension` when the spider closes.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.crawler import Crawler

from crawler.urls import canonicalize_url

if TYPE_CHECKING:
    from archive.writer import WarcWriter
    from crawler.dedup import Deduplicator

logger = logging.getLogger(__name__)


class RunState:
    """Shared state of one crawl, rooted in one output folder."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.settings = settings
        self.out_dir = Path(settings.get("HEALTHCRAWL_OUT") or "output")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.warc_dir = self.out_dir / "warc"
        self._writer: WarcWriter | None = None
        self._seen: Any = None
        self._dedup: Deduplicator | None = None
        self.recovered: list[Any] = []

    @classmethod
    def of(cls, crawler: Crawler) -> "RunState":
        state = getattr(crawler, "healthcrawl_state", None)
        if state is None:
            state = cls(crawler)
            crawler.healthcrawl_state = state  # type: ignore[attr-defined]
        return state

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
            self._writer = WarcWriter(
                self.warc_dir,
                prefix=self.settings.get("ARCHIVE_PREFIX", "healthcrawl"),
                max_size=self.settings.getint("ARCHIVE_MAX_SIZE", 1_000_000_000),
                software="healthcrawl/0.1 (Scrapy capture middleware)",
                host_tag=self.settings.get("ARCHIVE_HOST_TAG", ""),
            )
        return self._writer

    # -- dedup -----------------------------------------------------------------------------
    @property
    def seen_store(self) -> Any:
        """The URL seen-store (`seen.sqlite`), shared with the deduplicator; None when
        `DEDUP_SEEN_STORE` is off."""
        if self._seen is None and self.settings.getbool("DEDUP_SEEN_STORE", True):
            from crawler.dedup import SEEN_FILENAME, SqliteSeenStore

            self._seen = SqliteSeenStore(self.out_dir / SEEN_FILENAME,
                                         commit_every=self.settings.getint("DEDUP_COMMIT_EVERY", 1000))
        return self._seen

    def seen_before(self, url: str) -> bool:
        store = self.seen_store
        return bool(store is not None and store.has(canonicalize_url(url)))

    @property
    def dedup(self) -> "Deduplicator":
        if self._dedup is None:
            from crawler.dedup import DedupSettings, Deduplicator

            self._dedup = Deduplicator(self.out_dir, DedupSettings.from_scrapy(self.settings),
                                       seen_store=self.seen_store)
        return self._dedup

    def close(self) -> None:
        """Close the WARC writer (renaming `.open` files) and the stores; index new WARCs."""
        if self._writer is not None:
            self._writer.close()
            from archive.cdxj import write_index

            write_index(self.warc_dir)
        if self._dedup is not None:
            self._dedup.close()
        if self._seen is not None:
            self._seen.close()

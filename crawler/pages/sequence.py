"""The page sequence — extract → tag → relevance → dedup link → store — built once from settings.

`StageSequence(settings, stats)` is the one place that knows the order of the stages, which
settings drive them and which stats keys they count. The Scrapy item pipelines
(`crawler.pipelines.*`) are thin adapters over the crawl's instance (`RunState.stages`);
`healthcrawl replay` and `healthcrawl extract` build their own from the same settings (with
their `-s NAME=VALUE` overrides), so replay reproduces a crawl run with any settings, not only
the defaults.

Settings: `EXTRACT_*` (the `Extractor`, `crawler.extract.Extractor.from_settings`),
`EXTRACT_WORKERS` (pool size: -1 one per CPU, 0 inline), `TAGS_ENABLED`, `DEDUP_ENABLED`,
`DEDUP_DROP_REPOSTS` and the other `DEDUP_*` (`crawler.dedup.DedupSettings.from_scrapy`).

Stats keys (Scrapy's stats collector in a crawl, `CountingStats` elsewhere): `extract/articles`,
`extract/errors`, `extract/rejected/<reason>`, `tags/below_relevance`, `dedup/<kind>` (`new`,
`exact`, `near`, `same-id`), `dedup/already_stored`, `store/items`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol, TypeVar


from crawler.dedup import DedupSettings
from crawler.dedup.deduplicator import DedupVerdict
from crawler.dedup.minhash import MinHasher
from crawler.extract import Extractor
from crawler.items import Article
from crawler.pages.pool import ExtractionPool, pool_size
from crawler.pages.process import CapturedPage
from crawler.pages.stages import Result, link_duplicates, process_and_tag, tag_article
from crawler.settings import project_settings

__all__ = ["CountingStats", "StageSequence", "Stats"]

T = TypeVar("T")


class Stats(Protocol):
    """The part of Scrapy's `StatsCollector` the stages use."""

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None: ...

    def set_value(self, key: str, value: Any) -> None: ...

    def get_value(self, key: str, default: Any = None) -> Any: ...


class CountingStats:
    """Scrapy's stats-collector interface over a dict, for runs without a Scrapy crawler
    (replay, `extract`): the same keys a crawl counts, so the run report reads both alike."""

    def __init__(self) -> None:
        self._stats: dict[str, Any] = {}

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self._stats[key] = self._stats.get(key, start) + count

    def set_value(self, key: str, value: Any) -> None:
        self._stats[key] = value

    def get_value(self, key: str, default: Any = None) -> Any:
        return self._stats.get(key, default)

    def get_stats(self) -> dict[str, Any]:
        return dict(self._stats)


class StageSequence:
    """extract → tag → relevance → dedup link → store for one run, from its settings."""

    @classmethod
    def from_defaults(cls, overrides: Mapping[str, Any] | None = None, stats: Stats | None = None) -> "StageSequence":
        """The sequence of a run with `crawler/settings.py`'s defaults and `overrides` on top
        (the Python API, `healthcrawl probe`); counts into `stats` (default a `CountingStats`)."""
        return cls(project_settings(dict(overrides or {})), stats if stats is not None else CountingStats())

    def __init__(self, settings: Any, stats: Stats) -> None:
        self.settings = settings
        self.stats = stats
        self.extractor = Extractor.from_settings(settings)
        self.tag = settings.getbool("TAGS_ENABLED")
        self.dedup_enabled = settings.getbool("DEDUP_ENABLED")
        self.dedup_settings = DedupSettings.from_scrapy(settings)
        self.drop_reposts = settings.getbool("DEDUP_DROP_REPOSTS")
        self.workers = pool_size(settings.getint("EXTRACT_WORKERS"))

    # -- extract (+ tag) -----------------------------------------------------------------
    def hasher(self) -> MinHasher | None:
        """The dedup stage's MinHasher, for pool workers to sign articles with (None: dedup off)."""
        if not self.dedup_enabled:
            return None
        return MinHasher(self.dedup_settings.shingle_size, self.dedup_settings.num_perm)

    def start_pool(self, workers: int | None = None) -> ExtractionPool | None:
        """The extraction pool of `workers` (default `EXTRACT_WORKERS`) processes, or None inline."""
        count = self.workers if workers is None else pool_size(workers)
        return ExtractionPool(count, self.extractor, hasher=self.hasher()) if count else None

    def extract(self, page: CapturedPage, region: Any = None) -> Result:
        """Extraction and (with `TAGS_ENABLED`) tagging in this process; never raises."""
        return process_and_tag(page, self.extractor, region, tag=self.tag)

    def extract_all(self, pairs: Iterable[tuple[CapturedPage, T]], pool: ExtractionPool | None, *,
                    region_of: Any = None) -> Iterator[tuple[CapturedPage, T, Result]]:
        """(page, context, result) in the order of `pairs`, with or without the pool — so the
        results are identical and identically ordered for any pool size."""
        region_of = region_of or (lambda context: None)
        if pool is None:
            for page, context in pairs:
                yield page, context, self.extract(page, region_of(context))
        else:
            yield from pool.map_ordered(pairs, region_of=region_of if self.tag else None)

    def counted(self, result: Result) -> Article | tuple[str, str]:
        """Count an extraction result (`extract/articles`, `extract/errors`,
        `extract/rejected/<reason>`) and hand it on."""
        if isinstance(result, Article):
            self.stats.inc_value("extract/articles")
        elif result[0] == "error":
            self.stats.inc_value("extract/errors")
        else:
            self.stats.inc_value(f"extract/rejected/{result[0]}")
        return result

    # -- tag / relevance -----------------------------------------------------------------
    def relevant(self, article: Article, region: Any, min_relevance: float | None) -> bool:
        """Tag the article if extraction did not (`TAGS_ENABLED`), then apply the source's
        relevance threshold; False (counted in `tags/below_relevance`) drops it."""
        if not self.tag:
            return True
        if article.relevance is None:
            tag_article(article, region)
        if min_relevance is not None and (article.relevance or 0) < min_relevance:
            self.stats.inc_value("tags/below_relevance")
            return False
        return True

    # -- dedup ---------------------------------------------------------------------------
    def link(self, article: Article, dedup: Any) -> DedupVerdict | None:
        """Link the article to its cluster's canonical copy (`DEDUP_ENABLED`); None when off."""
        if not self.dedup_enabled:
            return None
        verdict = link_duplicates(article, dedup)
        self.stats.inc_value(f"dedup/{verdict.kind}")
        if verdict.kind == "same-id":
            # the same canonical URL stored before (e.g. re-crawl without seen-store)
            self.stats.inc_value("dedup/already_stored")
        return verdict

    def dropped_as_repost(self, article: Article) -> bool:
        """`DEDUP_DROP_REPOSTS`: a linked repost is not stored (its capture stays in the WARC)."""
        return bool(self.drop_reposts and article.duplicate_of)

    # -- store ---------------------------------------------------------------------------
    def stored(self, article: Article) -> None:
        self.stats.inc_value("store/items")

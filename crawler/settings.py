"""Scrapy settings for healthcrawl: every default of the project, in one place.

Code reads these without a fallback value (`settings.getint("EXTRACT_WORKERS")`, as Scrapy's
own components do); `tests/structure/test_settings.py` checks that every setting the code reads
is defined here or by Scrapy. Every subsystem has one prefix; each component's docstring says
which of these drive it. The Python API's option objects (`crawler.extract.Extractor`,
`crawler.dedup.DedupSettings`) take their defaults from this module too.

- `HEALTHCRAWL_OUT`: the output folder; all state lives there (WARCs, CDXJ, items, seen-store,
  near-duplicate index, capture index, reports, lock). Point it elsewhere and nothing is shared.
- `HEALTHCRAWL_CONTACT`: URL or mailto: named in the User-Agent.
- `SOURCES_DIR`: folder of source specs (default: the packaged `spiders/specs`).
- `CRAWL_MAX_PAGES`: request budget of an ad-hoc crawl (`--max-pages`).
- `CRAWL_SITEMAP_BATCH`: articles a sitemap announces wait as URLs and are scheduled this many
  per download slot whenever Scrapy's scheduler runs empty, so memory does not grow with the
  sitemap (0 = all as they are read; distributed mode always does that, see `spiders.sitemap`).
- `ARCHIVE_*`: WARC capture (`ARCHIVE_ENABLED`, `ARCHIVE_PREFIX`, `ARCHIVE_MAX_SIZE`,
  `ARCHIVE_HOST_TAG`, `ARCHIVE_REVISITS`, `ARCHIVE_GZIP_LEVEL`) and offline re-crawl (`ARCHIVE_REPLAY_FROM`).
- `HARVEST_CONDITIONAL`: conditional requests for listings, feeds and sitemaps.
- `EXTRACT_*`: page processing (`EXTRACT_WORKERS`: process pool size, -1 = one per CPU (default), 0 = in
  the reactor thread; `EXTRACT_MIN_TEXT_CHARS`, `EXTRACT_MAX_BYTES`, `EXTRACT_CONVERT_SCRIPT`, `EXTRACT_FALLBACK_SHARE` … see
  `crawler.extract.Extractor`).
- `DEDUP_*`: URL seen-store and near-duplicate index (`DEDUP_ENABLED`, `DEDUP_SEEN_STORE`,
  `DEDUP_THRESHOLD`, `DEDUP_SHINGLE_SIZE`, `DEDUP_NUM_PERM`, `DEDUP_DROP_REPOSTS`,
  `DEDUP_COMMIT_EVERY`).
- `STORE_*`: JSON-lines items (`STORE_ENABLED`, `STORE_ITEMS_FILE`).
- `TAGS_*`: region/topic tagging (`TAGS_ENABLED`).
- `GUARD_*`: private-address guard (`GUARD_ALLOW_PRIVATE`, CLI `--allow-private`).
- `ROBOTSTXT_MAX_SIZE`: robots.txt bytes parsed (RFC 9309 minimum 500 KiB).
- `PROGRESS_*`: the terminal progress line (`PROGRESS_ENABLED`, `PROGRESS_INTERVAL`,
  `PROGRESS_FORCE`).
- `REDIS_URL`, `DISTRIBUTED_*`: distributed mode (the `RedisAddon` in `ADDONS`, `crawler.distributed`).
"""

from __future__ import annotations

from crawler import __version__  # the package metadata's version, written once (pyproject.toml)

BOT_NAME = "healthcrawl"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
# `scrapy crawl` checks `-a source=` first and exits with healthcrawl's codes (crawler.runs.commands)
COMMANDS_MODULE = "crawler.runs.commands"

HEALTHCRAWL_CONTACT = "https://github.com/healthcrawl/healthcrawl"
USER_AGENT = f"healthcrawl/{__version__} (archival crawler for research; +{HEALTHCRAWL_CONTACT})"

# Politeness
ROBOTSTXT_OBEY = True
ROBOTSTXT_MAX_SIZE = 500 * 1024  # RFC 9309: parse at least 500 KiB; the rest is ignored
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 10
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# Size caps: a response (or a body decoded from it) larger than this is dropped.
DOWNLOAD_MAXSIZE = 50 * 1024 * 1024
DOWNLOAD_WARNSIZE = 10 * 1024 * 1024

# Only http(s): no file://, data:, ftp:, s3: downloads.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}

HEALTHCRAWL_OUT = "output"
CRAWL_MAX_PAGES = 0  # `healthcrawl crawl --max-pages`: requests allowed to the network, 0 = no limit
CRAWL_SITEMAP_BATCH = 100  # announced articles scheduled per download slot when the scheduler is empty
SOURCES_DIR = None

ARCHIVE_ENABLED = True
ARCHIVE_PREFIX = "healthcrawl"
ARCHIVE_MAX_SIZE = 1_000_000_000
ARCHIVE_HOST_TAG = ""
ARCHIVE_GZIP_LEVEL = 6  # per-record gzip level (1-9); warcio's own level 9 costs ~60% more CPU
ARCHIVE_REVISITS = True
HARVEST_CONDITIONAL = True

# Extraction processes: -1 = one per CPU (the default: 1.61x the Scrapy + trafilatura baseline on
# 2 cores, against 0.89x inline), 0 = in the reactor thread.
EXTRACT_WORKERS = -1
EXTRACT_MIN_TEXT_CHARS = 60        # shorter main text: not an article ("too-short")
EXTRACT_MAX_BYTES = 5_000_000      # larger bodies are archived, not extracted ("too-large")
EXTRACT_FAVOR_PRECISION = True     # trafilatura's precision mode first
EXTRACT_RECALL_FALLBACK = True     # retry with favor_recall when the precise output is too short
EXTRACT_CONTAINER_FILTER = True    # drop feed/footer lines outside the main container
EXTRACT_INCLUDE_TABLES = True
EXTRACT_PINYIN_MIN_HITS = 3        # injected readings needed before they are removed
EXTRACT_OPENCC_DEFAULT = "t2s.json"
EXTRACT_CONVERT_SCRIPT = True      # False keeps the page's own script (still recorded)
EXTRACT_LEXICON = None             # boilerplate lexicon file; None = the packaged lexicon.toml
EXTRACT_FALLBACK_SHARE = 0.6       # full trafilatura pass when the fast one keeps less of the container
EXTRACT_RESCUE_SHARE = 0.5         # container's own lines when trafilatura keeps less of it (0: never)

DEDUP_ENABLED = True
DEDUP_SEEN_STORE = True
DEDUP_THRESHOLD = 0.7
DEDUP_SHINGLE_SIZE = 5
DEDUP_NUM_PERM = 128
DEDUP_DROP_REPOSTS = False
DEDUP_BANDS = None                 # LSH bands x rows; None: derived from the threshold
DEDUP_ROWS = None
DEDUP_MIN_TEXT_CHARS = 50          # shorter texts are never linked
# The store stage commits the seen-store and index right after each item's line is written,
# so the index never runs ahead of items.jsonl; no intermediate commits are needed.
DEDUP_COMMIT_EVERY = 1_000_000
# Class paths of the URL seen-store and the near-duplicate index (each has `from_crawler`); the
# RedisAddon swaps both for their Redis versions.
DEDUP_SEEN_STORE_CLASS = "crawler.dedup.seen.SqliteSeenStore"
DEDUP_INDEX_CLASS = "crawler.dedup.index.DedupIndex"

STORE_ENABLED = True
STORE_ITEMS_FILE = "items.jsonl"

TAGS_ENABLED = True

GUARD_ALLOW_PRIVATE = False

TWISTED_DNS_RESOLVER = "crawler.security.guard.GuardedResolver"

# ARCHIVE_REPLAY_FROM = "out/warc"  # answer every request from a WARC collection (offline)
ARCHIVE_REPLAY_FROM = None

# In process_request order (low first); process_response runs the other way, so the capture
# middleware (950) sees responses as sent, before decompression (590) and redirects (600).
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.archive_replay.ArchiveReplayMiddleware": 52,
    "crawler.middlewares.guard.PrivateAddressMiddleware": 55,
    "crawler.middlewares.budget.PageBudgetMiddleware": 58,
    "crawler.middlewares.seen.SeenStoreMiddleware": 60,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.robots.RobotsPolicyMiddleware": 100,
    "crawler.middlewares.auth.AuthorizationScopeMiddleware": 450,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.decoding.ContentDecodingMiddleware": 590,  # an undecodable body: counted, no traceback
    "crawler.middlewares.guard.RedirectGuardMiddleware": 605,
    "crawler.middlewares.capture.CaptureMiddleware": 950,
}

ITEM_PIPELINES = {
    "crawler.pipelines.process.ProcessPagePipeline": 100,
    "crawler.pipelines.tags.TagPipeline": 200,
    "crawler.pipelines.dedup.DedupPipeline": 300,
    "crawler.pipelines.store.StorePipeline": 900,
}

EXTENSIONS = {
    "crawler.extensions.run_state.RunStateExtension": 0,
    "crawler.extensions.source_stats.SourceStatsExtension": 10,
    "crawler.extensions.progress.UnreachableHostLog": 15,
    "crawler.extensions.progress.ProgressExtension": 20,
    # AutoThrottle that never goes below a source spec's own delay
    "scrapy.extensions.throttle.AutoThrottle": None,
    "crawler.extensions.throttle.SpecAutoThrottle": 0,
}
PROGRESS_ENABLED = True
PROGRESS_INTERVAL = 1.0
PROGRESS_FORCE = False
# a page that is no article, a repost dropped … is counted in the report, not a warning
DEFAULT_DROPITEM_LOG_LEVEL = "INFO"
LOG_UNREACHABLE_ONCE = True  # one line per unreachable host (cause: DNS, refused, timeout …), no traceback

# Distributed mode: REDIS_URL set turns on the add-on (scheduler, dupefilter, seen-store, index).
ADDONS = {"crawler.distributed.addon.RedisAddon": 0}
REDIS_URL = None
DISTRIBUTED_CRAWL_NAME = "default"      # Redis key prefix healthcrawl:<name>
DISTRIBUTED_WORKER_ID = None            # None: <hostname>-<pid>, set by the add-on
DISTRIBUTED_RUN_TAG = ""                # set by the launcher: one tag per launch of workers
DISTRIBUTED_LEASE_TIMEOUT = 60.0        # seconds before a dead worker's requests go back to the queue
DISTRIBUTED_HEARTBEAT = 2.0
DISTRIBUTED_POLL = 0.5                  # how often an idle worker looks at the shared queue
DISTRIBUTED_REDIS_RETRIES = 6
DISTRIBUTED_REDIS_BACKOFF = 0.5
DISTRIBUTED_REDIS_BACKOFF_MAX = 8.0
DISTRIBUTED_REDIS_TIMEOUT = 10.0

FEED_EXPORT_ENCODING = "utf-8"
# Scrapy's own feeds (-O items.csv): plain values for nested fields, JSON text in CSV/XML cells
FEED_EXPORTERS = {
    "json": "crawler.store.export.PlainJsonItemExporter",
    "jsonlines": "crawler.store.export.PlainJsonLinesItemExporter",
    "jsonl": "crawler.store.export.PlainJsonLinesItemExporter",
    "jl": "crawler.store.export.PlainJsonLinesItemExporter",
    "csv": "crawler.store.export.PlainCsvItemExporter",
    "xml": "crawler.store.export.PlainXmlItemExporter",
}
LOG_LEVEL = "WARNING"  # Scrapy's INFO log only when asked (-L INFO); the progress view and report tell the rest


def project_settings(overrides: dict | None = None, *, priority: str = "cmdline"):  # type: ignore[no-untyped-def]
    """A Scrapy `Settings` holding this module's defaults (priority "project") with `overrides`
    on top — what every run starts from (`crawler.runs.config.build_settings`, the Python API).
    Lower-case, so Scrapy's `setmodule` does not take it for a setting."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority=priority)
    return settings

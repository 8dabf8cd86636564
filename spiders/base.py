"""What every healthcrawl spider shares: loading source specs and handing pages on.

Spider arguments: `source` (name or comma list; all enabled sources when absent),
`urls` (space/comma-separated start URLs: an ad-hoc crawl without a spec), `sources_dir`
(overrides the `SOURCES_DIR` setting). Article pages are yielded as `CapturedPage` items; the
item pipeline turns them into `Article`s. Requests carry `meta["hc_kind"]` (listing, sitemap,
feed, article, discover) and `meta["hc_source"]` so middlewares (seen-store, archive) and the
harvest report can tell them apart.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import AsyncIterator, Iterable
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.http import Response

from crawler import __version__
from crawler.pages.process import CapturedPage, fetched_at
from spiders.spec import SourceSpec, adhoc_spec, load_specs, select_specs
from spiders.xmlfeeds import FeedError, Link, parse_links


def parse_feed_date(value: str | None) -> dt.datetime | None:
    """A sitemap/feed date (ISO 8601 or RFC 2822) as an aware datetime (+08:00 if no zone)."""
    if not value:
        return None
    value = value.strip()
    parsed: dt.datetime | None = None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return parsed


class SourceSpider(scrapy.Spider):
    """Base class: resolves the sources to crawl and turns article responses into items."""

    kinds: tuple[str, ...] = ("listing", "sitemap", "feed")

    def __init__(self, source: str | None = None, urls: str | None = None, sources_dir: str | None = None,
                 max_pages: str | int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source_arg = source
        self.start_urls_arg = [u for u in re.split(r"[\s,]+", urls or "") if u]
        self.sources_dir_arg = sources_dir
        self.max_pages = int(max_pages) if max_pages else None
        self.sources: list[SourceSpec] = []
        self.adhoc = bool(self.start_urls_arg)

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """An honest User-Agent that names the operator's contact (`HEALTHCRAWL_CONTACT`),
        unless `USER_AGENT` itself was set with a priority at least as high."""
        super().update_settings(settings)
        if (settings.getpriority("USER_AGENT") or 0) <= (settings.getpriority("HEALTHCRAWL_CONTACT") or 0):
            agent = f"healthcrawl/{__version__} (archival crawler for research; +{settings.get('HEALTHCRAWL_CONTACT')})"
            settings.set("USER_AGENT", agent, priority=settings.getpriority("HEALTHCRAWL_CONTACT") or "project")

    def load_sources(self) -> list[SourceSpec]:
        if self.adhoc:
            return [adhoc_spec(self.start_urls_arg, max_pages=self.max_pages or 1000)]
        directory = self.sources_dir_arg or self.settings.get("SOURCES_DIR")
        return select_specs(load_specs(directory), self.source_arg)

    async def start(self) -> AsyncIterator[Any]:
        self.sources = self.load_sources()
        self.allowed_domains = sorted({d for s in self.sources for d in s.allowed_domains})
        self.apply_politeness()
        for spec in self.sources:
            for request in self.start_requests_for(spec):
                yield request

    def apply_politeness(self) -> None:
        """Per-source delay and concurrency: one download slot per source host, configured
        from the spec's `[politeness]` (the strictest spec wins when sources share a host).
        A `DOWNLOAD_DELAY` / `CONCURRENT_REQUESTS_PER_DOMAIN` the operator set (config file,
        `-s`: any priority above the project's) is a global cap: a spec may be stricter, never looser."""
        engine = getattr(self.crawler, "engine", None)
        downloader = getattr(engine, "downloader", None)
        slots = getattr(downloader, "per_slot_settings", None)
        if slots is None:
            return
        settings = self.crawler.settings
        project = SETTINGS_PRIORITIES["project"]
        min_delay = settings.getfloat("DOWNLOAD_DELAY") if (settings.getpriority("DOWNLOAD_DELAY") or 0) > project else 0.0
        max_conc = (settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
                    if (settings.getpriority("CONCURRENT_REQUESTS_PER_DOMAIN") or 0) > project else None)
        for spec in self.sources:
            slot = urlsplit(spec.homepage).hostname
            wanted = {"concurrency": min(spec.politeness.concurrency, max_conc or spec.politeness.concurrency),
                      "delay": max(spec.politeness.download_delay, min_delay)}
            if slot in slots:
                wanted = {"concurrency": min(slots[slot].get("concurrency", 99), wanted["concurrency"]),
                          "delay": max(slots[slot].get("delay", 0), wanted["delay"])}
            slots[slot] = wanted

    def start_requests_for(self, spec: SourceSpec) -> Iterable[scrapy.Request]:
        """Overridden by each kind's mixin; `news` chains them all."""
        return []

    # -- helpers shared by the kinds ---------------------------------------------------------
    def spec_meta(self, spec: SourceSpec, kind: str, **extra: Any) -> dict[str, Any]:
        meta = {"hc_kind": kind, "hc_source": spec.name, "download_slot": urlsplit(spec.homepage).hostname}
        meta.update(extra)
        return meta

    def article_request(self, spec: SourceSpec, url: str, *, date: str | None = None) -> scrapy.Request | None:
        if not self.in_scope(spec, url):
            return None
        if self.past_cutoff(spec, date):
            self.crawler.stats.inc_value("harvest/skipped_cutoff")
            return None
        return scrapy.Request(url, callback=self.parse_article, meta=self.spec_meta(spec, "article"))

    @staticmethod
    def past_cutoff(spec: SourceSpec, date: str | None) -> bool:
        """True when `date` (a sitemap, feed or listing date) is older than the source's
        `cutoff_days`."""
        if not spec.cutoff_days or not date:
            return False
        when = parse_feed_date(date)
        return bool(when and when < dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=spec.cutoff_days))

    def in_scope(self, spec: SourceSpec, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return False
        host = (parts.hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in spec.allowed_domains)

    def spec_by_name(self, name: str) -> SourceSpec:
        for spec in self.sources:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def parse_article(self, response: Response) -> Iterable[Any]:
        yield self.captured(response)

    def captured(self, response: Response) -> CapturedPage:
        meta = response.meta
        ref = meta.get("hc_capture")
        headers = {
            k.decode("latin-1").lower(): b", ".join(v).decode("latin-1")
            for k, v in response.headers.items()
        }
        return CapturedPage(
            url=response.url,
            status=response.status,
            headers=headers,
            body=response.body,
            fetched_at=meta.get("hc_fetched_at") or fetched_at(),
            warc_filename=ref.filename if ref else None,
            warc_offset=ref.offset if ref else None,
            source_name=meta.get("hc_source"),
            # a response answered from an archive is not captured again, nor annotated
            extra={"warc_ref": ref} if ref and "archived" not in response.flags else {},
        )

    def announced_links(self, response: Response, kind: str) -> tuple[SourceSpec, re.Pattern[str] | None, list[Link]]:
        """The source, its entry's article pattern and the links of a sitemap or feed
        response (none, with an error and a `spider/bad_<kind>` stat, when it is unreadable)."""
        spec = self.spec_by_name(response.meta["hc_source"])
        index = response.meta.get("hc_entry")
        entries = getattr(spec, kind)
        source = entries[index].article_links if index is not None and entries else None
        pattern = re.compile(source) if source else None
        try:
            links = parse_links(response.body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
        except FeedError as exc:
            self.logger.error("unreadable %s %s: %s", kind, response.url, exc)
            self.crawler.stats.inc_value(f"spider/bad_{kind}")
            links = []
        return spec, pattern, links

    def announced_article(self, spec: SourceSpec, pattern: re.Pattern[str] | None, url: str,
                          date: str | None) -> scrapy.Request | None:
        """The request for an article a sitemap or feed announced, unless filtered or stored."""
        if pattern is not None and not pattern.search(url):
            return None
        if self.is_seen(url):
            self.crawler.stats.inc_value("harvest/skipped_seen")
            return None
        return self.article_request(spec, url, date=date)

    def run_state(self) -> Any:
        """The crawl's `RunState` (output folder, seen-store, captures), None without one."""
        from crawler.extensions.run_state import RunStateExtension

        extension = self.crawler.get_extension(RunStateExtension)
        return extension.state if extension else None

    def is_seen(self, url: str) -> bool:
        """True when the seen-store (harvest mode) already holds this article URL."""
        state = self.run_state()
        return bool(state and state.seen_before(url))

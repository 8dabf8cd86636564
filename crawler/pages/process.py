"""The one function from captured bytes to item.

`process_page(CapturedPage, Extractor) -> Article` (or raises `NotAnArticle`). No Scrapy in
here: the item pipeline, `healthcrawl extract`, replay from WARC and the benchmarks all call
it, which is what makes "replay gives the same items as the live crawl" true by construction
and lets extraction run in a process pool.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from crawler.extract import Extractor, extract_page
from crawler.extract.result import NotAnArticle
from crawler.items import EXTRACTOR_VERSION, Article
from crawler.urls import article_id, canonicalize_url, site_of

__all__ = ["CapturedPage", "NotAnArticle", "process_page", "content_hash", "fetched_at"]


@dataclass(frozen=True)
class CapturedPage:
    """A page as captured: what the WARC response record holds, plus where it is."""

    url: str
    status: int
    headers: dict[str, str]          # response headers, keys lower-case
    body: bytes                      # entity body, content/transfer coding removed
    fetched_at: str                  # ISO 8601 UTC
    warc_filename: str | None = None
    warc_offset: int | None = None
    source_name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. warc_ref: archive.CaptureRef

    def __repr__(self) -> str:  # Scrapy logs dropped items: keep bodies out of the log
        return f"<CapturedPage {self.status} {self.url} {len(self.body)} bytes>"


def fetched_at(when: dt.datetime | str | None = None) -> str:
    """The `fetched_at` form of a capture time: ISO 8601 UTC to the second. Takes a datetime,
    a WARC-Date string (`2026-11-25T08:27:20.123456Z`) or nothing (now). The live crawl, offline
    re-crawl and replay all use it, so their items agree."""
    if when is None:
        when = dt.datetime.now(dt.timezone.utc)
    elif isinstance(when, str):
        try:
            when = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
        except ValueError:
            return when
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def content_hash(text: str) -> str:
    """sha1 of the normalised text with all whitespace removed."""
    return hashlib.sha1("".join(text.split()).encode("utf-8")).hexdigest()


def _host_key(url: str) -> str:
    host = site_of(url)
    for prefix in ("www.", "m.", "wap."):
        if host.startswith(prefix):
            return host[len(prefix):]
    return host


def choose_canonical(url: str, stated: str | None) -> str:
    """The page's stated canonical URL (resolved against `url`) when it is on the same site;
    otherwise the fetched URL. A repost that names the original site as canonical keeps its own
    identity, so it is linked to the original by dedup instead of overwriting it."""
    if not stated:
        return url
    resolved = urljoin(url, stated.strip())
    if urlsplit(resolved).scheme not in ("http", "https") or _host_key(resolved) != _host_key(url):
        return url
    return resolved


def process_page(page: CapturedPage, extractor: Extractor) -> Article:
    """Turn a captured page into an Article, or raise NotAnArticle(reason)."""
    if page.status >= 400:
        raise NotAnArticle("http-error", f"HTTP {page.status}")
    extraction = extract_page(page.body, url=page.url, headers=page.headers, extractor=extractor)
    canonical = canonicalize_url(choose_canonical(page.url, extraction.canonical_url))
    return Article(
        id=article_id(canonical),
        url=page.url,
        canonical_url=canonical,
        title=extraction.title,
        published=extraction.published,
        text=extraction.text,
        source=extraction.source,
        author=extraction.author,
        authors=list(extraction.authors),
        account=extraction.account,
        editor=extraction.editor,
        date_source=extraction.date_source,
        **{f"disclosure_{name}": value for name, value in extraction.disclosure.items()},
        site=site_of(page.url),
        source_name=page.source_name,
        fetched_at=page.fetched_at,
        script=extraction.script,  # type: ignore[arg-type]
        opencc_config=extraction.opencc_config,
        charset=extraction.charset,
        content_hash=content_hash(extraction.text),
        quality=list(extraction.quality),
        warc_filename=page.warc_filename,
        warc_offset=page.warc_offset,
        extractor_version=EXTRACTOR_VERSION,
    )

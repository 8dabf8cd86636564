"""The result of extracting one page: what `crawler.extract.extract_page` returns.

Plain data, no Scrapy. `crawler.pages.process.process_page` turns it into an `Article` by adding the
identity fields (id, canonical URL, site, fetch time, WARC pointer, content hash).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.exceptions import NotAnArticle


@dataclass
class Extraction:
    """Clean article text and metadata read from one page."""

    title: str
    text: str                      # Simplified Chinese, one paragraph per line
    published: str | None          # ISO 8601 date or datetime, +08:00 when the page gives no zone
    source: str | None
    author: str | None
    editor: str | None
    charset: str                   # what the bytes were decoded with, e.g. "utf-8", "gb18030"
    script: str                    # "zh-Hans" or "zh-Hant" (script of the original)
    opencc_config: str | None      # e.g. "t2s.json" or "hk2s.json"; None when not converted
    canonical_url: str | None = None   # <link rel=canonical>/og:url when the page states one
    quality: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)   # every name; `author` is them joined by a space
    account: str | None = None         # WeChat official account that published the page
    date_source: str | None = None     # where `published` came from: meta, script, front-matter,
    #                                    byline, time, text, url, disclosure (metadata.DATE_SOURCES)
    disclosure: dict[str, str] = field(default_factory=dict)  # 政府信息公开 fields (disclosure.FIELDS)

"""Item models: what the crawler stores for each article.

`Article` is a pydantic v2 model. Scrapy's item pipeline handles it through itemadapter, so
Scrapy's own feed exports (`-O items.jsonl`) work, and our own JSON-lines store writes exactly
`Article.model_dump_json()` per line. Every field is documented in README.md ("Item fields").
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

# 2: trafilatura fast pass first, its fallback comparison only when the fast output misses text
# 3: every author name (`authors`), WeChat `account`, `date_source` and URL-path dates, disclosure
#    fields, logo headings never the title, comments keep their surrounding text, container rescue
EXTRACTOR_VERSION = "healthcrawl-extract/3"


def _check_iso(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        if "T" in value:
            dt.datetime.fromisoformat(value)
        else:
            dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 date or datetime: {value!r}") from exc
    return value


class RegionTag(BaseModel):
    """A place resolved to a GB/T 2260 division code."""

    model_config = ConfigDict(extra="forbid")
    code: str
    name: str
    full_name: str
    level: Literal["province", "city", "county"]
    matched: str | None = None


class Article(BaseModel):
    """One extracted article, normalised to Simplified Chinese."""

    model_config = ConfigDict(extra="forbid")
    # MinHash signature computed next to extraction (in a pool worker), keyed by the hasher
    # that made it; dedup uses it instead of hashing again. Never serialised.
    _minhash: Any = PrivateAttr(default=None)

    id: str = Field(description="sha1 of the canonical URL, first 16 hex digits")
    url: str = Field(description="URL the response was fetched from (after redirects)")
    canonical_url: str
    title: str
    published: str | None = Field(None, description="ISO 8601 date or datetime (+08:00 when the page gives no zone)")
    date_source: str | None = Field(None, description="where `published` came from: meta, script, front-matter, "
                                                      "byline, time (<time datetime>), text, url or disclosure")
    text: str = Field(description="Simplified Chinese, one paragraph per line")
    source: str | None = Field(None, description="来源: the originating outlet, when stated")
    author: str | None = Field(None, description="the authors' names joined by a space (see `authors`)")
    authors: list[str] = Field(default_factory=list, description="every author named, role words (记者, 通讯员 …) stripped")
    account: str | None = Field(None, description="WeChat official account that published the page")
    editor: str | None = None
    site: str = Field(description="host the page was fetched from")
    source_name: str | None = Field(None, description="name of the source spec that led here, if any")
    fetched_at: str = Field(description="ISO 8601 UTC time of the fetch")
    script: Literal["zh-Hans", "zh-Hant"]
    opencc_config: str | None = Field(None, description="OpenCC profile applied, e.g. t2s.json; None when none was needed")
    charset: str = Field(description="charset the bytes were decoded with")
    content_hash: str = Field(description="sha1 of the normalised Simplified text")
    duplicate_of: str | None = Field(None, description="id of the canonical copy when this item is a repost")
    quality: list[str] = Field(default_factory=list, description="normalisation steps that fired and problems found")
    disclosure_index: str | None = Field(None, description="政府信息公开 索引号")
    disclosure_issuer: str | None = Field(None, description="发文机关 / 发布机构")
    disclosure_doc_no: str | None = Field(None, description="发文字号")
    disclosure_written: str | None = Field(None, description="成文日期, ISO date")
    disclosure_published: str | None = Field(None, description="发布日期 of the disclosure table, ISO date")
    disclosure_topic: str | None = Field(None, description="主题分类")
    warc_filename: str | None = None
    warc_offset: int | None = None
    extractor_version: str = EXTRACTOR_VERSION
    publisher_region: RegionTag | None = None
    regions: list[RegionTag] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    relevance: float | None = None

    @field_validator("published")
    @classmethod
    def _published_iso(cls, value: str | None) -> str | None:
        return _check_iso(value)

    @field_validator("fetched_at")
    @classmethod
    def _fetched_iso(cls, value: str) -> str:
        checked = _check_iso(value)
        assert checked is not None
        return checked

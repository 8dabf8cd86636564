"""After extraction, before storage: the steps that crawl and replay share.

`tag_article` fills the region and topic fields (`crawler.tags`); `link_duplicates` asks
the deduplicator and sets `duplicate_of`. The Scrapy pipelines (`crawler.pipelines.tags`,
`crawler.pipelines.dedup`) and replay (`crawler.runs.replay`) call exactly these, so an item is
the same whichever way it was made.
"""

from __future__ import annotations

from typing import Any

from crawler.items import Article


def _region_fields(region: Any) -> tuple[str | None, str | None, str | None]:
    if region is None:
        return None, None, None
    if not isinstance(region, dict):
        region = region.model_dump()
    return region.get("province"), region.get("city"), region.get("county")


def tag_article(article: Article, region: Any) -> Article:
    """Set publisher_region (from a spec's region, model or dict), regions, topics, relevance."""
    from crawler.tags.regions import Gazetteer
    from crawler.tags.topics import tag_topics

    gazetteer = Gazetteer.load()
    province, city, county = _region_fields(region)
    publisher = gazetteer.resolve_publisher(province, city, county) if province else None
    article.publisher_region = publisher
    article.regions = gazetteer.find_regions(article.title, article.text, publisher=publisher)
    article.topics, article.relevance = tag_topics(article.title, article.text)
    return article


def link_duplicates(article: Article, dedup: Any) -> Any:
    """Record the article in the dedup index and set `duplicate_of`; returns the verdict."""
    verdict = dedup.check(article.id, article.canonical_url, article.text, article.content_hash,
                          site=article.site, published=article.published, url=article.url,
                          title=article.title, fetched_at=article.fetched_at, minhash=article._minhash)
    article.duplicate_of = verdict.duplicate_of
    return verdict

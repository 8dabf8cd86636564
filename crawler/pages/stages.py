"""The single stages of the page sequence, as plain functions (no Scrapy, no settings).

`safe_process` runs `process_page` and never raises; `process_and_tag` adds `tag_article`
(region and topic fields, `crawler.tags`), which is what an extraction worker runs;
`link_duplicates` asks the deduplicator and sets `duplicate_of`. They are put in order, with
their settings and stats, by `crawler.pages.sequence.StageSequence` — the one object the
Scrapy pipelines, replay and `healthcrawl extract` use.
"""

from __future__ import annotations

from typing import Any

from crawler.extract import Extractor
from crawler.items import Article
from crawler.pages.process import CapturedPage, NotAnArticle, process_page

Result = Article | tuple[str, str]


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
    """Record the article in the dedup index and set `duplicate_of` (the cluster's original as
    far as is known now; later moves reach items.jsonl as relink records); returns the verdict."""
    verdict = dedup.check(article.id, article.canonical_url, article.text, article.content_hash,
                          site=article.site, published=article.published, url=article.url,
                          title=article.title, fetched_at=article.fetched_at, minhash=article._minhash,
                          source=article.source)
    article.duplicate_of = verdict.duplicate_of
    return verdict


def safe_process(page: CapturedPage, extractor: Extractor) -> Result:
    """`process_page` that never raises: the article or (reason, message)."""
    try:
        return process_page(page, extractor)
    except NotAnArticle as exc:
        return (exc.reason, str(exc))
    except Exception as exc:  # noqa: BLE001 - reported with the URL by the caller
        return ("error", f"{type(exc).__name__}: {exc}")


def process_and_tag(page: CapturedPage, extractor: Extractor, region: Any = None, *, tag: bool = False) -> Result:
    """`safe_process`, then `tag_article(article, region)` when `tag` (never raises)."""
    result = safe_process(page, extractor)
    if tag and isinstance(result, Article):
        try:
            tag_article(result, region)
        except Exception as exc:  # noqa: BLE001 - reported with the URL by the caller
            return ("error", f"tagging: {type(exc).__name__}: {exc}")
    return result

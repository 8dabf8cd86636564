"""Tag stage: region and topic tags on every article.

`publisher_region` comes from the source spec's `region`; `regions` are the places named in
title and text resolved against the bundled GB/T 2260 division table (`crawler.tags`);
`topics` and `relevance` come from the topic taxonomy kept as data. A source spec with
`min_relevance` drops articles scoring below it (`tags/below_relevance`).
Settings: `TAGS_ENABLED` (default True).
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from crawler.items import Article
from crawler.pipelines.process import source_spec
from crawler.pages.stages import tag_article


class TagPipeline:
    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("TAGS_ENABLED", True):
            raise NotConfigured("set TAGS_ENABLED=True to tag regions and topics")
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "TagPipeline":
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        spec = source_spec(self.crawler, item.source_name)
        if item.relevance is None:  # normally tagged already by the process stage
            tag_article(item, spec.region if spec else None)
        if spec is not None and spec.min_relevance is not None and (item.relevance or 0) < spec.min_relevance:
            self.crawler.stats.inc_value("tags/below_relevance")
            raise DropItem(f"below-relevance: {item.url} scores {item.relevance:.2f}, under {spec.min_relevance}")
        return item

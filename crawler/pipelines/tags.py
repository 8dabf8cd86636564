"""Tag stage: region and topic tags on every article.

`publisher_region` comes from the source spec's `region`; `regions` are the places named in
title and text resolved against the bundled GB/T 2260 division table (`crawler.tags`);
`topics` and `relevance` come from the topic taxonomy kept as data. A source spec with
`min_relevance` drops articles scoring below it (`tags/below_relevance`).
An adapter over the crawl's `StageSequence.relevant`. Settings: `TAGS_ENABLED`.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from crawler.extensions.run_state import RunState
from crawler.items import Article
from crawler.pipelines.process import source_spec


class TagPipeline:
    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("TAGS_ENABLED"):
            raise NotConfigured("set TAGS_ENABLED=True to tag regions and topics")
        self.crawler = crawler
        self.stages = RunState.of(crawler).stages

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "TagPipeline":
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        spec = source_spec(self.crawler, item.source_name)
        # normally tagged already by the process stage; the sequence tags what was not
        if not self.stages.relevant(item, spec.region if spec else None, spec.min_relevance if spec else None):
            assert spec is not None and spec.min_relevance is not None
            raise DropItem(f"below-relevance: {item.url} scores {item.relevance:.2f}, under {spec.min_relevance}")
        return item

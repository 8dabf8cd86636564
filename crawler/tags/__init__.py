"""Tags for articles: GB/T 2260 regions (`regions`) and health-policy topics (`topics`).

Both are pure functions over title and text with their tables shipped as data in `data/`;
the pipeline calls `Gazetteer.load().find_regions(title, text, publisher=...)` and
`tag_topics(title, text)` and stores the results in `Article.regions/topics/relevance`.
"""

from crawler.tags.regions import Gazetteer, find_regions
from crawler.tags.topics import Topic, tag_topics

__all__ = ["Gazetteer", "Topic", "find_regions", "tag_topics"]

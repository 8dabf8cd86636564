"""healthcrawl: an archival crawler for regional Chinese health news.

The Python API (loaded on first use, so `import crawler` stays light for Scrapy and workers)::

    import crawler
    article = crawler.extract(open("page.html", "rb").read(), url="http://example.gov.cn/a/1.html")
    article.title, article.published, article.authors, article.text

- `extract(body, url=None, headers=None) -> Article` (raises `NotAnArticle`) — `crawler.api`
- `process_page(CapturedPage, Extractor) -> Article` — the one page function, `crawler.pages.process`
- `Article` (the item, `crawler.items`), `CapturedPage`, `NotAnArticle`, `__version__`

Archives are read with the `archive` package (`archive.iter_records(path)`).
"""

from __future__ import annotations

import logging
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("healthcrawl")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["Article", "CapturedPage", "NotAnArticle", "__version__", "extract", "process_page"]

_LAZY = {
    "extract": "crawler.api",
    "process_page": "crawler.pages.process",
    "CapturedPage": "crawler.pages.process",
    "Article": "crawler.items",
    "NotAnArticle": "crawler.exceptions",
}

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'crawler' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

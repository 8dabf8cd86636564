"""The Python API: one page in, one article out, with the crawl's own stages and settings.

    import crawler
    article = crawler.extract(html_bytes, url="http://wsjkw.example.gov.cn/art/2022/3/9/art_1_2.html")
    print(article.title, article.published, article.text[:80])

`extract(body, url=None, headers=None)` runs what a crawl runs on a fetched page (decode,
extract, clean, normalise to Simplified, tag) through `crawler.pages.sequence.StageSequence`,
with the defaults of `crawler/settings.py` or the `settings` given (any mapping of setting
names, e.g. ``{"EXTRACT_CONVERT_SCRIPT": False}``). Without `url` the page's own
`<link rel=canonical>` / `og:url` names it (`crawler.extract.identity`). Raises
`NotAnArticle` (with a `reason`) for a page that holds none. `process_page(CapturedPage,
Extractor)` is the lower-level function the stages call; `CapturedPage` and `Article` are the
page and item models. To read archives, use `archive` (e.g. `archive.iter_records(path)`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from crawler.exceptions import NotAnArticle
from crawler.extract.identity import page_identity
from crawler.items import Article
from crawler.pages.process import CapturedPage, fetched_at
from crawler.pages.sequence import StageSequence

__all__ = ["extract"]


@lru_cache(maxsize=8)
def _sequence(overrides: tuple[tuple[str, Any], ...]) -> StageSequence:
    return StageSequence.from_defaults(dict(overrides))


def extract(body: bytes, url: str | None = None, headers: Mapping[str, str] | None = None, *,
            settings: Mapping[str, Any] | None = None, fetched: str | None = None) -> Article:
    """The article in `body` (bytes as served; the charset is detected from them and `headers`).

    `url`: where the page was served (default: the URL the page states, else a `file:` URL
    derived from the bytes); `fetched`: when (ISO 8601; default now). Raises `NotAnArticle`
    when the page holds no article, `crawler.exceptions.BadUrl` for a `url` that is not an
    absolute http(s) URL.
    """
    page_url, _ = page_identity(body, given=url, source=None)
    page = CapturedPage(url=page_url, status=200, body=body, fetched_at=fetched or fetched_at(),
                        headers={key.lower(): value for key, value in (headers or {}).items()})
    result = _sequence(tuple(sorted((settings or {}).items()))).extract(page)
    if isinstance(result, Article):
        return result
    reason, message = result
    if reason == "error":  # never expected: extraction returns an article or NotAnArticle
        raise RuntimeError(f"{page_url}: {message}")
    raise NotAnArticle(reason, message)

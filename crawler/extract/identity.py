"""Who a saved page is, and how to print its item: what `healthcrawl extract FILE` needs.

`page_identity(body, given=, source=)` gives the URL a saved page is extracted under:
1. `given` (the `--url` option) when it is an absolute http(s) URL; anything else raises
   `BadUrl` with one line naming the value (the CLI exits 2 with it);
2. else the URL the page states for itself: `<link rel=canonical>`, then `og:url` (absolute
   http(s) URLs only; relative or `javascript:` values are ignored);
3. else the file: `file://localhost/ABSOLUTE/PATH` (a host is needed for a canonical URL and an
   id), or for standard input `file://localhost/stdin/SHA1` of the bytes, so two different
   pages read from a pipe never share an id.
The page is only scanned for those two tags (the first 256 KiB, decoded as the extractor
decodes it); nothing is fetched. `render(article, fmt)` prints an item as `json` (the whole
item), `txt` (the text only, one paragraph per line) or `markdown` (headline, a line of
date/authors/source, paragraphs). No settings.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from crawler.extract.decode import decode_body
from crawler.extract.metadata import usable_url
from crawler.exceptions import BadUrl

__all__ = ["BadUrl", "FORMATS", "page_identity", "stated_url", "render"]

FORMATS = ("json", "txt", "markdown")
HEAD_BYTES = 256 * 1024
_TAG = re.compile(r"<(?:link|meta)\b[^>]*>", re.I)
_ATTR = re.compile(r"""([a-zA-Z_:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


def _check(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
        parts.port
    except ValueError as exc:
        raise BadUrl(f"bad --url {url!r}: {exc}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise BadUrl(f"bad --url {url!r}: an absolute http(s) URL is needed (scheme and host)")
    return url.strip()


def stated_url(body: bytes) -> str | None:
    """The page's own absolute http(s) URL from `<link rel=canonical>` or `og:url`, or None."""
    text = decode_body(body[:HEAD_BYTES]).text
    canonical = og = None
    for tag in _TAG.finditer(text):
        attrs = {m.group(1).lower(): (m.group(2) or m.group(3) or m.group(4) or "").strip()
                 for m in _ATTR.finditer(tag.group(0))}
        if tag.group(0)[1:5].lower() == "link" and "canonical" in attrs.get("rel", "").lower().split():
            canonical = canonical or attrs.get("href")
        elif (attrs.get("property") or attrs.get("name") or "").lower() == "og:url":
            og = og or attrs.get("content")
    for candidate in (usable_url(canonical), usable_url(og)):
        if candidate:
            parts = urlsplit(candidate)
            if parts.scheme.lower() in ("http", "https") and parts.hostname:
                return candidate
    return None


def page_identity(body: bytes, *, given: str | None, source: Path | None) -> tuple[str, str]:
    """(URL, where it came from: "option", "page" or "file") for a saved page; `source` is the
    file read, None for standard input. Raises BadUrl for a bad `given`."""
    if given is not None:
        return _check(given), "option"
    stated = stated_url(body)
    if stated:
        return stated, "page"
    if source is None:
        return f"file://localhost/stdin/{hashlib.sha1(body).hexdigest()}", "file"
    return "file://localhost" + quote(str(source.resolve()), safe="/"), "file"


def render(article: Any, fmt: str) -> str:
    """An item (`crawler.items.Article`) as `fmt` (one of FORMATS)."""
    if fmt == "json":
        return article.model_dump_json(indent=2)
    if fmt == "txt":
        return article.text
    if fmt == "markdown":
        facts = [article.published, " ".join(article.authors) or article.author, article.source]
        head = [f"# {article.title}"] if article.title else []
        line = " · ".join(f for f in facts if f)
        return "\n\n".join(head + ([line] if line else []) + [p for p in article.text.split("\n") if p.strip()])
    raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")

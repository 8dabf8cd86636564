"""Safe parsing of sitemaps (plain, index, Google News) and RSS/Atom feeds.

Every XML document from the web goes through `_parse`, an lxml parser with entity
resolution, DTD loading and network access switched off and `huge_tree` off, so external
entities (XXE) read nothing and entity expansion ("billion laughs") is refused. Gzipped
sitemaps are decompressed with a size cap (`max_size`, from `DOWNLOAD_MAXSIZE`).
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass

from lxml import etree

from crawler.exceptions import FeedError


@dataclass(frozen=True)
class Link:
    """A URL announced by a sitemap or feed, with the date it gives (ISO or raw) if any."""

    url: str
    date: str | None = None
    title: str | None = None
    is_sitemap: bool = False


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=True,
        remove_comments=True,
        remove_pis=True,
    )


def gunzip_capped(body: bytes, max_size: int) -> bytes:
    """Decompress a gzip body, refusing to produce more than `max_size` bytes."""
    decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = decomp.decompress(body, max_size + 1 if max_size else 0)
    if max_size and (len(out) > max_size or decomp.unconsumed_tail):
        raise FeedError(f"gzipped document expands beyond {max_size} bytes")
    return out


def _parse(body: bytes, max_size: int) -> etree._Element:
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip_capped(body, max_size)
        except (OSError, zlib.error, EOFError, gzip.BadGzipFile) as exc:
            raise FeedError(f"bad gzip: {exc}") from exc
    if max_size and len(body) > max_size:
        raise FeedError(f"document larger than {max_size} bytes")
    try:
        root = etree.fromstring(body, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"not XML: {exc}") from exc
    if root is None:
        raise FeedError("empty or unreadable XML document")
    return root


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child_text(elem: etree._Element, *names: str) -> str | None:
    for child in elem.iter():
        if _local(child.tag) in names and child.text and child.text.strip():
            return child.text.strip()
    return None


def parse_links(body: bytes, *, max_size: int = 10 * 1024 * 1024) -> list[Link]:
    """Links from a sitemap (urlset / sitemapindex / news) or an RSS/Atom feed."""
    root = _parse(body, max_size)
    kind = _local(root.tag)
    links: list[Link] = []
    if kind in ("urlset", "sitemapindex"):
        for elem in root:
            name = _local(elem.tag)
            if name not in ("url", "sitemap"):
                continue
            loc = _child_text(elem, "loc")
            if loc:
                date = _child_text(elem, "publication_date") or _child_text(elem, "lastmod")
                title = _child_text(elem, "title")
                links.append(Link(loc, date, title, is_sitemap=name == "sitemap"))
    elif kind == "rss" or kind == "RDF":
        for item in root.iter():
            if _local(item.tag) != "item":
                continue
            link = _child_text(item, "link") or _child_text(item, "guid")
            if link:
                links.append(Link(link, _child_text(item, "pubDate", "date"), _child_text(item, "title")))
    elif kind == "feed":
        for entry in root:
            if _local(entry.tag) != "entry":
                continue
            href = None
            for child in entry:
                if _local(child.tag) == "link" and child.get("rel", "alternate") == "alternate":
                    href = child.get("href")
                    break
            if href:
                links.append(Link(href, _child_text(entry, "published", "updated"), _child_text(entry, "title")))
    else:
        raise FeedError(f"root element <{kind}> is neither a sitemap nor an RSS/Atom feed")
    return links

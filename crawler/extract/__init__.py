"""Chinese article extraction: captured bytes -> `Extraction` (or `NotAnArticle`).

`extract_page(body, url=, headers=, extractor=)` runs, in order:
1. `decode.decode_body` — bytes to text once (BOM, header, meta, detection; GBK as GB18030);
2. `metadata.read_metadata` — title, date and where it came from, source, authors, editor,
   WeChat account, disclosure-table fields, canonical URL;
3. `layout.prepare_layout` — a copy of the tree without comments (their surrounding text
   kept), with layout tables turned into blocks, media players removed, WeChat sections as
   paragraphs and known CMS bodies marked; it also lists the lines the page marks as headings;
   then trafilatura on that tree (`favor_precision`): first its fast pass (no readability /
   jusText comparison); the full pass with that comparison only when the fast output holds
   less than `fallback_share` of the text of the page's densest container (`density`) or less
   than `min_text_chars` — on most pages the two agree and the comparison costs a third of
   trafilatura's time; then a `favor_recall` retry when the output is still too short (a
   page whose fast pass finds nothing and whose densest block is rows of headline links and
   dates is a listing, rejected as `link-list` before either);
   list items (`- ` lines) lose their marker and stay lines of their own; when trafilatura
   keeps less than `rescue_share` of the densest container and only non-prose (a metadata
   table) or a part of that container, the container's own lines are the text
   (`_rescue_container`: bodies in `<font>` runs or `<br>` text in a table cell);
4. `density.main_container_text` — drops leading/trailing lines that lie outside the densest
   container holding the article's first paragraph, when a rival container (a feed of other
   articles) outscores it or the container keeps at least half of the text;
5. `normalise.prepare_text` — control chars, injected pinyin, Traditional -> Simplified;
   On a government disclosure page the metadata table's lines leave the text (they are fields).
6. bylines moved into fields (`metadata.take_byline_lines`, `take_trailing_byline`,
   `dateline_author` for the reporters of a `…电(张三 李四)` lead, which stays in the text);
7. `boilerplate.Lexicon.clean` — line patterns from lexicon.toml (captions and photo credits
   stay on a photo story, where they are more than half of the text);
8. `normalise.finish_text` — doubled body, phrase-per-line joining (headings kept apart),
   decimals, flags. Spun-word repairs apply to the title too.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import lxml.html
import trafilatura
from lxml import etree
from lxml.etree import ParserError

import crawler.settings as defaults
from crawler.extract.boilerplate import DEFAULT_LEXICON, Lexicon
from crawler.extract.decode import decode_body
from crawler.extract.disclosure import drop_table_lines
from crawler.extract.density import Container, TextIndex, element_lines, main_container, main_container_text, prune_tree
from crawler.extract.layout import heading_key, prepare_layout
from crawler.extract.metadata import (PageMeta, dateline_author, page_level_authors, read_metadata, take_byline_lines,
                                      take_trailing_byline)
from crawler.extract.normalise import apply_spun, converter, finish_text, prepare_text, remove_pinyin
from crawler.extract.result import Extraction, NotAnArticle

__all__ = ["Extractor", "Extraction", "NotAnArticle", "extract_page"]

_WS = re.compile(r"\s+")
_PROSE = re.compile(r"[，。；！？,]")
PHOTO_STORY_SHARE = 0.5   # captions above half the text: a photo story, captions are its text
_END_MARK = re.compile(r"\s*[（(]\s*完\s*[）)]\s*$")
_HTML_HINT = re.compile(r"<\s*(?:!doctype\s+html|html|head|body|p|div|article|meta|title)\b", re.I)
_TEXTUAL_TYPES = ("html", "xml", "text/plain")


@dataclass(frozen=True)
class Extractor:
    """All extraction options, built once per crawl.

    Scrapy settings map onto it one to one (see `from_settings`):
    `EXTRACT_FAVOR_PRECISION` -> favor_precision, `EXTRACT_MIN_TEXT_CHARS` -> min_text_chars,
    `EXTRACT_OPENCC_DEFAULT` -> opencc_default, `EXTRACT_RECALL_FALLBACK` -> recall_fallback,
    `EXTRACT_CONTAINER_FILTER` -> container_filter, `EXTRACT_PINYIN_MIN_HITS` -> pinyin_min_hits,
    `EXTRACT_LEXICON` -> lexicon_path, `EXTRACT_INCLUDE_TABLES` -> include_tables,
    `EXTRACT_CONVERT_SCRIPT` -> convert_script (False keeps the original script: evaluation
    against Traditional gold text, archives that want the page's own characters),
    `EXTRACT_FALLBACK_SHARE` -> fallback_share (0: trafilatura's fallback comparison only for
    output shorter than min_text_chars; a large value: always),
    `EXTRACT_RESCUE_SHARE` -> rescue_share (trafilatura's output holding less than this share
    of the densest container's text is replaced by that container's own lines; 0: never),
    `EXTRACT_MAX_BYTES` -> max_bytes (larger bodies are archived but not extracted: reason
    `too-large`; parsing a 10 MB page costs about 11 s of CPU, which a hostile site could use).
    """

    favor_precision: bool = defaults.EXTRACT_FAVOR_PRECISION
    min_text_chars: int = defaults.EXTRACT_MIN_TEXT_CHARS
    opencc_default: str = defaults.EXTRACT_OPENCC_DEFAULT
    recall_fallback: bool = defaults.EXTRACT_RECALL_FALLBACK   # retry with favor_recall when precise output is too short
    container_filter: bool = defaults.EXTRACT_CONTAINER_FILTER  # drop feed/footer lines outside the main container
    pinyin_min_hits: int = defaults.EXTRACT_PINYIN_MIN_HITS    # injected readings needed before they are removed
    lexicon_path: str | None = defaults.EXTRACT_LEXICON        # boilerplate lexicon; None = packaged lexicon.toml
    include_tables: bool = defaults.EXTRACT_INCLUDE_TABLES
    convert_script: bool = defaults.EXTRACT_CONVERT_SCRIPT     # False keeps Traditional text (script still recorded)
    max_bytes: int = defaults.EXTRACT_MAX_BYTES                # bodies above this are not extracted ("too-large")
    fallback_share: float = defaults.EXTRACT_FALLBACK_SHARE    # full trafilatura pass when the fast one keeps less of the container
    rescue_share: float = defaults.EXTRACT_RESCUE_SHARE        # container's own lines when trafilatura keeps less of it (0: never)

    @classmethod
    def from_settings(cls, settings: object) -> "Extractor":
        """Build from a Scrapy `Settings` (``EXTRACT_*``, defaults in `crawler/settings.py`)."""
        s: Any = settings
        return cls(
            favor_precision=s.getbool("EXTRACT_FAVOR_PRECISION"),
            min_text_chars=s.getint("EXTRACT_MIN_TEXT_CHARS"),
            opencc_default=s.get("EXTRACT_OPENCC_DEFAULT"),
            recall_fallback=s.getbool("EXTRACT_RECALL_FALLBACK"),
            container_filter=s.getbool("EXTRACT_CONTAINER_FILTER"),
            pinyin_min_hits=s.getint("EXTRACT_PINYIN_MIN_HITS"),
            lexicon_path=s.get("EXTRACT_LEXICON"),
            include_tables=s.getbool("EXTRACT_INCLUDE_TABLES"),
            convert_script=s.getbool("EXTRACT_CONVERT_SCRIPT"),
            max_bytes=s.getint("EXTRACT_MAX_BYTES"),
            fallback_share=s.getfloat("EXTRACT_FALLBACK_SHARE"),
            rescue_share=s.getfloat("EXTRACT_RESCUE_SHARE"),
        )

    @property
    def lexicon(self) -> Lexicon:
        return Lexicon.load(self.lexicon_path or DEFAULT_LEXICON)


_PARSER = threading.local()


def _html_parser() -> lxml.html.HTMLParser:
    """lxml's HTML parser with a C-level element class lookup: every element is a plain
    `HtmlElement` (what trafilatura accepts) instead of lxml.html's per-tag Python lookup,
    which is called for every element proxy created and cost ~1.4 ms per page here.
    The per-tag classes (FormElement, InputElement, …) add form helpers nobody here uses."""
    parser = getattr(_PARSER, "html", None)
    if parser is None:   # one per thread: an lxml parser must not be shared between threads
        parser = lxml.html.HTMLParser(encoding="utf-8")
        parser.set_element_class_lookup(etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity))
        _PARSER.html = parser
    return parser


BINARY_NUL_SHARE = 0.01  # NUL bytes in the first 2 KiB above this share: a binary file


def _check_textual(body: bytes, url: str, headers: dict[str, str], max_bytes: int) -> bytes:
    """Refuse what is no HTML page; returns the body with stray NUL bytes removed."""
    if not body or not body.strip():
        raise NotAnArticle("empty-body", f"{url}: empty body")
    if max_bytes and len(body) > max_bytes:
        raise NotAnArticle("too-large", f"{url}: {len(body)} bytes, over EXTRACT_MAX_BYTES={max_bytes}")
    ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "").lower()
    if ctype and not any(t in ctype for t in _TEXTUAL_TYPES):
        raise NotAnArticle("not-html", f"{url}: content-type {ctype!r} is not HTML")
    if b"\x00" in body and not body.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = body[:2048]
        if head.count(b"\x00") > BINARY_NUL_SHARE * len(head):
            raise NotAnArticle("not-html", f"{url}: binary body (NUL bytes)")
        body = body.replace(b"\x00", b"")
    return body


def _chars(text: str) -> int:
    return len(_WS.sub("", text))


def _trafilatura(tree: lxml.html.HtmlElement, url: str, extractor: Extractor, container_chars: int,
                 listing: Callable[[], None]) -> str:
    """trafilatura's text of the prepared tree: fast pass, full pass, recall retry (module doc).
    When the fast pass finds no text and a recall retry may follow, `listing` runs first and
    may raise NotAnArticle (a listing page: the full pass and the retry would only return its
    rows; measured on the replay benchmark's 101 listing pages, ~25 ms a page saved)."""
    def run(**options: bool) -> str:
        return trafilatura.extract(tree, url=url, include_comments=False, include_tables=extractor.include_tables,
                                   output_format="txt", **options) or ""

    text = run(favor_precision=extractor.favor_precision, fast=True)
    if extractor.recall_fallback and _chars(text) < extractor.min_text_chars:
        listing()
    if _chars(text) < max(extractor.min_text_chars, extractor.fallback_share * container_chars):
        text = run(favor_precision=extractor.favor_precision)
    if extractor.recall_fallback and _chars(text) < extractor.min_text_chars:
        text = run(favor_recall=True)
    return text


def _container_lines(index: TextIndex, container: tuple[str, bool] | None, lines: list[str]) -> list[str]:
    """Drop leading/trailing lines outside the article's container (see module docstring).
    `container` is the densest container without an anchor (already known: it decided on
    trafilatura's fallback); with an anchor from the lines the search is repeated."""
    keys = [_WS.sub("", ln) for ln in lines]
    anchor = next((k[:30] for k in keys if len(k) >= 20 and len(_PROSE.findall(k)) >= 2 and k[:30] in index.text), "")
    found = main_container_text(index, anchor) if anchor else container
    if found is None:
        return lines
    container_text, rival = found
    inside = [bool(k) and k in container_text for k in keys]
    if not any(inside):
        return lines
    first = inside.index(True)
    last = len(inside) - 1 - inside[::-1].index(True)
    kept = lines[first:last + 1]
    kept_chars = sum(len(k) for k in keys[first:last + 1])
    total = sum(len(k) for k in keys) or 1
    if kept_chars >= 30 and (rival or kept_chars >= 0.5 * total):
        return kept
    return lines


RESCUE_MAX_PROSE_MARKS = 3   # trafilatura output with this many sentence marks is prose: kept
RESCUE_MAX_LINK_SHARE = 0.3  # rescued lines with more link text than this are a feed: not taken
RESCUE_INSIDE_SHARE = 0.9    # ... unless this share of it lies inside the densest container


_LIST_MARK = re.compile(r"^\s*- (?=\S)")


def _list_items(lines: list[str]) -> tuple[list[str], frozenset[str]]:
    """trafilatura writes a list item as a `- ` line: the marker goes, and the item's key is
    returned so that phrase-line joining keeps it a line of its own."""
    out, keys = [], set()
    for line in lines:
        if _LIST_MARK.match(line):
            line = _LIST_MARK.sub("", line)
            keys.add(heading_key(line))
        out.append(line)
    return out, frozenset(k for k in keys if k)


def _rescue_container(lines: list[str], found: Container | None, extractor: Extractor) -> list[str] | None:
    """The densest container's own lines when trafilatura kept less than `rescue_share` of
    its text, and what it kept is either next to no prose (fewer than
    `RESCUE_MAX_PROSE_MARKS` commas and full stops: table cells, labels, links) or lies
    inside the container's best element (a part of the same body: its first `<p>`, without
    the `<font>` runs or `<br>`-separated text after it; then that element's lines only, never
    a sibling's). A body in a table cell next to a metadata table
    that trafilatura prefers is the usual case. None keeps trafilatura's lines."""
    if found is None or extractor.rescue_share <= 0 or len(found.text) < extractor.min_text_chars:
        return None
    if len(_PROSE.findall(found.text)) < 3:
        return None
    kept_lines = [_WS.sub("", ln) for ln in lines]
    kept = "".join(kept_lines)
    elements = found.elements
    if len(_PROSE.findall(kept)) >= RESCUE_MAX_PROSE_MARKS:
        if found.best is None:
            return None
        best_text = _WS.sub("", "".join(found.best.itertext()))
        if len(kept) >= extractor.rescue_share * len(best_text):
            return None   # trafilatura kept as much text as the block holds
        inside = sum(len(k) for k in kept_lines if k and k in best_text)
        if inside < RESCUE_INSIDE_SHARE * len(kept):
            return None   # trafilatura kept prose of its own elsewhere: an article, not this block
        elements = [found.best]
    own = element_lines(elements)
    keys = [_WS.sub("", ln) for ln in own]
    total = sum(map(len, keys)) or 1
    covered = sum(len(k) for k in keys if k and k in kept)
    if covered >= extractor.rescue_share * total:
        return None
    return own


_PHOTO_CATEGORIES = frozenset({"caption", "photo-credit"})


def _clean_boilerplate(lines: list[str], lexicon: Lexicon) -> list[str]:
    """Lexicon cleaning; on a photo story (captions are most of the text) captions stay."""
    (kept, _), (relaxed, _) = lexicon.clean_sparing(lines, _PHOTO_CATEGORIES)
    if sum(map(len, kept)) < PHOTO_STORY_SHARE * sum(map(len, relaxed)):
        return relaxed
    return kept


def _simplify_field(value: str | None, profile: str | None, min_hits: int) -> str | None:
    if not value:
        return value
    value, _ = remove_pinyin(value, 1)
    return converter(profile).convert(value) if profile else value


LINK_LIST_SHARE = 0.5


# A listing row as CMSs print it: a headline link with its date before or after it, outside
# the link (`<li><a>标题</a><span>2024-10-12</span></li>`, `[10-12]`, `2024年10月12日 09:30`).
_DATE = r"(?:(?:19|20)\d{2}[-/.年])?\d{1,2}[-/.月]\d{1,2}日?(?:\d{1,2}:\d{2}(?::\d{2})?)?"
_ROW_DATE = re.compile(rf"^[\[(（【]?{_DATE}[\])）】]?|[\[(（【]?{_DATE}[\])）】]?$")


def _linked(anchors: set[str], lines: list[str]) -> tuple[int, int]:
    """(characters of `lines` that are whole link texts — alone or as a listing row, with
    the row's date —, all characters)."""
    total = linked = 0
    for line in lines:
        key = _WS.sub("", line).lstrip("-•·*#>|").strip()
        total += len(key)
        if key in anchors or _ROW_DATE.sub("", key, count=1) in anchors:
            linked += len(key)
    return linked, total


def _anchors(tree: lxml.html.HtmlElement, index: TextIndex) -> set[str]:
    anchors = {index.text_of(a) for a in tree.iter("a")}
    anchors.discard("")
    return anchors


def _reject_link_lists(anchors: set[str], lines: list[str], url: str) -> None:
    """A listing, index or navigation page: most of what trafilatura kept is the text of links
    (headlines pointing at articles). Such a page is no article (reason `link-list`)."""
    if not anchors:
        return
    linked, total = _linked(anchors, lines)
    if total and linked / total > LINK_LIST_SHARE:
        raise NotAnArticle("link-list", f"{url}: {linked}/{total} characters of the main text are link texts "
                                        "(a listing or index page)")


def extract_page(body: bytes, *, url: str, headers: dict[str, str], extractor: Extractor) -> Extraction:
    """Extract the article of one captured page; raises NotAnArticle when there is none."""
    cleaned = _check_textual(body, url, headers, extractor.max_bytes)
    decoded = decode_body(cleaned, headers)
    html = decoded.text
    if not _HTML_HINT.search(html[:65536]):
        raise NotAnArticle("not-html", f"{url}: no HTML markup in the body")
    try:
        tree = lxml.html.fromstring(html.encode("utf-8"), parser=_html_parser())
    except (ParserError, ValueError) as exc:
        raise NotAnArticle("not-html", f"{url}: cannot parse HTML: {exc}") from exc
    # lxml.html.fromstring returns a fragment's only element (a child of <body>) for some
    # inputs; everything below works on the whole document.
    tree = tree.getroottree().getroot()
    meta = read_metadata(tree, html, url)
    lang = tree.get("lang") or None
    layout = prepare_layout(tree)
    prune_tree(tree)                     # the original tree: layout has its own copy
    index = TextIndex.build(tree)
    found = main_container(index)
    container = (found.text, found.rival) if found is not None else None
    anchors = _anchors(tree, index)

    def listing_container() -> None:
        """trafilatura's fast pass found nothing and the densest block is rows of links: a
        listing page."""
        if found is not None:
            _reject_link_lists(anchors, element_lines(found.elements), url)

    text = _trafilatura(layout.tree, url, extractor, len(found.text) if found else 0, listing_container)
    lines = [ln for ln in text.split("\n") if ln.strip()]
    lines, items = _list_items(lines)
    rescued = _rescue_container(lines, found, extractor)
    if rescued is not None:
        linked, total = _linked(anchors, rescued)
        if total and linked / total > RESCUE_MAX_LINK_SHARE:
            rescued = None       # the densest block is a list of links (a feed): no body of this page
        else:
            lines = rescued
    _reject_link_lists(anchors, lines, url)
    if extractor.container_filter and lines and rescued is None:
        lines = _container_lines(index, container, lines)
    if meta.disclosure:                  # the notice is the text, its metadata table the fields
        lines = drop_table_lines(lines)
    prepared = prepare_text("\n".join(lines), url=url, opencc_default=extractor.opencc_default,
                            lang=lang, pinyin_min_hits=extractor.pinyin_min_hits,
                            convert=extractor.convert_script)
    quality = list(decoded.quality) + prepared.quality + (["nul-bytes-removed"] if cleaned is not body else [])
    profile = prepared.opencc_config
    title, _ = apply_spun(_simplify_field(meta.title, profile, extractor.pinyin_min_hits) or "")
    authors = [name for name in (_simplify_field(n, profile, 1) for n in meta.authors) if name]
    fields = PageMeta(title=title, published=meta.published,
                      source=_simplify_field(meta.source, profile, 1),
                      author=" ".join(authors) if authors else _simplify_field(meta.author, profile, 1),
                      editor=_simplify_field(meta.editor, profile, 1),
                      canonical_url=meta.canonical_url, authors=authors,
                      account=_simplify_field(meta.account, profile, 1), date_source=meta.date_source)
    lines = [ln.strip() for ln in prepared.text.split("\n") if ln.strip()]
    if lines and title and _WS.sub("", lines[0]) == _WS.sub("", title):
        lines = lines[1:]
    lines = take_byline_lines(lines, fields)
    lines = _clean_boilerplate(lines, extractor.lexicon)
    lines = [_END_MARK.sub("", ln) for ln in lines]
    lines = take_trailing_byline([ln for ln in lines if ln.strip()], fields)
    dateline_author(lines, fields)
    if not fields.author:
        fields.set_authors([name for name in (_simplify_field(n, profile, 1) for n in page_level_authors(tree, meta))
                            if name])
    text, finish_flags = finish_text(lines, layout.headings | items)
    if _chars(text) < extractor.min_text_chars:
        raise NotAnArticle("no-main-text", f"{url}: main text shorter than {extractor.min_text_chars} characters")
    return Extraction(
        title=fields.title, text=text, published=fields.published, source=fields.source,
        author=fields.author, editor=fields.editor, charset=decoded.charset,
        script=prepared.script, opencc_config=profile, canonical_url=fields.canonical_url,
        quality=list(dict.fromkeys(quality + finish_flags)),
        authors=list(fields.authors) or ([fields.author] if fields.author else []),
        account=fields.account, date_source=fields.date_source if fields.published else None,
        disclosure=dict(meta.disclosure),
    )

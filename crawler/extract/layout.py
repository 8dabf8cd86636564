"""Prepare a page's DOM for trafilatura: layout tables, text-only sections, heading lines.

`prepare_layout(tree)` works on (and changes) a copy of the parsed page and returns it with
what it learnt:
- layout tables become `<div>`s. A table is *layout* when it nests another table, when one of
  its cells holds a long text (>= `LONG_CELL` characters) or several paragraphs, when every row
  has at most one cell, or when most of its text is link text (a nav bar). Other tables are
  *data* tables (statistics inside an article) and stay tables, so `include_tables` keeps
  them as rows. Without this, trafilatura prints a county site's whole page — banner, nav,
  breadcrumb, body — as `| … |` table rows.
- comments and processing instructions are removed, the text around them kept (a CMS's
  `<!--keyword-->…<!--/keyword-->` markers inside a paragraph).
- inside the marked article body (below), a `<section>` that only wraps blocks is unwrapped
  (a WeChat dek boxed in nested sections is otherwise dropped by trafilatura's precision mode).
- a `<section>` holding text but no block element (WeChat writes one phrase per section)
  becomes a `<p>`; trafilatura drops bare sections.
- embedded media players (the block around a `<video>`/`<embed>`/`<object>` or an element
  whose class/id says `player`, up to `PLAYER_MAX_CHARS` of prose-free text: controls,
  speeds, error messages, durations) are removed.
- the body of a publishing system trafilatura does not know (`_CONTENT_XPATHS`: WeChat's
  `#js_content`, TRS's `.TRS_Editor`) is marked `itemprop=articleBody`; otherwise trafilatura
  falls back to collecting loose paragraphs, which merges repeated phrase lines.
- heading lines: short blocks (<= `HEADING_MAX_CHARS`) without sentence punctuation that the
  page marks as a heading (`<h2>`-`<h6>`, or a block whose text is all inside
  `<strong>`/`<b>`, or bold via inline style). `normalise.join_phrase_lines` keeps them as
  paragraphs of their own instead of gluing them onto the next phrase.
No settings: `Extractor.include_tables` decides what trafilatura does with the data tables.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from lxml import etree
from lxml.html import HtmlElement

from crawler.extract.density import strip_comments
from crawler.extract.dom import attribute_marks

__all__ = ["Layout", "prepare_layout", "is_layout_table", "heading_key"]

LONG_CELL = 150          # whitespace-free characters in one cell: prose, not data
HEADING_MAX_CHARS = 30
PLAYER_MAX_CHARS = 400   # a media player's controls and messages, never an article
_PROSE = re.compile(r"[，。；！？]")
_STOP_TAGS = {"body", "html", "article", "main"}
_WS = re.compile(r"\s+")
_BLOCKS = {"p", "div", "section", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
           "blockquote", "article", "form", "dl", "pre"}
_TABLE_PARTS = {"table", "tbody", "thead", "tfoot", "tr", "td", "th", "caption", "colgroup", "col"}
_HEADING_TAGS = {"h2", "h3", "h4", "h5", "h6"}
_BOLD_TAGS = {"strong", "b"}
_BOLD_STYLE = re.compile(r"font-weight\s*:\s*(?:bold|[6-9]00)", re.I)
_SENTENCE_PUNCT = re.compile(r"[。！？!?；;，,：:、…]")
_KEY = re.compile(r"[\W_]+")
# Article bodies of publishing systems trafilatura does not recognise: WeChat official
# accounts (`#js_content`, hidden until its script runs) and TRS, the CMS of most Chinese
# government sites (`.TRS_Editor`).
_CONTENT_XPATHS = (   # (a word the attribute must hold, the search)
    ("js_content", etree.XPath("//div[@id='js_content']")),
    ("TRS_Editor", etree.XPath("//div[contains(concat(' ', normalize-space(@class), ' '), ' TRS_Editor ')]")),
)
_ARTICLE_BODY = "articleBody"
_MARKED = etree.XPath("//*[@itemprop='articleBody']")
_HIDDEN = re.compile(r"(?:visibility\s*:\s*hidden|display\s*:\s*none)\s*;?", re.I)


@dataclass
class Layout:
    """The prepared tree and the heading lines found in it."""

    tree: HtmlElement
    headings: frozenset[str] = field(default_factory=frozenset)
    layout_tables: int = 0


def heading_key(text: str) -> str:
    """Comparison key of a line: letters, digits and Han characters only."""
    return _KEY.sub("", text)


def _text(el: HtmlElement) -> str:
    return _WS.sub("", "".join(el.itertext()))


def _rows(table: HtmlElement) -> list[HtmlElement]:
    """Rows of this table only (not of tables nested in its cells)."""
    rows = []
    for child in table:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "tr":
            rows.append(child)
        elif tag in ("tbody", "thead", "tfoot"):
            rows.extend(r for r in child if isinstance(r.tag, str) and r.tag == "tr")
    return rows


def is_layout_table(table: HtmlElement) -> bool:
    """True when `table` arranges the page rather than holding data (see module docstring)."""
    if any(True for _ in table.iterdescendants("table")):
        return True
    rows = _rows(table)
    cells = [c for r in rows for c in r if isinstance(c.tag, str) and c.tag in ("td", "th")]
    if not cells:
        return True
    if all(sum(1 for c in r if isinstance(c.tag, str) and c.tag in ("td", "th")) <= 1 for r in rows):
        return True
    text = _text(table)
    links = sum(len(_text(a)) for a in table.iter("a"))
    if text and links / len(text) >= 0.5 and len(cells) >= 3:
        return True
    for cell in cells:
        if len(_text(cell)) >= LONG_CELL:
            return True
        paragraphs = [b for b in cell.iterdescendants() if isinstance(b.tag, str) and b.tag in _BLOCKS
                      and len(_text(b)) >= 40]
        if len(paragraphs) >= 2:
            return True
    return False


def _unwrap_table(table: HtmlElement) -> None:
    for el in [table, *table.iterdescendants()]:
        if not isinstance(el.tag, str) or el.tag not in _TABLE_PARTS:
            continue
        if el is not table and (el.tag == "table" or _inside_data_table(el, table)):
            continue  # a nested table is decided on its own
        el.tag = "div"
        for name in ("width", "height", "align", "valign", "cellpadding", "cellspacing", "border"):
            el.attrib.pop(name, None)


def _inside_data_table(el: HtmlElement, layout: HtmlElement) -> bool:
    """True when `el` belongs to a table nested in `layout`."""
    for anc in el.iterancestors():
        if anc is layout:
            return False
        if anc.tag == "table":
            return True
    return False


def _is_heading(el: HtmlElement, text: str) -> bool:
    if not text or len(text) > HEADING_MAX_CHARS or _SENTENCE_PUNCT.search(text):
        return False
    if el.tag in _HEADING_TAGS:
        return True
    if _BOLD_STYLE.search(el.get("style") or ""):
        return True
    bold = "".join(t for b in el.iter(*_BOLD_TAGS) for t in b.itertext())
    if not bold:
        bold = "".join(t for s in el.iter("span") if _BOLD_STYLE.search(s.get("style") or "")
                       for t in s.itertext())
    return _WS.sub("", bold) == text


def _mark_content(tree: HtmlElement, marks: str) -> bool:
    """Name the article body of well-known publishing systems for trafilatura (see docstring);
    True when the tree has a marked body. Each search runs only when its word is in the
    tree's attribute `marks`."""
    if _ARTICLE_BODY in marks and _MARKED(tree):
        return True
    for word, xpath in _CONTENT_XPATHS:
        if word not in marks:
            continue
        found = xpath(tree)
        if len(found) == 1 and len(_text(found[0])) >= 50:
            found[0].set("itemprop", _ARTICLE_BODY)
            style = found[0].get("style") or ""
            if "hidden" in style or "none" in style:
                found[0].set("style", _HIDDEN.sub("", style))
            return True
    return False


def _unwrap_sections(tree: HtmlElement) -> None:
    """Inside the marked article body, a `<section>` that only wraps blocks (no text of its
    own) is replaced by its children: WeChat boxes a dek or a quote in nested sections, and
    trafilatura's precision mode drops such a wrapped first paragraph."""
    for body in _MARKED(tree)[:1]:
        for section in list(body.iter("section")):
            if (section.text or "").strip() or any((child.tail or "").strip() for child in section):
                continue
            if any(isinstance(child.tag, str) and child.tag in _BLOCKS for child in section):
                section.drop_tag()


def _remove(el: HtmlElement) -> None:
    parent = el.getparent()
    if parent is None:
        return
    if el.tail and el.tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


_NAMED_PLAYERS = etree.XPath("//*[contains(translate(@class, 'PLAYER', 'player'), 'player') or "
                             "contains(translate(@id, 'PLAYER', 'player'), 'player')]")


def _drop_players(tree: HtmlElement, marks: str) -> int:
    """Remove embedded media players: the widest block around a `<video>`/`<embed>`/`<object>`
    (or an element named `…player…`) whose text is short and holds no prose. The search by
    name runs only when the tree's attribute `marks` hold the word (`dom.attribute_marks`)."""
    starts = list(tree.iter("video", "embed", "object"))
    if "player" in marks.lower():
        starts += _NAMED_PLAYERS(tree)
    removed = 0
    for start in starts:
        if start.getparent() is None or start.tag == "body":
            continue
        top = start if _is_widget(start) else None
        for anc in start.iterancestors():
            if anc.tag in _STOP_TAGS or not _is_widget(anc):
                break
            top = anc
        if top is not None and top.getroottree().getroot() is tree:
            _remove(top)
            removed += 1
    return removed


def _is_widget(el: HtmlElement) -> bool:
    text = _text(el)
    return len(text) <= PLAYER_MAX_CHARS and len(_PROSE.findall(text)) < 3 and not any(
        len(_text(p)) >= 40 for p in el.iter("p"))


def prepare_layout(tree: HtmlElement) -> Layout:
    """A prepared copy of `tree` (see module docstring); `tree` itself is not changed."""
    tree = copy.deepcopy(tree)
    strip_comments(tree)
    marks = attribute_marks(tree)        # before any change: a superset of what is left
    _drop_players(tree, marks)
    if _mark_content(tree, marks):
        _unwrap_sections(tree)
    tables = list(tree.iter("table"))
    layout = [t for t in tables if is_layout_table(t)]
    for table in layout:
        _unwrap_table(table)
    headings: set[str] = set()
    for el in tree.iter("section", "p", "div", *_HEADING_TAGS):
        if any(isinstance(c.tag, str) and c.tag in _BLOCKS for c in el.iterdescendants()):
            continue
        text = _text(el)
        if el.tag == "section" and text:
            el.tag = "p"
        if _is_heading(el, text):
            headings.add(heading_key(text))
    return Layout(tree, frozenset(h for h in headings if h), len(layout))

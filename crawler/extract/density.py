"""Find the main article container by text density, readability-style, on the lxml DOM.

Every paragraph-like block (a `<p>`, or a `<div>`/`<td>`/`<section>` holding text of its
own) gives its parent a score (1 + Chinese/Latin commas + length/100, capped) and its
grandparent half of it; a candidate's score is scaled by (1 - link density). The best
candidate plus siblings scoring at least a fifth of it form the main container. The
extractor uses its text to drop lines trafilatura kept from outside the article
(recommendation feeds, infinite-scroll follow-ups). Setting: `Extractor.container_filter`.

One walk over the tree (`TextIndex`) gives the page's whitespace-free text and, for every
element, the span of it that the element holds, so an element's text is a slice of one
string instead of a fresh walk over its subtree (a page's ancestors would otherwise be
walked once per candidate).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

__all__ = ["Container", "TextIndex", "element_lines", "main_container", "main_container_text", "prune_tree",
           "strip_comments"]

_DROP = {"script", "style", "noscript", "iframe", "svg", "form", "button", "select", "textarea", "head"}
_PARA = {"p", "pre", "blockquote", "h2", "h3", "h4", "li", "font", "span"}
_BLOCKY = {"div", "td", "section", "article", "main", "center", "dd"}
_PUNCT = re.compile(r"[，,。、；;！？!?：]")
_PARA_MIN = 15     # whitespace-free characters a paragraph needs to score
_BLOCKY_MIN = 20   # ... and a div/td/section of its own text
_MIN_SCORED = min(_PARA_MIN, _BLOCKY_MIN)


def _squeeze(text: str | None) -> str:
    """The text without any whitespace (Unicode whitespace, as `\\s` in a regex)."""
    return "".join(text.split()) if text else ""


@dataclass
class TextIndex:
    """The whitespace-free text of a tree (`text`, as `"".join(tree.itertext())` without
    whitespace) and the `[start, end)` span of it each element holds (`spans`), built in one
    walk. Comments and processing instructions contribute their tails only, as in itertext."""

    text: str
    spans: dict[etree._Element, tuple[int, int]] = field(default_factory=dict)
    scores: dict[etree._Element, float] = field(default_factory=dict)   # paragraph scores (see module doc)
    link_chars: dict[etree._Element, int] = field(default_factory=dict)  # text of <a> descendants

    @classmethod
    def build(cls, tree: etree._Element) -> "TextIndex":
        chunks: list[str] = []
        append = chunks.append
        size = 0
        spans: dict[etree._Element, tuple[int, int]] = {}
        scores: dict[etree._Element, float] = {}
        link_chars: dict[etree._Element, int] = {}
        open_: list[etree._Element] = []  # the elements the walk is inside of
        starts: list[tuple[int, int]] = []  # where each open element's text starts (char, chunk)
        dropped = 0                       # open elements whose text never counts (_DROP)
        root = tree
        # one loop with local names: this walk is a fifth of the extraction layer's own time
        for event, el in etree.iterwalk(tree, events=("start", "end")):
            tag = el.tag
            if not isinstance(tag, str):  # comment / PI: no text of its own, its tail counts
                if event == "end" and el is not root:
                    tail = el.tail
                    if tail and (tail := "".join(tail.split())):
                        append(tail)
                        size += len(tail)
                continue
            tag = tag.lower()
            if event == "start":
                starts.append((size, len(chunks)))
                open_.append(el)
                if tag in _DROP:
                    dropped += 1
                text = el.text
                if text and (text := "".join(text.split())):
                    append(text)
                    size += len(text)
                continue
            start, first = starts.pop()
            spans[el] = (start, size)
            open_.pop()
            if tag == "a" and size > start:
                for outer in open_:
                    link_chars[outer] = link_chars.get(outer, 0) + size - start
            if tag in _DROP:
                dropped -= 1
            elif not dropped and open_ and size - start >= _MIN_SCORED and (tag in _PARA or tag in _BLOCKY):
                # parent and grandparent as the walk saw them: never an ancestor of the root
                _score_block(el, tag, chunks, first, start, size, scores, open_[-1],
                             open_[-2] if len(open_) > 1 else None)
            if el is not root:
                tail = el.tail
                if tail and (tail := "".join(tail.split())):
                    append(tail)
                    size += len(tail)
        return cls("".join(chunks), spans, scores, link_chars)

    def text_of(self, el: etree._Element) -> str:
        start, end = self.spans.get(el, (0, 0))
        return self.text[start:end]


def _score_block(el: etree._Element, tag: str, chunks: list[str], first: int, start: int, end: int,
                 scores: dict[etree._Element, float], parent: etree._Element,
                 grand: etree._Element | None) -> None:
    """Add a paragraph-like block's score to its parent and half of it to its grandparent
    (both inside the walked tree: a walk may start below the document root). The element's
    text is `chunks[first:]` (spanning `start`–`end`): its own and its descendants'."""
    if tag in _PARA:
        if end - start < _PARA_MIN:
            return
        text = "".join(chunks[first:])
    elif tag in _BLOCKY:
        text = _squeeze(el.text) + "".join(_squeeze(child.tail) for child in el)
        if len(text) < _BLOCKY_MIN:
            return
    else:
        return
    score = 1 + len(_PUNCT.findall(text)) + min(len(text) / 100, 3)
    scores[parent] = scores.get(parent, 0.0) + score
    if grand is not None:
        scores[grand] = scores.get(grand, 0.0) + score / 2


@dataclass
class Container:
    """The densest container: its elements (the best one and its strong siblings), their
    whitespace-free text, and whether a denser container without the anchor exists."""

    elements: list[etree._Element]
    text: str
    rival: bool
    best: etree._Element | None = None   # the best-scoring element itself (elements hold it)


def main_container(index: TextIndex, anchor: str = "") -> Container | None:
    """The densest container (see `main_container_text`), or None when nothing scores."""
    if not index.scores:
        return None
    full = index.text
    ranked: list[tuple[float, etree._Element]] = []
    rival = 0.0
    for el, score in index.scores.items():
        span = index.spans.get(el)
        if span is None:
            continue
        start, end = span
        linked = index.link_chars.get(el, 0)
        total = (end - start) or 1
        weighted = score * (1 - min(linked / total, 1.0))
        if anchor and full.find(anchor, start, end) < 0:
            rival = max(rival, weighted)
            continue
        ranked.append((weighted, el))
    if not ranked:
        return None
    best_score, best = max(ranked, key=lambda pair: pair[0])
    if best_score <= 0:
        return None
    elements = [best]
    parent = best.getparent()
    if parent is not None:
        by_el = {el: s for s, el in ranked}
        elements = [sibling for sibling in parent if sibling is best
                    or by_el.get(sibling, 0.0) >= best_score * 0.2]
    return Container(elements, "".join(index.text_of(el) for el in elements), rival > best_score, best)


def main_container_text(index: TextIndex, anchor: str = "") -> tuple[str, bool] | None:
    """Whitespace-free text of the densest container and whether a denser container without
    the anchor exists elsewhere (a feed of other articles); None when nothing scores.

    With `anchor` (whitespace-free text of the article's first paragraph as trafilatura saw
    it), only containers holding that text compete: on pages that append a feed of other
    articles, the feed is often denser than the article itself."""
    found = main_container(index, anchor)
    return (found.text, found.rival) if found is not None else None


_LINE_BREAKS = {"p", "div", "br", "li", "tr", "td", "th", "section", "article", "h1", "h2", "h3", "h4", "h5",
                "h6", "table", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "center", "hr", "form"}


def element_lines(elements: list[etree._Element]) -> list[str]:
    """The text of `elements` as lines: a break at every block element and `<br>` (a body
    written as `<font>` runs or text between `<br>`s has no paragraphs of its own); text of
    scripts, styles and form controls never counts."""
    lines: list[str] = []
    current: list[str] = []

    def brk() -> None:
        line = " ".join("".join(current).split())
        if line:
            lines.append(line)
        current.clear()

    for root in elements:
        dropped = 0
        for event, el in etree.iterwalk(root, events=("start", "end")):
            tag = el.tag.lower() if isinstance(el.tag, str) else ""
            if event == "start":
                if tag in _DROP:
                    dropped += 1
                elif tag in _LINE_BREAKS:
                    brk()
                if not dropped and tag and el.text:
                    current.append(el.text)
                continue
            if tag in _DROP:
                dropped -= 1
            elif tag in _LINE_BREAKS:
                brk()
            if not dropped and el is not root and el.tail:
                current.append(el.tail)
        brk()
    return lines


def prune_tree(tree: etree._Element) -> None:
    """Remove nodes whose text never belongs to an article (scripts, styles, comments,
    processing instructions); the text after each removed node stays where it was."""
    etree.strip_elements(tree, etree.Comment, etree.ProcessingInstruction, "script", "style", "noscript",
                         with_tail=False)


def strip_comments(tree: etree._Element) -> None:
    """Remove comments and processing instructions, keeping the text around them: CMSs mark
    keywords inside a paragraph (`<!--keyword-->医共体<!--/keyword-->`), and a parser that
    drops a comment with its tail loses the words after it."""
    etree.strip_elements(tree, etree.Comment, etree.ProcessingInstruction, with_tail=False)

"""Find the main article container by text density, readability-style, on the lxml DOM.

Every paragraph-like block (a `<p>`, or a `<div>`/`<td>`/`<section>` holding text of its
own) gives its parent a score (1 + Chinese/Latin commas + length/100, capped) and its
grandparent half of it; a candidate's score is scaled by (1 - link density). The best
candidate plus siblings scoring at least a fifth of it form the main container. The
extractor uses its text to drop lines trafilatura kept from outside the article
(recommendation feeds, infinite-scroll follow-ups). Setting: `Extractor.container_filter`.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement

__all__ = ["main_container_text"]

_DROP = {"script", "style", "noscript", "iframe", "svg", "form", "button", "select", "textarea", "head"}
_PARA = {"p", "pre", "blockquote", "h2", "h3", "h4", "li", "font", "span"}
_BLOCKY = {"div", "td", "section", "article", "main", "center", "dd"}
_CANDIDATES = {"div", "td", "section", "article", "main", "center", "dd", "tbody", "table", "body", "ul", "font", "span"}
_PUNCT = re.compile(r"[，,。、；;！？!?：]")
_WS = re.compile(r"\s+")


def _text(el: HtmlElement) -> str:
    return _WS.sub("", "".join(el.itertext()))


def _own_text_len(el: HtmlElement) -> int:
    own = (el.text or "") + "".join((child.tail or "") for child in el)
    return len(_WS.sub("", own))


def main_container_text(tree: HtmlElement, anchor: str = "") -> tuple[str, bool] | None:
    """Whitespace-free text of the densest container and whether a denser container without
    the anchor exists elsewhere (a feed of other articles); None when nothing scores.

    With `anchor` (whitespace-free text of the article's first paragraph as trafilatura saw
    it), only containers holding that text compete: on pages that append a feed of other
    articles, the feed is often denser than the article itself."""
    scores: dict[HtmlElement, float] = {}
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        if tag in _DROP:
            continue
        if tag in _PARA:
            text = _text(el)
        elif tag in _BLOCKY and _own_text_len(el) >= 20:
            text = _WS.sub("", (el.text or "") + "".join((c.tail or "") for c in el))
        else:
            continue
        if len(text) < 15:
            continue
        if any(anc.tag in _DROP for anc in el.iterancestors() if isinstance(anc.tag, str)):
            continue
        score = 1 + len(_PUNCT.findall(text)) + min(len(text) / 100, 3)
        parent = el.getparent()
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0.0) + score
        grand = parent.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0.0) + score / 2
    if not scores:
        return None
    # link text per candidate in one pass over the links (not one pass per candidate)
    link_len: dict[HtmlElement, int] = {}
    for a in tree.iter("a"):
        length = len(_text(a))
        if length:
            for anc in a.iterancestors():
                if anc in scores:
                    link_len[anc] = link_len.get(anc, 0) + length
    ranked: list[tuple[float, HtmlElement]] = []
    rival = 0.0
    texts: dict[HtmlElement, str] = {}
    for el, score in scores.items():
        text = texts[el] = _text(el)
        if anchor and anchor not in text:
            rival = max(rival, score * (1 - min(link_len.get(el, 0) / (len(text) or 1), 1.0)))
            continue
        total = len(text) or 1
        ranked.append((score * (1 - min(link_len.get(el, 0) / total, 1.0)), el))
    if not ranked:
        return None
    best_score, best = max(ranked, key=lambda pair: pair[0])
    if best_score <= 0:
        return None
    parts = [texts[best]]
    parent = best.getparent()
    if parent is not None:
        by_el = {el: s for s, el in ranked}
        for sibling in parent:
            if sibling is not best and by_el.get(sibling, 0.0) >= best_score * 0.2:
                parts.append(texts[sibling])
    return "".join(parts), rival > best_score


def prune_tree(tree: HtmlElement) -> None:
    """Remove nodes whose text never belongs to an article (scripts, styles, comments)."""
    for el in list(tree.iter(etree.Comment, "script", "style", "noscript")):
        parent = el.getparent()
        if parent is not None:
            tail = el.tail
            parent.remove(el)
            if tail:
                prev = el.getprevious()
                if prev is not None:
                    prev.tail = (prev.tail or "") + tail
                else:
                    parent.text = (parent.text or "") + tail

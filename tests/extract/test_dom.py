"""`crawler.extract.dom`: the cheap lookups give what lxml's own searches give, on any tree."""

from __future__ import annotations

from pathlib import Path

import lxml.html
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from crawler.extract.dom import attribute_marks, first_descendant
from support import unavailable

EVAL_PAGES = Path(__file__).resolve().parents[3] / "shared" / "eval" / "pages"
TAGS = ["html", "head", "body", "title", "div", "p", "span", "a", "table", "td", "link"]


@st.composite
def soups(draw: st.DrawFn) -> str:
    """Tag soup: nested, unclosed and misplaced heads, bodies and titles, with attributes."""
    parts = []
    for _ in range(draw(st.integers(0, 25))):
        tag = draw(st.sampled_from(TAGS))
        kind = draw(st.sampled_from(["open", "close", "text"]))
        if kind == "open":
            attr = draw(st.sampled_from(["", ' class="a player"', ' id="js_content"', ' itemprop="articleBody"',
                                         ' rel="canonical"', ' class="TRS_Editor x"']))
            parts.append(f"<{tag}{attr}>")
        elif kind == "close":
            parts.append(f"</{tag}>")
        else:
            parts.append(draw(st.sampled_from(["文本", "x", " ", "<!-- c -->"])))
    return "".join(parts) or "<p>x</p>"


def _check(tree: etree._Element) -> None:
    for tag in ("body", "title", "head", "p", "td", "nothing"):
        assert first_descendant(tree, tag) is tree.find(f".//{tag}")
    values = tree.xpath("//@class|//@id|//@itemprop")
    assert attribute_marks(tree).split() == " ".join(values).split()


@settings(max_examples=200, deadline=None)
@given(soups())
def test_first_descendant_is_find_on_tag_soup(html: str) -> None:
    try:
        tree = lxml.html.fromstring("<p>x</p>" + html)
    except etree.ParserError:
        return
    _check(tree)
    _check(tree.getroottree().getroot())


def test_first_descendant_is_find_on_real_pages() -> None:
    pages = sorted(EVAL_PAGES.glob("*.html"))
    if not pages:
        unavailable(f"{EVAL_PAGES} is missing")
    for path in pages:
        root = lxml.html.fromstring(path.read_bytes()).getroottree().getroot()
        _check(root)

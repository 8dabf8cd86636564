"""Cheap lookups on an lxml tree that the extraction layer makes on every page.

`first_descendant(tree, tag)` is `tree.find(".//tag")` without its cost: lxml's tag iterator
looks ahead for the next match, so finding the only `<body>` or `<title>` scans the whole
document (about 30 µs on the replay benchmark's pages); here the look-ahead stays inside the
child that holds the match (`<head>` for a title), a few µs. `attribute_marks(tree)` joins
every `class`, `id` and `itemprop` value of the tree once, so that an XPath search for an
element named by one of them (players, CMS article bodies) runs only when its word occurs
(one attribute pass instead of four descendant searches per page). No settings.
"""

from __future__ import annotations

from lxml import etree

__all__ = ["attribute_marks", "first_descendant"]

_MARKS = etree.XPath("//@class|//@id|//@itemprop", smart_strings=False)


def first_descendant(tree: etree._Element, tag: str) -> etree._Element | None:
    """The first descendant of `tree` named `tag` in document order (`tree.find(".//" + tag)`)."""
    for child in tree:
        if child.tag == tag:
            return child
        found = next(child.iterdescendants(tag), None)
        if found is not None:
            return found
    return None


def attribute_marks(tree: etree._Element) -> str:
    """Every `class`, `id` and `itemprop` value in the document of `tree`, space-joined."""
    return " ".join(_MARKS(tree))

"""Listing pages are no articles, however a CMS prints its rows; the articles they list are.

The CMS fixture sites (`crawler.demo.cms_sites`) render each family's listing the way that CMS
does; a replay or an ad-hoc crawl extracts every page it meets, listings included. A row is a
headline link with its date outside the link (`<li><a>标题</a><span>2025-05-20</span></li>`):
such rows are link text, so a page made of them is rejected as `link-list`.
"""

from __future__ import annotations

import pytest

from crawler.demo.cms_sites import build
from crawler.extract import Extractor, NotAnArticle, extract_page

# families whose listing pages are server-rendered rows of headline + date (the others ship
# an empty shell whose rows come from script or an API: `no-main-text`)
DATED_ROWS = ("trs", "trs6", "dede", "empire")


@pytest.mark.parametrize("family", DATED_ROWS)
def test_every_listing_page_is_rejected_as_a_link_list(family: str) -> None:
    fam = build(family)
    extractor = Extractor()
    listings = [fam.listing, *fam.listing_pages]
    for path in dict.fromkeys(listings):
        ctype, body = fam.pages[path]
        with pytest.raises(NotAnArticle) as caught:
            extract_page(body, url=f"http://cms.example{path}", headers={"Content-Type": ctype}, extractor=extractor)
        assert caught.value.reason == "link-list", f"{family} {path}: {caught.value}"


@pytest.mark.parametrize("family", DATED_ROWS)
def test_the_listed_articles_stay_articles(family: str) -> None:
    fam = build(family)
    extractor = Extractor()
    for path in fam.articles:
        ctype, body = fam.pages[path]
        result = extract_page(body, url=f"http://cms.example{path}", headers={"Content-Type": ctype},
                              extractor=extractor)
        assert len(result.text) >= extractor.min_text_chars, f"{family} {path}"


def test_a_dated_row_inside_an_article_does_not_make_it_a_listing() -> None:
    rows = "".join(f'<li><a href="/a{i}.html">相关新闻标题第{i}条内容</a><span>2025-05-{10 + i}</span></li>'
                   for i in range(3))
    prose = "".join(f"<p>县医共体建设第{i}阶段推进顺利，群众就医更加便捷，基层服务能力明显提升，分级诊疗格局逐步形成。</p>"
                    for i in range(6))
    html = (f"<html><head><title>县医共体建设</title></head><body><h1>县医共体建设</h1><div class='article'>"
            f"{prose}</div><ul class='related'>{rows}</ul></body></html>").encode()
    result = extract_page(html, url="http://cms.example/a.html", headers={}, extractor=Extractor())
    assert "分级诊疗格局逐步形成" in result.text


def test_a_row_date_counts_on_either_side_and_in_brackets() -> None:
    from crawler.extract import _linked

    rows = ["[10-12]县医院新闻标题", "县医院新闻标题 2024-10-12", "（2024年10月12日）县医院新闻标题"]
    linked, total = _linked({"县医院新闻标题"}, rows)
    assert linked == total
    assert _linked({"县医院新闻标题"}, ["县医院新闻标题的后续报道内容"]) == (0, 14)

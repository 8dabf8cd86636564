"""Pagination discovery (`spiders.pagination`) on each CMS family's listing markup, without
Scrapy: the fixture sites of `crawler.demo.cms_sites` walked page by page the way the spider
walks them, and the schemes one by one on small pages."""

from __future__ import annotations

import json
import re

import pytest
from w3lib.encoding import html_to_unicode

from crawler.demo.cms_sites import FAMILIES, CmsSite, build
from spiders.pagination import body_kind, detect_family, discover, template_url

FAMILY_OF = {"trs": "trs", "trs6": "trs", "jcms": "jcms", "jcmspage": "jcms", "dede": "dedecms",
             "empire": "empirecms", "gkmlpt": "gkmlpt", "wordpress": "wordpress", "hexo": "hexo"}


def walk(site: CmsSite, article_links: str | None, max_pages: int = 50) -> tuple[list[str], list[str], list]:
    """Follow `next_url` from the listing page as the spider does; (listing URLs, articles, results)."""
    base = site.base_url
    url: str | None = base + site.family.listing
    seen: list[str] = []
    found: list[str] = []
    results = []
    size = None
    while url and len(seen) < max_pages:
        seen.append(url)
        answer = site.answer(url[len(base):])
        if answer is None:
            break
        ctype, body = answer
        _, text = html_to_unicode(ctype, body)
        res = discover(url, text, content_type=ctype, article_links=article_links, visited=seen,
                       in_scope=lambda u: u.startswith(base), page_size=size)
        results.append(res)
        found += [a for a in res.articles if a not in found]
        url, size = res.next_url, size or res.page_size
    return seen, found, results


@pytest.mark.parametrize("family", FAMILIES)
def test_every_article_of_every_family_with_pages_plus_one_requests(family: str) -> None:
    with CmsSite(family) as site:
        fam = site.family
        seen, found, results = walk(site, fam.article_links)
        assert sorted(found) == sorted(site.base_url + a for a in fam.articles)
        assert len(seen) <= len(fam.listing_pages) + 1
        assert [s.removeprefix(site.base_url) for s in seen] == fam.listing_pages
        assert results[0].family == FAMILY_OF[family]
        assert results[0].next_url is not None and results[-1].next_url is None
        # each page's articles are that page's own (no listing page counted as an article)
        assert not set(found) & set(seen)


@pytest.mark.parametrize("family", ["trs", "jcms", "dede", "gkmlpt", "hexo"])
def test_zero_configuration_without_article_links(family: str) -> None:
    with CmsSite(family) as site:
        seen, found, _ = walk(site, None)
        assert set(site.base_url + a for a in site.family.articles) <= set(found)
        assert len(seen) == len(site.family.listing_pages)


def test_max_pages_bounds_the_walk() -> None:
    with CmsSite("trs") as site:
        seen, found, _ = walk(site, site.family.article_links, max_pages=2)
        assert len(seen) == 2 and len(found) == 16


def test_trs_page_zero_is_index_and_the_pager_is_script_only() -> None:
    fam = build("trs")
    _, text = html_to_unicode(*fam.pages[fam.listing])
    assert "index_1.html\"" not in text.split("<script")[0]       # no <a> to page 2 in the HTML
    res = discover("http://h/xwzx/gzdt/index_1.html", fam.pages["/xwzx/gzdt/index_1.html"][1].decode())
    assert res.scheme == "createPageHTML" and res.current == 2 and res.total_pages == 3
    assert res.next_url == "http://h/xwzx/gzdt/index_2.html"
    folder = discover("http://h/xwzx/gzdt/", text)                    # the folder URL is page 0 too
    assert folder.next_url == "http://h/xwzx/gzdt/index_1.html"


@pytest.mark.parametrize(("script", "url", "expected"), [
    ('createPageHTML(5, 0, "index", "shtml");', "http://h/a/index.shtml", ["index_1.shtml", "index_4.shtml"]),
    ("createPageHTML('page_div', 22, 1, 'common_list', 'shtml', 325);", "http://h/a/common_list.shtml",
     ["common_list_2.shtml", "common_list_22.shtml"]),
    ("createPageHTML('page_div',22, 21, 'common_list','shtml',325);", "http://h/a/common_list_21.shtml",
     ["common_list_22.shtml", "common_list_22.shtml"]),
    ("var countPage = 4//共多少页\nvar currentPage = 1;\ncreatePageHTML(countPage, currentPage, \"index\", \"html\");",
     "http://h/a/index_1.html", ["index_2.html", "index_3.html"]),
    ('var currentPage = 0;//所在页从0开始\nvar countPage = 3//共多少页\n'
     'document.write("<a href=\\"index" + "_" + nextPage + "." + "html\\">下一页</a>");', "http://h/a/index.html",
     ["index_1.html", "index_2.html"]),
])
def test_create_page_html_forms(script: str, url: str, expected: list[str]) -> None:
    page = f"<html><body><ul></ul><div class='page'><script>{script}</script></div></body></html>"
    res = discover(url, page)
    assert res.family == "trs" and res.scheme == "createPageHTML"
    assert res.next_url == "http://h/a/" + expected[0]
    assert res.pages[-1] == "http://h/a/" + expected[1]


def test_last_trs_page_has_no_next() -> None:
    res = discover("http://h/a/index_4.html", "<script>createPageHTML(5, 4, 'index', 'html');</script>")
    assert res.next_url is None and res.pages == []


def test_jcms_dataproxy_answers_are_xml_and_page_on() -> None:
    fam = build("jcms")
    from crawler.demo.cms_sites import dataproxy

    xml = dataproxy(fam, "startrecord=9&endrecord=16&perpage=4&columnid=1229&unitid=4567").decode()
    assert body_kind(xml, "text/xml") == "xml"
    res = discover("http://h/module/web/jpage/dataproxy.jsp?startrecord=9&endrecord=16&perpage=4&columnid=1229",
                   xml, content_type="text/xml", article_links=fam.article_links)
    assert res.family == "jcms" and len(res.articles) == 8 and res.current == 2 and res.total_pages == 3
    assert "startrecord=17&endrecord=22" in (res.next_url or "")


def test_jcms_nextgroup_page_form() -> None:
    xml = ("<datastore><totalrecord>1928</totalrecord><totalpage>20</totalpage><recordset><record><![CDATA["
           "<li class=\"cf\"><a target=\"_blank\" href=\"/art/2026/9/16/art_77278_11830771.html\">x</a></li>]]>"
           "</record></recordset></datastore>")
    url = "http://h/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=67&path=/&columnid=77278&unitid=303271"
    res = discover(url, xml)
    assert res.articles == ["http://h/art/2026/9/16/art_77278_11830771.html"]
    assert res.next_url == url.replace("page=1", "page=2") and len(res.pages) == 19


def test_json_listing_articles_and_pages() -> None:
    body = json.dumps({"code": 0, "data": {"list": [
        {"title": "a", "link": "/news/2025/0304/123.html", "thumb": "/img/1.jpg"},
        {"title": "b", "link": "http://h/news/2025/0305/124.html"}], "pageSize": 2, "total": 7}})
    res = discover("http://h/api/list?page=1&col=5", body, content_type="application/json",
                   article_links=r"/news/\d{4}/\d{4}/\d+\.html$")
    assert res.kind == "json" and res.articles == ["http://h/news/2025/0304/123.html", "http://h/news/2025/0305/124.html"]
    assert res.total_pages == 4 and res.next_url == "http://h/api/list?page=2&col=5"


@pytest.mark.parametrize("body", ["{not json", "[]", '{"articles": []}', "null", '"x"', "<?xml version='1.0'?><a>",
                                  "<datastore><recordset></recordset></datastore>", "", "\x00\x01"])
def test_broken_or_empty_listing_bodies_never_raise(body: str) -> None:
    for ctype in ("application/json", "text/xml", "text/html", None):
        res = discover("http://h/list?page=1", body, content_type=ctype, article_links=r"/a/")
        assert res.articles == [] and res.next_url is None


def test_labels_classes_and_numbers() -> None:
    base = "http://h/list/"
    cases = {
        '<a href="p2.html" aria-label="下一页"><svg></svg></a>': "p2.html",
        '<a href="p2.html" title="下一页"><img src="/i/arrow.png"></a>': "p2.html",
        '<li class="next"><a href="p2.html">&gt;</a></li>': "p2.html",
        '<a class="next page-numbers" href="/page/2/">下一页 &raquo;</a>': "/page/2/",
        '<div class="nav-previous"><a href="/page/2/">较早文章</a></div>': "/page/2/",
        '<span class="page-numbers current">1</span><a class="page-numbers" href="/page/2/">2</a>': "/page/2/",
        '<a href="p1.html">第1页</a><b>第2页</b><a href="p3.html">第3页</a>': "p3.html",
        '<a href="index_3.html"><img src="/skin/images/next.gif" border="0"></a>': "index_3.html",
        '<link rel="next" href="/page/2/">': "/page/2/",
        '<a href="javascript:void(0)">下一页</a><a href="?page=2">下一页</a>': "?page=2",
    }
    for markup, target in cases.items():
        res = discover(base, f"<html><head></head><body><div class='pages'>{markup}</div></body></html>")
        assert res.next_url == "http://h" + target if target.startswith("/") else base + target, markup
    none = discover(base, "<html><body><a href='/about.html'>关于我们</a><a href='/list/'>1</a></body></html>")
    assert none.next_url is None


def test_article_links_inside_scripts_and_cdata() -> None:
    page = """<html><body><script>document.write('<li><a href="/art/2025/3/4/art_9_1.html">x</a></li>');
var list = ["/art/2025/3/5/art_9_2.html"];</script>
<script type="text/xml"><datastore><recordset><record><![CDATA[<a href='/art/2025/3/6/art_9_3.html'>y</a>]]></record>
</recordset></datastore></script></body></html>"""
    res = discover("http://h/col/col9/index.html", page, article_links=r"/art/\d{4}/")
    assert res.articles == [f"http://h/art/2025/3/{d}/art_9_{n}.html" for n, d in ((1, 4), (3, 6), (2, 5))] or \
        sorted(res.articles) == sorted(f"http://h/art/2025/3/{d}/art_9_{n}.html" for n, d in ((1, 4), (2, 5), (3, 6)))


def test_template_and_family_override() -> None:
    assert template_url("http://h/news/", "index_{n}.html", 3) == "http://h/news/index_3.html"
    assert template_url("http://h/news/", "index_{i}.html", 2) == "http://h/news/index_1.html"
    assert template_url("http://h/news/", "index_{n}.html", 1) == "http://h/news/"
    res = discover("http://h/news/index_2.html", "<html><a href='/news/1.html'>x</a></html>",
                   pagination="index_{n}.html", entry_url="http://h/news/", page=2)
    assert res.scheme == "template" and res.next_url == "http://h/news/index_3.html"
    # naming a family that reads links keeps a createPageHTML script from being used
    page = "<script>createPageHTML(5, 0, 'index', 'html');</script><a href='index_1.html' rel='next'>下一页</a>"
    assert discover("http://h/a/index.html", page, pagination="links").scheme == "rel-next"


def test_family_detection_traits() -> None:
    assert detect_family("http://h/", '<meta name="generator" content="WordPress 6.4">') == "wordpress"
    assert detect_family("http://h/", "<a href='/plus/view.php?aid=3'>") == "dedecms"
    assert detect_family("http://h/", "<img src='/d/file/2024/a.jpg'>") == "empirecms"
    assert detect_family("http://h/col/col1/index.html", "<script type='text/xml'><datastore>") == "jcms"
    assert detect_family("http://h/", "<p>nothing</p>") == "generic"


@pytest.mark.parametrize(("markup", "target"), [
    ('<a href="p2.html">下一页 &raquo;</a>', "p2.html"),
    ('<a href="p2.html">Next ›</a>', "p2.html"),
    ('<a href="p2.html">[下一页]</a>', "p2.html"),
    ('<a href="p2.html">»</a>', "p2.html"),
    ("<select name='sldd' onchange='location.href=this.options[this.selectedIndex].value;'>"
     "<option value='list_5_1.html' selected>1</option><option value='list_5_2.html'>2</option></select>",
     "list_5_2.html"),
])
def test_label_and_select_variants(markup: str, target: str) -> None:
    res = discover("http://h/list/list_5_1.html", f"<html><body><div class='pages'>{markup}</div></body></html>")
    assert res.next_url == "http://h/list/" + target, markup


def test_trs_inline_pager_with_split_name_and_variables() -> None:
    script = ('var currentPage = 1;//所在页从0开始\nvar countPage = 4//共多少页\n'
              'document.write("<a href=\\"list"+"_" + nextPage + "."+"shtml\\">下一页</a>");')
    res = discover("http://h/a/list_1.shtml", f"<script>{script}</script>")
    assert res.scheme == "createPageHTML" and res.next_url == "http://h/a/list_2.shtml"
    assert res.pages[-1] == "http://h/a/list_3.shtml"


def test_jcms_page_form_proxy_url_in_script() -> None:
    page = ("<div id='5'><script type='text/xml'><datastore><totalrecord>45</totalrecord><recordset>"
            + "".join(f"<record><![CDATA[<li><a href='/art/2025/3/{d}/art_7_{d}.html'>x</a></li>]]></record>"
                      for d in range(1, 16))
            + "</recordset></datastore></script></div><script>$('#5').jpage({url:'/module/web/jpage/dataproxy.jsp"
            "?page=1&webid=3&columnid=7&unitid=5',perPage:15});</script>")
    res = discover("http://h/col/col7/index.html", page, article_links=r"/art/")
    assert len(res.articles) == 15 and res.total_pages == 3
    assert res.next_url == "http://h/module/web/jpage/dataproxy.jsp?page=2&webid=3&columnid=7&unitid=5"


def test_gkmlpt_column_from_the_entry_fragment() -> None:
    shell = "<script>window._CONFIG = { SID: '200025' };</script>"
    res = discover("http://h/a/gkmlpt/index", shell, entry_url="http://h/a/gkmlpt/index#2914")
    assert res.next_url == "http://h/a/gkmlpt/api/all/2914?page=1&sid=200025"


def test_json_relative_links_under_link_keys() -> None:
    body = json.dumps({"list": [{"linkurl": "2025/0304/1.html"}, {"href": "../b/2.html"}], "pageCount": 2})
    res = discover("http://h/api/x/list?pageNo=1", body, content_type="application/json", article_links=r"\.html$")
    assert res.articles == ["http://h/api/x/2025/0304/1.html", "http://h/api/b/2.html"]
    assert res.next_url == "http://h/api/x/list?pageNo=2"


def test_datastore_outside_scripts_and_gkmlpt_api_in_the_page() -> None:
    page = ("<html><body><div id='x'><datastore><recordset><record><![CDATA[<li><a href='/art/2025/1/2/art_5_9.html'>"
            "t</a></li>]]></record></recordset></datastore></div></body></html>")
    assert discover("http://h/col/col5/index.html", page, article_links=r"/art/").articles == [
        "http://h/art/2025/1/2/art_5_9.html"]
    shell = "<script>var api = '/gz/gkmlpt/api/all/77?page=1&sid=440100';</script>"
    res = discover("http://h/gz/gkmlpt/index", shell)
    assert res.family == "gkmlpt" and res.next_url == "http://h/gz/gkmlpt/api/all/77?page=1&sid=440100"


def test_real_trs_inline_pager_of_a_youth_cn_page() -> None:
    """A real TRS page (../shared/eval, news.youth.cn): `var countPage = 1` and document.write
    links built as "t20240520_15263156"+"_" + nextPage + "."+"htm"; one page, and three when
    the count says so."""
    from support import REPO

    body = (REPO.parent / "shared/eval/pages/mh-39dd62c5ba88.html").read_bytes()
    _, text = html_to_unicode("text/html; charset=utf-8", body)
    url = "https://news.youth.cn/gj/202405/t20240520_15263156.htm"
    res = discover(url, text)
    assert res.family == "trs" and res.scheme == "createPageHTML" and res.total_pages == 1 and res.next_url is None
    assert "var countPage = 1" in text
    res = discover(url, text.replace("var countPage = 1", "var countPage = 3", 1))
    assert res.next_url == "https://news.youth.cn/gj/202405/t20240520_15263156_1.htm"
    assert res.pages == [res.next_url, "https://news.youth.cn/gj/202405/t20240520_15263156_2.htm"]


def test_body_kinds() -> None:
    xhtml = ('<?xml version="1.0" encoding="gb2312"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
             '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n<html><body></body></html>')
    assert body_kind(xhtml, "text/xml") == "html"
    assert body_kind("<html><body>x</body></html>", "application/json") == "html"   # mislabelled
    assert body_kind(' {"a": 1}', "text/html") == "json"
    assert body_kind("<?xml version='1.0'?><datastore/>", None) == "xml"
    assert body_kind("<datastore><recordset/></datastore>", "text/html") == "xml"


def test_jcms_column_without_written_parameters_uses_the_column_defaults() -> None:
    """No ajaxParam, no nextgroup: columnid from /col/colN/, unitid from the datastore's
    element; the fixture's dataproxy answers only for those, and every group is read."""
    import re as _re

    with CmsSite("jcms") as site:
        fam = site.family
        ctype, body = fam.pages[fam.listing]
        stripped = _re.sub(rb"<script>\$\(document\).*?</script>", b"", body, flags=_re.S)
        assert b"ajaxParam" not in stripped and b"<datastore>" in stripped
        fam_pages = dict(fam.pages)
        fam.pages[fam.listing] = (ctype, stripped)
        try:
            seen, found, results = walk(site, fam.article_links)
        finally:
            fam.pages.clear()
            fam.pages.update(fam_pages)
        assert results[0].scheme == "jcms-dataproxy"
        assert sorted(found) == sorted(site.base_url + a for a in fam.articles)
        assert len(seen) == len(fam.listing_pages)


def test_shell_page_loading_its_listing_by_script() -> None:
    shell = '<html><body><ul id="list"></ul><script>$.getJSON("/api/news?col=3&page=1", render);</script></body></html>'
    res = discover("http://h/news/", shell, article_links=r"/news/\d+")
    assert res.scheme == "script-url" and res.next_url == "http://h/api/news?col=3&page=1"
    with_articles = shell.replace('<ul id="list"></ul>', '<a href="/news/12.html">x</a>')
    assert discover("http://h/news/", with_articles, article_links=r"/news/\d+").next_url is None


def test_pager_link_beats_a_slider_arrow_elsewhere() -> None:
    page = ('<div class="slider"><a href="/zt/2025/jkzg.html">›</a></div><ul><li><a href="/news/2025/1.html">x</a></li>'
            '</ul><div class="page"><a href="/news/index_2.html">›</a></div>')
    assert discover("http://h/news/index.html", page).next_url == "http://h/news/index_2.html"


@pytest.mark.parametrize(("name", "url"), [
    ("mh-9a0e481ae0f3", "https://www.sohu.com/a/780060546_458722"),        # numbered recommendation list
    ("mh-97a2a5818ca1", "https://news.ifeng.com/c/8Wda7wwUnuC"),           # comment counts as link text
    ("mh-06586406af5a", "https://zh.wikipedia.org/wiki/%E9%9B%84%E5%AE%89%E6%96%B0%E5%8C%BA"),  # links to TRS sites
])
def test_real_pages_numbers_that_are_no_pager(name: str, url: str) -> None:
    """Real pages (../shared/eval) whose numbered links or foreign TRS links are no pagination
    of their own: no next page, no TRS family from another site's article URLs."""
    from support import REPO

    _, text = html_to_unicode(None, (REPO.parent / f"shared/eval/pages/{name}.html").read_bytes())
    res = discover(url, text)
    assert res.next_url is None and res.scheme == "none" and res.family != "trs", (res.scheme, res.next_url)


@pytest.mark.parametrize("family", ["trs", "jcms", "dede", "gkmlpt"])
def test_listing_rows_date_their_articles(family: str) -> None:
    """The date a listing prints next to each link (TRS/JCMS/DedeCMS rows, gkmlpt's
    created_at) is the article's publication day."""
    with CmsSite(family) as site:
        _, _, results = walk(site, site.family.article_links)
    dated = {u: d for r in results for u, d in r.dates.items()}
    assert len(dated) == len(site.family.articles)
    for path, page in ((p, site.family.pages[p]) for p in site.family.articles):
        _, text = html_to_unicode(*page)
        assert dated[site.base_url + path] in text                 # the article page shows that day
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in dated.values())

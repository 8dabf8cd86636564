"""Fixture sites imitating the CMS families Chinese government and regional sites run on.

Each family's listing is rendered the way that CMS renders it, so a spec with only `url`,
`article_links` and `max_pages` must harvest it through `spiders.pagination`:

| family | listing | pager as served |
|---|---|---|
| `trs` (TRS WCM, 省卫健委) | `/xwzx/gzdt/index.html`, `index_1.html`, `index_2.html` | only `createPageHTML(3, 0, "index", "html")` in script, the TRS pager function writing links with `document.write`; no `<a>` to page 2 |
| `trs6` (TRS WCM, 6-argument form) | `/scwsjkw/gzdt/common_list.shtml`, `common_list_2.shtml` … | `createPageHTML('page_div', 3, 1, 'common_list', 'shtml', 20)` |
| `jcms` (Hanweb 大汉 JCMS, county sites) | `/col/col1229/index.html` | the first group as CDATA records in `<script type="text/xml"><datastore>`, the rest from `/module/web/jpage/dataproxy.jsp?startrecord=&endrecord=&perpage=` + the column's `ajaxParam` (answered dynamically, XML) |
| `jcmspage` (JCMS, `nextgroup` form) | `/col/col4120/index.html` | `<nextgroup>` CDATA link to `dataproxy.jsp?page=2&…`; the XML answers carry `totalpage` |
| `dede` (DedeCMS 织梦, GBK) | `/jiankang/`, `list_5_2.html` … | `<ul class="pagelist">` with 首页/上一页/numbers/下一页/末页 and `共 N页M条`; bytes GBK, `gb2312` declared; articles say `来源: 未知` |
| `empire` (EmpireCMS 帝国) | `/news/index.html`, `index_2.html` … | customised pager: numbers and an icon-only next link (`<i class="icon-next">`) |
| `gkmlpt` (广东 政府信息公开目录) | `/zqwsjkj/gkmlpt/index` | a shell page naming `SID`; the listing is `gkmlpt/api/all/0?page=N&sid=SID` JSON (`{"articles": […], "total": N}`) |
| `wordpress` | `/`, `/page/2/` … | `nav-previous` link labelled 较早文章, no `rel=next` |
| `hexo` | `/`, `/page/2/` … | NexT-style icon link `<a class="extend next" rel="next"><i aria-label="下一页">` |

`healthcrawl serve-demo --port P` serves them next to the demo site, family i of `FAMILIES` on
port P+1+i (the demo harvest does not crawl them). `CmsSite(family)` serves one family on a
loopback address (`127.0.0.1` by default, any free port by default), with a
strong `ETag` per body and `304` answers to `If-None-Match`, and records every request path; `build(family)` returns the pages, the listing pages and the article
paths. Article texts come from the demo stories (`stories.toml`). No settings.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

from crawler.demo.loopback import LoopbackServer
from crawler.demo.stories import Story, load_stories

FAMILIES = ("trs", "trs6", "jcms", "jcmspage", "dede", "empire", "gkmlpt", "wordpress", "hexo")
HTML_UTF8 = "text/html; charset=utf-8"
HTML_GBK = "text/html; charset=gb2312"


@dataclass
class Family:
    """One fixture site: its files, the listing URL a spec names, what must be harvested."""

    name: str
    listing: str                                  # path of the first listing page
    article_links: str                            # the regex a spec gives
    pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    articles: list[str] = field(default_factory=list)       # article paths, newest first
    listing_pages: list[str] = field(default_factory=list)  # every listing request the harvest needs
    records: list[tuple[str, str, str]] = field(default_factory=list)  # (path, title, date) for APIs
    proxy: dict[str, object] = field(default_factory=dict)  # dataproxy / API parameters


def _stories(offset: int, count: int) -> list[Story]:
    """`count` demo stories from `offset` on, newest first (as every CMS lists them)."""
    usable = [s for s in load_stories() if s.body.strip() and not s.raw and not s.repost_of]
    chosen = [usable[(offset + i) % len(usable)] for i in range(count)]
    return sorted(chosen, key=lambda s: s.published, reverse=True)


def _paragraphs(story: Story, lead: str) -> list[str]:
    paras = [p.strip() for p in story.body.split("\n\n") if p.strip()]
    paras = [p.replace("\n", "") for p in paras if not p.startswith(("[photo]", "## "))]
    return [lead + paras[0], *paras[1:]]


def _write_articles(fam: Family, stories: list[Story], site: str, path_of: Callable[[Story, datetime, int], str],
                    ctype: str = HTML_UTF8) -> list[str]:
    """Render each story as an article of the family's look; their paths, in order."""
    paths = []
    for n, story in enumerate(stories):
        when = _when(story, n)
        path = path_of(story, when, n)
        paths.append(path)
        body = _article(fam.name, story, when, site)
        fam.pages[path] = (ctype, body.encode("gbk", "replace") if ctype == HTML_GBK else body.encode("utf-8"))
    return paths


def _add_listing(fam: Family, path: str, page: str, ctype: str = HTML_UTF8) -> None:
    """One more listing page, in the family's encoding; the harvest must request it."""
    fam.pages[path] = (ctype, page.encode("gbk", "replace") if ctype == HTML_GBK else page.encode("utf-8"))
    fam.listing_pages.append(path)


def _when(story: Story, n: int) -> datetime:
    return story.published.replace(minute=(story.published.minute + n) % 60)


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


# ── article pages, one look per family ──────────────────────────────────────────────────────

def _article(family: str, story: Story, when: datetime, site: str) -> str:
    title = html.escape(story.title)
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in _paragraphs(story, f"{site}讯 "))
    date = f"{when:%Y-%m-%d %H:%M}"
    if family in ("trs", "trs6"):
        return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="{date}">
<meta name="ContentSource" content="{site}"><title>{title}_{site}</title></head><body>
<div class="crumb"><a href="../../">首页</a> &gt; <a href="../">工作动态</a></div>
<div class="article"><h1>{title}</h1>
<div class="info">发布时间：{date}　来源：{site}　【字体：<a href="javascript:doZoom(18)">大</a>】</div>
<div class="TRS_Editor">{body}</div></div>
<div class="footer">主办单位：{site}　黔ICP备05000000号</div></body></html>"""
    if family in ("jcms", "jcmspage"):
        return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>
<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="{date}"></head><body>
<div class="main"><div class="title">{title}</div>
<div class="info">发布日期：{date} 信息来源：{site} 浏览次数：<span id="c">1</span></div>
<div id="zoom">{body}</div></div>
<script language="javascript" src="/module/visitcount/articlehits.jsp?colid=1229&artid=1"></script>
</body></html>"""
    if family == "dede":
        return f"""<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{title}_健康_{site}</title></head><body>
<div class="place"><strong>当前位置:</strong> <a href='/'>主页</a> > <a href='/jiankang/'>健康</a> >  正文</div>
<div class="viewbox"><div class="title"><h2>{title}</h2></div>
<div class="info"><small>时间:</small>{date}<small>来源:</small>未知 <small>作者:</small>admin</div>
<div class="content">{body}</div></div></body></html>"""
    if family == "empire":
        return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title} - {site}</title>
</head><body><div class="position">您当前的位置：<a href="/">首页</a>&nbsp;>&nbsp;<a href="/news/">新闻</a></div>
<div class="showbox"><h1>{title}</h1><div class="info">{date} 来源：{site}</div>
<div class="newstext">{body}</div></div>
<script src="/e/public/onclick/?enews=donews&classid=2&id=1"></script></body></html>"""
    if family == "gkmlpt":
        return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>
<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="{date}"></head><body>
<div class="detail"><div class="content"><h1 class="title">{title}</h1>
<div class="date-row">发布日期：{date} 来源：{site}</div>
<div class="article-content">{body}</div></div></div></body></html>"""
    generator = "WordPress 6.4" if family == "wordpress" else "Hexo 7.0.0"
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="generator" content="{generator}"><title>{title} – {site}</title>
<meta property="article:published_time" content="{when.isoformat()}"></head><body>
<main id="main"><article class="post"><header class="entry-header"><h1 class="entry-title">{title}</h1>
<time class="entry-date published" datetime="{when.isoformat()}">{when:%Y年%m月%d日}</time></header>
<div class="entry-content">{body}</div></article></main></body></html>"""


# ── listings ────────────────────────────────────────────────────────────────────────────────

TRS_PAGER = """function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
	if(_nPageCount == null || _nPageCount<=1){
		return;
	}
	var nCurrIndex = _nCurrIndex || 0;
	if(nCurrIndex == 0)
		document.write("<span>首页</span>&nbsp;<span>上一页</span>&nbsp;");
	else{
		document.write("<a href=\\""+_sPageName+"."+_sPageExt+"\\">首页</a>&nbsp;");
		if(nCurrIndex == 1)
			document.write("<a href=\\""+_sPageName+"."+_sPageExt+"\\">上一页</a>&nbsp;");
		else
			document.write("<a href=\\""+_sPageName+"_" + (nCurrIndex-1) + "."+_sPageExt+"\\">上一页</a>&nbsp;");
	}
	for(var i=0; i<_nPageCount; i++){
		if(i == nCurrIndex)
			document.write("<span class=\\"current\\">"+(i+1)+"</span>&nbsp;");
		else if(i == 0)
			document.write("<a href=\\""+_sPageName+"."+_sPageExt+"\\">1</a>&nbsp;");
		else
			document.write("<a href=\\""+_sPageName+"_" + i + "."+_sPageExt+"\\">"+(i+1)+"</a>&nbsp;");
	}
	if(nCurrIndex == (_nPageCount-1))
		document.write("<span>下一页</span>&nbsp;<span>尾页</span>");
	else{
		document.write("<a href=\\""+_sPageName+"_" + (nCurrIndex+1) + "."+_sPageExt+"\\">下一页</a>&nbsp;");
		document.write("<a href=\\""+_sPageName+"_" + (_nPageCount-1) + "."+_sPageExt+"\\">尾页</a>");
	}
}"""


TRS_PAGER6 = """function createPageHTML(_sPageDiv, _nPageCount, _nCurrIndex, _sPageName, _sPageExt, _nRecordCount){
	var oDiv = document.getElementById(_sPageDiv);
	if(!oDiv || _nPageCount == null || _nPageCount <= 1){
		return;
	}
	var sHtml = "<span>共" + _nRecordCount + "条 " + _nCurrIndex + "/" + _nPageCount + "页</span>";
	function pageUrl(n){
		return n == 1 ? _sPageName + "." + _sPageExt : _sPageName + "_" + n + "." + _sPageExt;
	}
	sHtml += "<a href='" + pageUrl(1) + "'>首页</a>";
	if(_nCurrIndex > 1) sHtml += "<a href='" + pageUrl(_nCurrIndex - 1) + "'>上一页</a>";
	for(var i = 1; i <= _nPageCount; i++){
		sHtml += i == _nCurrIndex ? "<b>" + i + "</b>" : "<a href='" + pageUrl(i) + "'>" + i + "</a>";
	}
	if(_nCurrIndex < _nPageCount) sHtml += "<a href='" + pageUrl(_nCurrIndex + 1) + "'>下一页</a>";
	sHtml += "<a href='" + pageUrl(_nPageCount) + "'>尾页</a>";
	oDiv.innerHTML = sHtml;
}"""


def _trs(six: bool) -> Family:
    site = "四川省卫生健康委员会" if six else "贵州省卫生健康委员会"
    folder = "/scwsjkw/gzdt/" if six else "/xwzx/gzdt/"
    name, ext = ("common_list", "shtml") if six else ("index", "html")
    fam = Family("trs6" if six else "trs", folder + f"{name}.{ext}",
                 r"/\d{4}/\d{1,2}/\d{1,2}/\w+\.shtml$" if six else r"/t\d{8}_\d+\.html$")
    stories = _stories(0 if not six else 11, 20 if six else 22)
    paths = _write_articles(fam, stories, site, (
        (lambda s, when, n: f"{folder}{when:%Y}/{when.month}/{when.day}/{s.slug.replace('-', '')[:12]}{n}.shtml")
        if six else (lambda s, when, n: f"{folder}{when:%Y%m}/t{when:%Y%m%d}_{8861000 + n}.html")))
    size = 8 if not six else 7
    chunks = _chunks(list(zip(paths, stories)), size)
    count = len(chunks)
    for index, chunk in enumerate(chunks):
        first = 1 if six else 0
        number = index + first
        file = f"{name}.{ext}" if number == first else f"{name}_{number}.{ext}"
        rows = "\n".join(
            f'<li><a href="./{p.removeprefix(folder)}" target="_blank" title="{html.escape(s.title)}">'
            f'{html.escape(s.title)}</a><span>{s.published:%Y-%m-%d}</span></li>' for p, s in chunk)
        call = (f"createPageHTML('page_div',{count}, {number}, '{name}','{ext}',{len(paths)});" if six
                else f'createPageHTML({count}, {number}, "{name}", "{ext}");')
        page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>工作动态_{site}</title>
<meta name="ColumnName" content="工作动态"><meta name="SiteName" content="{site}">
<script type="text/javascript" src="{folder}../../images/jquery.min.js"></script></head><body>
<div class="crumb">当前位置：<a href="../../">首页</a> &gt; <a href="./">工作动态</a></div>
<div class="list"><ul>
{rows}
</ul></div>
<div class="page" id="page_div">
<script type="text/javascript">
{TRS_PAGER if not six else TRS_PAGER6}
{call}
</script>
</div>
<div class="footer">版权所有：{site}</div></body></html>"""
        _add_listing(fam, folder + file, page)
    fam.articles = paths
    return fam


def _jcms(page_form: bool) -> Family:
    site = "湄潭县人民政府" if not page_form else "凤冈县人民政府"
    col, unit = ("1229", "4567") if not page_form else ("4120", "7788")
    fam = Family("jcmspage" if page_form else "jcms", f"/col/col{col}/index.html",
                 rf"/art/\d{{4}}/\d{{1,2}}/\d{{1,2}}/art_{col}_\d+\.html$")
    stories = _stories(3 if not page_form else 20, 22 if not page_form else 17)
    perpage, group = 4, 8
    fam.articles = _write_articles(
        fam, stories, site, lambda s, when, n: f"/art/{when.year}/{when.month}/{when.day}/art_{col}_{300100 + n}.html")
    records = [(p, s.title, f"{_when(s, n):%Y-%m-%d}") for n, (p, s) in enumerate(zip(fam.articles, stories))]
    fam.records = records
    webparams = f"appid=1&webid=2841&path=/&columnid={col}&unitid={unit}&webname=site{col}&permissiontype=0"
    fam.proxy = {"perpage": perpage, "group": group, "col": col, "unit": unit, "page_form": page_form}
    first = "\n".join(f"<record><![CDATA[\n{_jcms_record(r)}\n]]></record>" for r in records[:group])
    if page_form:
        head = (f"<nextgroup><![CDATA[<a href=\"/module/web/jpage/dataproxy.jsp?page=2&{webparams}\"></a>]]>"
                f"</nextgroup>")
        pages = math.ceil(len(records) / group)
        fam.listing_pages = [fam.listing] + [f"/module/web/jpage/dataproxy.jsp?page={p}&{webparams}"
                                             for p in range(2, pages + 1)]
    else:
        head = f"<totalrecord>{len(records)}</totalrecord>"
        fam.listing_pages = [fam.listing] + [
            f"/module/web/jpage/dataproxy.jsp?startrecord={s}&endrecord={min(s + group - 1, len(records))}"
            f"&perpage={perpage}&col=1&appid=1&webid=2841&path=/&columnid={col}&sourceContentType=1"
            f"&unitid={unit}&webname=site{col}&permissiontype=0" for s in range(group + 1, len(records) + 1, group)]
    ajax = (f"ajaxParam:{{col:1,appid:1,webid:2841,path:'/',columnid:{col},sourceContentType:1,"
            f"unitid:{unit},webname:'site{col}',permissiontype:0}}")
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{site} 部门动态</title>
<script language="javascript" src="/module/jslib/jquery/jquery.js"></script>
<script language="javascript" src="/module/jslib/jpage/jquery.page.min.js"></script></head><body>
<div class="bt-position">您当前的位置：<a href="/">首页</a> &gt; <a href="/col/col{col}/index.html">部门动态</a></div>
<div class="default_pgContainer" id="{unit}">
<script type="text/xml"><datastore>{head}
<recordset>
{first}
</recordset>
</datastore></script>
</div>
<script>$(document).ready(function(){{$('#{unit}').jpage({{dataStore:dataStore,perPage:{perpage},groupSize:{group // perpage},
proxyUrl:'/module/web/jpage/dataproxy.jsp',barPosition:'bottom',showMode:'full',{ajax}}});}});</script>
</body></html>"""
    fam.pages[fam.listing] = (HTML_UTF8, page.encode("utf-8"))
    return fam


def _jcms_record(record: tuple[str, str, str]) -> str:
    path, title, date = record
    return (f'<li class="cf"><a href="{path}" target="_blank" title="{html.escape(title)}">'
            f'{html.escape(title)}</a><span class="bt-data-time">{date}</span></li>')


def dataproxy(fam: Family, query: str) -> bytes | None:
    """The XML a JCMS `dataproxy.jsp` answers for `query` (None: a 404)."""
    args = dict(parse_qsl(query))
    group = int(fam.proxy["group"])  # type: ignore[arg-type]
    if args.get("columnid") != fam.proxy["col"] or args.get("unitid") != fam.proxy["unit"]:
        return None                  # the proxy answers only for the column's own parameters
    total = len(fam.records)
    if args.get("startrecord", "").isdigit() and args.get("endrecord", "").isdigit():
        start, end = int(args["startrecord"]), int(args["endrecord"])
    elif args.get("page", "").isdigit():
        start = (int(args["page"]) - 1) * group + 1
        end = start + group - 1
    else:
        return None
    if start < 1 or start > total or end < start:
        return None
    chosen = fam.records[start - 1:end]
    pages = math.ceil(total / group)
    rows = "\n".join(f"<record><![CDATA[\n{_jcms_record(r)}\n]]></record>" for r in chosen)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n<totalrecord>{total}</totalrecord>\n'
            f"<totalpage>{pages}</totalpage>\n<recordset>\n{rows}\n</recordset>\n</datastore>").encode("utf-8")


def _dede() -> Family:
    site = "贵阳地方新闻网"
    fam = Family("dede", "/jiankang/", r"/jiankang/\d{8}/\d+\.html$")
    stories = _stories(7, 18)
    paths = _write_articles(fam, stories, site, lambda s, when, n: f"/jiankang/{when:%Y%m%d}/{2300 + n}.html", HTML_GBK)
    chunks = _chunks(list(zip(paths, stories)), 7)
    total = len(chunks)
    for index, chunk in enumerate(chunks, start=1):
        file = "/jiankang/" if index == 1 else f"/jiankang/list_5_{index}.html"

        def href(n: int) -> str:
            return "/jiankang/" if n == 1 else f"list_5_{n}.html"
        items = [f"<li><a href='{href(1)}'>首页</a></li>" if index > 1 else "<li><a>首页</a></li>"]
        if index > 1:
            items.append(f"<li><a href='{href(index - 1)}'>上一页</a></li>")
        for n in range(1, total + 1):
            items.append(f'<li class="thisclass">{n}</li>' if n == index else f"<li><a href='{href(n)}'>{n}</a></li>")
        if index < total:
            items.append(f"<li><a href='{href(index + 1)}'>下一页</a></li>")
            items.append(f"<li><a href='{href(total)}'>末页</a></li>")
        items.append(f'<li><span class="pageinfo">共 <strong>{total}</strong>页<strong>{len(paths)}</strong>条</span></li>')
        rows = "\n".join(f'<li><a href="{p}" class="title">{html.escape(s.title)}</a><span class="info">'
                         f'<small>日期：</small>{s.published:%Y-%m-%d}</span></li>' for p, s in chunk)
        page = f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312" />
<title>健康_{site}</title><meta name="generator" content="DedeCMS" /></head><body>
<div class="place"><strong>当前位置:</strong> <a href='/'>主页</a> > <a href='/jiankang/'>健康</a> > </div>
<div class="listbox"><ul class="e2">
{rows}
</ul></div>
<div class="dede_pages"><ul class="pagelist">
{"".join(items)}
</ul></div></body></html>"""
        _add_listing(fam, file, page, HTML_GBK)
    fam.articles = paths
    return fam


def _empire() -> Family:
    site = "遵义健康网"
    fam = Family("empire", "/news/index.html", r"/news/\d{4}-\d{2}-\d{2}/\d+\.html$")
    stories = _stories(15, 20)
    paths = _write_articles(fam, stories, site, lambda s, when, n: f"/news/{when:%Y-%m-%d}/{610 + n}.html")
    chunks = _chunks(list(zip(paths, stories)), 8)
    total = len(chunks)
    for index, chunk in enumerate(chunks, start=1):
        file = "/news/index.html" if index == 1 else f"/news/index_{index}.html"
        numbers = "".join(f"<b>{n}</b>&nbsp;" if n == index else
                          f'<a href="/news/{"index" if n == 1 else f"index_{n}"}.html">{n}</a>&nbsp;'
                          for n in range(1, total + 1))
        nxt = (f'<a href="/news/index_{index + 1}.html" class="pn"><i class="icon-next"></i></a>&nbsp;'
               f'<a href="/news/index_{total}.html" class="pn"><i class="icon-last"></i></a>') if index < total else ""
        rows = "\n".join(f'<li><span>{s.published:%m-%d}</span><a href="{p}" target="_blank" title="{html.escape(s.title)}">'
                         f'{html.escape(s.title)}</a></li>' for p, s in chunk)
        page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>新闻中心 - {site}</title>
<link href="/skin/default/css/style.css" rel="stylesheet" type="text/css" /></head><body>
<div class="position">您当前的位置：<a href="/">首页</a>&nbsp;>&nbsp;<a href="/news/">新闻中心</a></div>
<ul class="newslist">
{rows}
</ul>
<div class="list_page"><a title="Total record">&nbsp;<b>{len(paths)}</b> </a>&nbsp;&nbsp;{numbers}{nxt}</div>
<script src="/e/public/onclick/?enews=doclass&classid=2"></script>
<div class="footer"><img src="/d/file/p/2024/logo.png" alt=""></div></body></html>"""
        _add_listing(fam, file, page)
    fam.articles = paths
    return fam


def _gkmlpt() -> Family:
    site = "肇庆市卫生健康局"
    fam = Family("gkmlpt", "/zqwsjkj/gkmlpt/index", r"/content/\d+/\d+/post_\d+\.html$")
    stories = _stories(24, 20)
    fam.articles = _write_articles(
        fam, stories, site, lambda s, when, n: f"/zqwsjkj/gkmlpt/content/2/{(2914100 + n) // 1000}/post_{2914100 + n}.html")
    fam.records = [(p, s.title, f"{_when(s, n):%Y-%m-%d %H:%M:%S}") for n, (p, s) in enumerate(zip(fam.articles, stories))]
    fam.proxy = {"size": 8, "sid": "755027"}
    shell = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{site}政府信息公开</title>
<link href="/zqwsjkj/gkmlpt/gkml/pc/css/app.css" rel="stylesheet"></head><body>
<div id="app"></div>
<script>window._CONFIG = {{ SID: '755027', ROOT_URL: '/zqwsjkj/gkmlpt', TREE: [] }};</script>
<script src="/zqwsjkj/gkmlpt/gkml/pc/js/chunk-vendors.js"></script>
<script src="/zqwsjkj/gkmlpt/gkml/pc/js/app.js"></script></body></html>"""
    fam.pages[fam.listing] = (HTML_UTF8, shell.encode("utf-8"))
    pages = math.ceil(len(fam.records) / 8)
    fam.listing_pages = [fam.listing] + [f"/zqwsjkj/gkmlpt/api/all/0?page={p}&sid=755027" for p in range(1, pages + 1)]
    return fam


def gkmlpt_api(fam: Family, base: str, query: str) -> bytes | None:
    """The JSON `gkmlpt/api/all/COL?page=N&sid=SID` answers (None: a 404)."""
    args = dict(parse_qsl(query))
    size = int(fam.proxy["size"])  # type: ignore[arg-type]
    page = int(args.get("page", "1")) if args.get("page", "1").isdigit() else 0
    if args.get("sid") != fam.proxy["sid"] or page < 1 or (page - 1) * size >= len(fam.records):
        return None
    chosen = fam.records[(page - 1) * size:page * size]
    articles = [{"id": int(p.rsplit("_", 1)[-1].split(".")[0]), "title": t, "url": base + p,
                 "created_at": d, "publisher": "肇庆市卫生健康局", "identifier": f"11441200MB2C{n:04d}/2025"}
                for n, (p, t, d) in enumerate(chosen)]
    return json.dumps({"articles": articles, "total": len(fam.records),
                       "classify": {"id": 0, "name": "全部", "post_count": len(fam.records)}},
                      ensure_ascii=False).encode("utf-8")


def _blog(hexo: bool) -> Family:
    site = "遵义健康资讯" if not hexo else "黔北卫健观察"
    fam = Family("hexo" if hexo else "wordpress", "/", r"/\d{4}/\d{2}/\d{2}/[\w-]+/$")
    stories = _stories(30 if not hexo else 2, 15 if not hexo else 10)
    paths = _write_articles(fam, stories, site, lambda s, when, n: f"/{when:%Y/%m/%d}/{s.slug}-{n}/")
    chunks = _chunks(list(zip(paths, stories)), 6)
    total = len(chunks)
    for index, chunk in enumerate(chunks, start=1):
        file = "/" if index == 1 else f"/page/{index}/"
        posts = "\n".join(
            f'<article class="post"><h2 class="entry-title"><a href="{p}" rel="bookmark">{html.escape(s.title)}</a></h2>'
            f'<div class="entry-summary"><p>{html.escape(_paragraphs(s, "")[0][:60])}…</p></div></article>'
            for p, s in chunk)
        if hexo:
            nav = '<nav class="pagination">'
            if index > 1:
                prev = "/" if index == 2 else f"/page/{index - 1}/"
                nav += f'<a class="extend prev" rel="prev" href="{prev}"><i class="fa fa-angle-left" aria-label="上一页"></i></a>'
            for n in range(1, total + 1):
                nav += (f'<span class="page-number current">{n}</span>' if n == index else
                        f'<a class="page-number" href="{"/" if n == 1 else f"/page/{n}/"}">{n}</a>')
            if index < total:
                nav += f'<a class="extend next" rel="next" href="/page/{index + 1}/"><i class="fa fa-angle-right" aria-label="下一页"></i></a>'
            nav += "</nav>"
            generator = '<meta name="generator" content="Hexo 7.0.0">'
        else:
            nav = '<nav class="navigation posts-navigation" aria-label="文章"><h2 class="screen-reader-text">文章导航</h2><div class="nav-links">'
            if index < total:
                nav += f'<div class="nav-previous"><a href="/page/{index + 1}/">较早文章</a></div>'
            if index > 1:
                nav += f'<div class="nav-next"><a href="{"/" if index == 2 else f"/page/{index - 1}/"}">较新文章</a></div>'
            nav += "</div></nav>"
            generator = '<meta name="generator" content="WordPress 6.4.3"><link rel="stylesheet" href="/wp-content/themes/twentysixteen/style.css">'
        page = f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">{generator}
<title>{site}</title></head><body><main id="main" class="site-main">
{posts}
{nav}
</main></body></html>"""
        _add_listing(fam, file, page)
    fam.articles = paths
    return fam


@cache
def build(family: str) -> Family:
    """The fixture site of one family (see the module docstring)."""
    match family:
        case "trs":
            return _trs(False)
        case "trs6":
            return _trs(True)
        case "jcms":
            return _jcms(False)
        case "jcmspage":
            return _jcms(True)
        case "dede":
            return _dede()
        case "empire":
            return _empire()
        case "gkmlpt":
            return _gkmlpt()
        case "wordpress":
            return _blog(False)
        case "hexo":
            return _blog(True)
    raise ValueError(f"unknown CMS fixture family {family!r} (have {', '.join(FAMILIES)})")


class CmsSite(LoopbackServer):
    """One family's fixture site on `host` (any free port), with its request log."""

    def __init__(self, family: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.family = build(family)
        self.requests: list[str] = []
        self.not_modified: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - stdlib naming
                site.requests.append(self.path)
                ctype, body = site.answer(self.path) or ("text/html", b"")
                etag = '"' + hashlib.sha256(body).hexdigest()[:24] + '"'
                if body and self.headers.get("If-None-Match") == etag:
                    site.not_modified.append(self.path)
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                if body:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

        super().__init__(Handler, host, port)

    def answer(self, target: str) -> tuple[str, bytes] | None:
        parts = urlsplit(target)
        fam = self.family
        if parts.path.endswith("/dataproxy.jsp") and fam.records and fam.name.startswith("jcms"):
            body = dataproxy(fam, parts.query)
            return ("text/xml;charset=UTF-8", body) if body else None
        if "/gkmlpt/api/all/" in parts.path and fam.name == "gkmlpt":
            body = gkmlpt_api(fam, self.base_url, parts.query)
            return ("application/json;charset=UTF-8", body) if body else None
        return fam.pages.get(parts.path)

    def listing_requests(self) -> list[str]:
        """Requests for listing pages (anything that is not an article)."""
        articles = set(self.family.articles)
        return [r for r in self.requests if urlsplit(r).path not in articles and r != "/robots.txt"]

    def __enter__(self) -> CmsSite:
        return self

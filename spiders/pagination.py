"""Pagination and article-link discovery on a listing response, without a JavaScript engine.

`discover(url, text)` reads what a listing page (HTML), a listing API (JSON) or a data proxy
(XML) says about its articles and its further pages, the way the CMSs that run most Chinese
government and regional sites render them, and returns a `Listing`: the detected CMS family,
the pagination scheme, the article links, the next listing URL and every further page it
knows of. Plain Python (parsel/lxml), no Scrapy: the listing spider, the ad-hoc crawl and
`healthcrawl probe` all call it.

Schemes, in the order they are tried (the first whose traits the page shows decides; with
`pagination` set to a family only that family's schemes are tried, with a URL template only
the template):

- `template`: the spec's `pagination = "index_{n}.html"` (`{n}` page number, 2 for the second
  page; `{i}` 0-based index, 1 for the second page), resolved against the entry URL.
- `createPageHTML` (TRS WCM): the pager is only script, `createPageHTML(count, current, "index",
  "html")` or `createPageHTML('page_div', count, current, 'index', 'shtml', records)`, or the
  older inline `var countPage = N; var currentPage = I` form; page 0 is `index.html`, page i
  `index_i.html`.
- `jcms-datastore` / `jcms-dataproxy` (Hanweb JCMS): records as CDATA inside `<datastore>`
  (in `<script type="text/xml">` or a `dataproxy.jsp` XML answer) with `totalrecord`,
  `totalpage`, `nextgroup`; further groups from `dataproxy.jsp?startrecord=&endrecord=&perpage=`
  (the column's `ajaxParam`; without one, the defaults for `/col/colN/`: `columnid=N`, the
  datastore element's id as `unitid`, the page's `webid`) or `dataproxy.jsp?page=N&…` (the
  `nextgroup` link or a page-form proxy URL in script).
- `gkmlpt` (Guangdong 政府信息公开目录): the HTML shell names its `SID`; the listing is
  `gkmlpt/api/all/COL?page=N&sid=SID` JSON.
- `json-page`: any JSON body; article URLs are string values matching `article_links`;
  pages from the URL's `page=` and the body's `total` (records) / `totalpage` (pages).
- `script-url`: an HTML shell without article links whose script names a URL with a page
  number (`$.getJSON("/api/list?col=3&page=1")`): that URL is the listing.
- `rel-next`, `next-label` (`class~=next`, 下一页/下页/后页/较早文章/Next/›/» in the text,
  `aria-label`, `title`, an icon's `alt`/`src` or an empty link's `<i class="icon-next">`),
  `page-numbers` (numbered links and `<select>` page menus: the one after the current page;
  第 N 页; `共 N 页` for the total).

Article links: same-site links matching `article_links` (any link that looks like an article
when none is given) from `<a>`/`<area>` hrefs, from script text (`document.write`, CDATA
records, quoted URLs) and from JSON string values; listing pages are never article links.
`Listing.dates` holds the date a listing prints for an article (the YYYY-MM-DD / 年月日 in the
link's row, a JSON record's `created_at`-like field or timestamp) for `cutoff_days`.
Nothing here reads settings; the spider passes `max_pages` and the scope.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from parsel import Selector

ARTICLE_HINT = re.compile(
    r"(\d{4}[-/_]?\d{2}|/\d{3,}|/(?:c|a|content|article|art|detail|show|news)[/_-]|\.s?html?$)", re.I)

FAMILIES = ("trs", "jcms", "dedecms", "empirecms", "gkmlpt", "wordpress", "links")
"""Values of a listing entry's `pagination` field that name a family (besides `auto`)."""

FAMILY_SCHEMES: dict[str, tuple[str, ...]] = {
    "trs": ("createPageHTML", "links"),
    "jcms": ("jcms", "links"),
    "dedecms": ("links",),
    "empirecms": ("links",),
    "gkmlpt": ("gkmlpt", "json"),
    "wordpress": ("links",),
    "links": ("links",),
    "auto": ("createPageHTML", "jcms", "gkmlpt", "json", "links"),
}

NEXT_LABELS = frozenset({
    "下一页", "下页", "下一頁", "下頁", "后页", "後頁", "后一页", "下一页>", "下一页>>", "下一页»",
    "较早文章", "較早文章", "更早的文章", "更早文章", "早期文章", "旧文章", "较旧文章", "下一篇列表",
    "next", "nextpage", "next page", "older", "older posts", "older entries", "›", "»", ">", ">>", "→",
})
LABEL_STRIP = re.compile(r"[\s\[\]【】()（）<>《》«‹›»→…:：]+")
CURRENT_CLASSES = ("current", "active", "thisclass", "on", "cur", "selected", "now")
NUMBER_TEXT = re.compile(r"^(?:第\s*)?(\d{1,4})(?:\s*页)?$")
TOTAL_PAGES_TEXT = re.compile(r"共\s*(?:<[^>]+>\s*)*(\d{1,5})\s*(?:<[^>]+>\s*)*页")
SCRIPT_HREF = re.compile(r"""href\s*=\s*\\?["']([^"'\\<>\s]+)\\?["']""", re.I)
SCRIPT_URL = re.compile(r"""["']((?:https?:)?//[^"'\s<>]+|/[^"'\s<>]*\.s?html?|[\w.-]+(?:/[\w.-]+)*\.s?html?)["']""")
DATE_TEXT = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")
DATE_KEY = re.compile(r"date|time|created|publish|pub|release|_at$", re.I)
CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
CREATE_PAGE = re.compile(r"createPageHTML\s*\(([^()]*)\)")
JS_VAR = re.compile(r"\bvar\s+(\w+)\s*=\s*(\d+)")
TRS_NAME = re.compile(
    r"""["'](\w+)(?:_["']|["']\s*\+\s*["']_["'])\s*\+\s*\w+\s*\+\s*["']\.["']?\s*\+?\s*["']?(s?html?)\\?["']""")
GKMLPT_API = re.compile(r"""["']([^"'\s<>]*/gkmlpt/api/all/\d+\?[^"'\s<>]*sid=\w+[^"'\s<>]*)["']""")
SID = re.compile(r"""\bSID\s*[:=]\s*["'](\w+)["']""")
PROXY_URL = re.compile(r"""["']([^"'\s]*dataproxy\.jsp)["']""")
PROXY_PAGE_URL = re.compile(r"""["']([^"'\s<>]*dataproxy\.jsp\?[^"'\s<>]*\bpage=\d+[^"'\s<>]*)["']""")
SCRIPT_PAGE_URL = re.compile(r"""["']((?:https?:)?/?[^"'\s<>()]*\?(?:[^"'\s<>]*&)?(?:page|pageNo|pageNum|pageIndex|p)=\d+[^"'\s<>]*)["']""")
AJAX_PARAM = re.compile(r"ajaxParam\s*:\s*\{([^{}]*)\}", re.S)
JS_PAIR = re.compile(r"""["']?(\w+)["']?\s*:\s*(?:["']([^"']*)["']|(-?\d+))""")
JS_NUMBER = {
    "perpage": re.compile(r"\bperPage\s*[:=]\s*['\"]?(\d+)", re.I),
    "groupsize": re.compile(r"\bgroupSize\s*[:=]\s*['\"]?(\d+)", re.I),
    "totalrecord": re.compile(r"\btotalRecord\s*[:=]\s*['\"]?(\d+)", re.I),
}
LINK_KEYS = ("url", "link", "href", "path")
PAGE_PARAMS = frozenset({"page", "pageno", "pagenum", "pageindex", "p", "pn", "pg", "curpage", "currentpage"})
PAGE_KEYS = ("page", "pageNo", "pageNum", "pageIndex", "current", "currentPage", "p")
TOTAL_PAGE_KEYS = ("totalpage", "totalPage", "total_page", "totalPages", "total_pages", "pageCount",
                   "page_count", "pages")
TOTAL_RECORD_KEYS = ("total", "totalrecord", "totalRecord", "totalCount", "total_count", "recordsTotal", "count")
PAGE_SIZE_KEYS = ("per_page", "perPage", "pageSize", "page_size", "size", "limit", "rows")


@dataclass
class Listing:
    """What one listing response says: articles, the next listing page, the pages known."""

    url: str
    family: str = "generic"            # trs, jcms, dedecms, empirecms, gkmlpt, wordpress, hexo, json, generic
    scheme: str = "none"               # how the next page was found (see the module docstring)
    articles: list[str] = field(default_factory=list)
    next_url: str | None = None
    pages: list[str] = field(default_factory=list)   # further listing pages known, in order
    current: int | None = None         # this page's number (1 = first)
    total_pages: int | None = None
    kind: str = "html"                 # html, json, xml
    page_size: int | None = None       # articles a full page holds (JSON listings), for the next call
    dates: dict[str, str] = field(default_factory=dict)  # article → the date its listing row prints (YYYY-MM-DD)
    problems: list[str] = field(default_factory=list)


# ── helpers ──────────────────────────────────────────────────────────────────────────────────

def body_kind(text: str, content_type: str | None = None) -> str:
    """`json`, `xml` or `html`, from the Content-Type and the first characters."""
    ctype = (content_type or "").lower()
    head = text.lstrip("\ufeff \t\r\n")[:1000].lower()
    if head[:1] in ("{", "[") or ("json" in ctype and not head.startswith("<")):
        return "json"
    if "<html" in head or "<!doctype html" in head:      # also XHTML with an <?xml …?> prolog
        return "html"
    if head.startswith(("<?xml", "<datastore", "<rss", "<feed", "<urlset")) or "xml" in ctype:
        return "xml"
    return "html"


def with_query(url: str, **values: Any) -> str:
    """`url` with the given query parameters set (others kept, order kept)."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    seen = set()
    out = []
    for key, value in pairs:
        if key in values:
            if key in seen:
                continue
            seen.add(key)
            out.append((key, str(values[key])))
        else:
            out.append((key, value))
    out += [(k, str(v)) for k, v in values.items() if k not in seen]
    return urlunsplit(parts._replace(query=urlencode(out, safe="/:,")))


def query_int(url: str, *keys: str) -> tuple[str, int] | None:
    for key, value in parse_qsl(urlsplit(url).query):
        if key in keys and value.isdigit():
            return key, int(value)
    return None


def _label(text: str) -> str:
    return LABEL_STRIP.sub("", text or "").lower()


def _is_next_label(*texts: str | None) -> bool:
    """下一页, 下一页 », Next ›, », › … (brackets, arrows and spaces around a label ignored)."""
    return any(text and len(text) < 40 and (_label(text) in NEXT_NORMALISED or re.sub(r"\s+", "", text) in NEXT_LABELS)
               for text in texts)


NEXT_NORMALISED = frozenset(_label(x) for x in NEXT_LABELS) - {""}


def _has_class(classes: str | None, *names: str) -> bool:
    tokens = set((classes or "").lower().split())
    return any(n in tokens for n in names)


def _usable(href: str | None) -> bool:
    if not href:
        return False
    href = href.strip()
    return bool(href) and not href.startswith(("javascript:", "#", "mailto:", "tel:", "data:"))


def _split_args(raw: str) -> list[str]:
    args, buf, quote = [], "", ""
    for ch in raw:
        if quote:
            if ch == quote:
                quote = ""
            else:
                buf += ch
        elif ch in "\"'":
            quote = ch
        elif ch == ",":
            args.append(buf.strip())
            buf = ""
        else:
            buf += ch
    args.append(buf.strip())
    return args


class _Collector:
    """Article links in discovery order, filtered by pattern and scope, no listing pages."""

    def __init__(self, base: str, pattern: re.Pattern[str] | None, in_scope: Callable[[str], bool] | None) -> None:
        self.base = base
        self.pattern = pattern
        self.in_scope = in_scope
        self.found: dict[str, None] = {}
        self.dates: dict[str, str] = {}

    def add(self, href: str | None, date: Callable[[], str | None] | None = None) -> None:
        """Keep `href` when it is an article link; `date()` says when the listing dates it."""
        if not _usable(href):
            return
        href = href.strip().replace("\\/", "/")  # type: ignore[union-attr]
        url = urljoin(self.base, href).split("#", 1)[0]
        if not url.startswith(("http://", "https://")) or url == self.base:
            return
        if self.in_scope is not None and not self.in_scope(url):
            return
        if self.pattern is not None:
            if not self.pattern.search(url):
                return
        else:
            path = urlsplit(url).path
            last = path.rsplit("/", 1)[-1]
            if not ARTICLE_HINT.search(path) or "index" in last or "dataproxy" in last:
                return
        self.found.setdefault(url, None)
        if date is not None and url not in self.dates:
            when = date()
            if when:
                self.dates[url] = when

    def add_anchors(self, root: Any) -> None:
        """Every `<a>`/`<area>` under `root`, dated by the row (li, tr, dd …) it sits in."""
        for a in root.iter("a", "area"):
            self.add(a.get("href"), partial(_row_date, a))

    def add_html(self, fragment: str) -> None:
        self.add_anchors(Selector(text=fragment, type="html").root)

    def urls(self, exclude: Iterable[str] = ()) -> list[str]:
        drop = set(exclude)
        return [u for u in self.found if u not in drop]


def _iso_date(found: re.Match[str]) -> str | None:
    year, month, day = (int(g) for g in found.groups()[:3])
    if not (1990 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _row_date(a: Any) -> str | None:
    """The date printed in the listing row of link `a` (its own text, then up to three
    enclosing elements of at most 300 characters), as YYYY-MM-DD."""
    node = a
    for _ in range(4):
        if node is None:
            return None
        text = _text(node) if node is not a else (_text(a) + " " + (a.get("title") or ""))
        if len(text) > 300:
            return None
        found = DATE_TEXT.search(text)
        if found:
            return _iso_date(found)
        node = node.getparent()
    return None


def _value_date(value: Any) -> str | None:
    if isinstance(value, str):
        found = DATE_TEXT.search(value)
        return _iso_date(found) if found else None
    if isinstance(value, int) and not isinstance(value, bool) and 10 ** 9 <= value < 10 ** 13:
        stamp = dt.datetime.fromtimestamp(value / (1000 if value >= 10 ** 12 else 1), dt.timezone(dt.timedelta(hours=8)))
        return stamp.strftime("%Y-%m-%d")
    return None


def _object_date(data: dict[str, Any]) -> str | None:
    """A JSON listing record's date: its first date-named field with a date or a timestamp."""
    for key, value in data.items():
        if DATE_KEY.search(key):
            when = _value_date(value)
            if when:
                return when
    return None


# ── the schemes ──────────────────────────────────────────────────────────────────────────────

def _scripts(sel: Selector) -> list[str]:
    return [s for s in sel.xpath("//script/text()").getall() if s.strip()]


def _create_page_html(url: str, scripts: list[str]) -> tuple[int, int, int, str, str] | None:
    """(count, current index, first index, page name, extension) from TRS's pager script.

    The 4-argument form counts from 0 (`index.html` is index 0, `index_1.html` index 1); the
    6-argument form from 1 (`common_list.shtml` is page 1, `common_list_2.shtml` page 2).
    Either way, index j's file is `name_j.ext` except the first page's, `name.ext`; when the
    page being read is itself `name.ext`, its index is the first one."""
    text = "\n".join(scripts)
    variables = {name: int(value) for name, value in JS_VAR.findall(text)}

    def number(arg: str) -> int | None:
        arg = arg.strip()
        if arg.isdigit():
            return int(arg)
        return variables.get(arg)

    last = urlsplit(url).path.rsplit("/", 1)[-1]
    for match in CREATE_PAGE.finditer(text):
        args = _split_args(match.group(1))
        first = 0
        if len(args) >= 6 and number(args[0]) is None and number(args[1]) is not None:
            args, first = args[1:5], 1      # ('page_div', count, current, name, ext, records)
        if len(args) >= 4:
            count, current = number(args[0]), number(args[1])
            name, ext = args[2].strip(), args[3].strip().lstrip(".")
            if count is not None and current is not None and re.fullmatch(r"[\w-]+", name) and \
                    re.fullmatch(r"s?html?|jsp|php|aspx?", ext):
                if last in (f"{name}.{ext}", ""):
                    first = current
                return count, current, first, name, ext
    if "countPage" in variables and "currentPage" in variables:
        found = TRS_NAME.search(text)
        current = variables["currentPage"]
        stem = last.rsplit(".", 1)[0]
        if current and stem.endswith(f"_{current}"):
            stem = stem[: -len(f"_{current}")]
        name, ext = (found.group(1), found.group(2)) if found else (
            stem or "index", last.rsplit(".", 1)[-1] if "." in last else "html")
        return variables["countPage"], current, 0, name, ext
    return None


def _trs_page(url: str, name: str, ext: str, index: int, first: int) -> str:
    return urljoin(url, f"{name}.{ext}" if index == first else f"{name}_{index}.{ext}")


def _datastore_numbers(text: str) -> dict[str, int]:
    out = {}
    for tag in ("totalrecord", "totalpage"):
        found = re.search(rf"<{tag}>\s*(\d+)\s*</{tag}>", text, re.I)
        if found:
            out[tag] = int(found.group(1))
    return out


def _records(text: str) -> list[str]:
    records = re.findall(r"<record>(.*?)</record>", text, re.S | re.I)
    return [CDATA.sub(lambda m: m.group(1), r) for r in records]


def _nextgroup(text: str, base: str) -> str | None:
    found = re.search(r"<nextgroup>(.*?)</nextgroup>", text, re.S | re.I)
    if not found:
        return None
    inner = CDATA.sub(lambda m: m.group(1), found.group(1))
    hrefs = SCRIPT_HREF.findall(inner) or Selector(text=inner or "<a></a>", type="html").xpath("//a/@href").getall()
    return urljoin(base, hrefs[0]) if hrefs and _usable(hrefs[0]) else None


def _jcms_html(url: str, text: str, scripts: list[str], collect: _Collector, out: Listing) -> bool:
    """A JCMS column page: the first group in `<datastore>`, the rest from dataproxy.jsp."""
    store = next((s for s in scripts if "<datastore" in s.lower()), None)
    if store is None and "<datastore" in text.lower():     # a datastore written outside any script
        found = re.search(r"<datastore.*?</datastore>", text, re.S | re.I)
        store = found.group(0) if found else None
    joined = "\n".join(scripts)
    if store is None and "dataproxy.jsp" not in joined:
        return False
    out.family = "jcms"
    records = _records(store or "")
    for record in records:
        collect.add_html(record)
    numbers = _datastore_numbers(store or "")
    settings = {k: int(m.group(1)) for k, m in ((k, p.search(joined)) for k, p in JS_NUMBER.items()) if m}
    total = numbers.get("totalrecord") or settings.get("totalrecord")
    perpage = settings.get("perpage") or 15
    # the embedded records are one group (perPage × groupSize); without them, jpage's default of 3 screens
    group = len(records) or perpage * settings.get("groupsize", 3)
    nextgroup = _nextgroup(store or "", url)
    proxy = PROXY_URL.search(joined)
    params = AJAX_PARAM.search(joined)
    if nextgroup:
        out.scheme = "jcms-datastore"
        out.current = 1
        out.next_url = nextgroup
        out.pages = [nextgroup]
        if "totalpage" in numbers:
            out.total_pages = numbers["totalpage"]
        return True
    paged = PROXY_PAGE_URL.search(joined)
    if paged and not params:
        first = urljoin(url, paged.group(1).replace("&amp;", "&"))
        current = query_int(first, "page")
        start = (current[1] if current else 1) + (1 if records else 0)
        out.scheme, out.current = "jcms-dataproxy", 1
        last = numbers.get("totalpage") or (math.ceil(total / group) if total and records else None)
        out.pages = [with_query(first, page=n) for n in range(start, (last or start) + 1)]
        out.next_url = out.pages[0] if out.pages else None
        out.total_pages = last
        return True
    query: list[tuple[str, str]] | None = None
    column = re.search(r"/col/col(\d+)/", urlsplit(url).path)
    if params and proxy:
        query = [(k, s or n) for k, s, n in JS_PAIR.findall(params.group(1))]
    elif records and column:   # no parameters written: the column's defaults (the unit is the datastore's element)
        unit = re.search(r"""id\s*=\s*["']?(\d+)["']?[^>]*>\s*<script[^>]*text/xml""", text, re.I)
        webid = re.search(r"""\bwebid\s*[=:]\s*["']?(\d+)""", text, re.I)
        query = [("col", "1"), ("appid", "1"), *([("webid", webid.group(1))] if webid else []), ("path", "/"),
                 ("columnid", column.group(1)), ("sourceContentType", "1"),
                 *([("unitid", unit.group(1))] if unit else []), ("permissiontype", "0")]
    if query is not None:
        base = urljoin(url, proxy.group(1) if proxy else "/module/web/jpage/dataproxy.jsp")
        if total is None or total > group:
            start = group + 1
            out.scheme = "jcms-dataproxy"
            out.current = 1
            pages = []
            last = total or (start + group - 1)
            while start <= last:
                end = start + group - 1 if total is None else min(start + group - 1, total)
                pages.append(base + "?" + urlencode([("startrecord", start), ("endrecord", end),
                                                      ("perpage", perpage), *query], safe="/:,"))
                start += group
            out.pages = pages
            out.next_url = pages[0] if pages else None
            out.total_pages = 1 + len(pages) if total else None
        return True
    return True


def _jcms_xml(url: str, text: str, collect: _Collector, out: Listing) -> None:
    """A `dataproxy.jsp` answer: records, totals, the next group by record range or page."""
    out.family = "jcms"
    for record in _records(text):
        collect.add_html(record)
    numbers = _datastore_numbers(text)
    query = dict(parse_qsl(urlsplit(url).query))
    total = numbers.get("totalrecord")
    if query.get("startrecord", "").isdigit() and query.get("endrecord", "").isdigit():
        start, end = int(query["startrecord"]), int(query["endrecord"])
        size = max(1, end - start + 1)
        out.scheme = "jcms-dataproxy"
        out.current = (start - 1) // size + 1
        pages = []
        nxt = end + 1
        while total is not None and nxt <= total:
            pages.append(with_query(url, startrecord=nxt, endrecord=min(nxt + size - 1, total)))
            nxt += size
        if total is None and collect.found:
            pages.append(with_query(url, startrecord=nxt, endrecord=nxt + size - 1))
        out.total_pages = out.current + len(pages) if total is not None else None
        out.pages = pages
        out.next_url = pages[0] if pages else None
        return
    page = query_int(url, "page")
    total_pages = numbers.get("totalpage")
    out.scheme = "jcms-dataproxy"
    if page is not None:
        key, current = page
        out.current = current
        out.total_pages = total_pages
        if total_pages is not None:
            out.pages = [with_query(url, **{key: n}) for n in range(current + 1, total_pages + 1)]
        else:
            nextgroup = _nextgroup(text, url)
            out.pages = [nextgroup] if nextgroup and nextgroup != url else []
        out.next_url = out.pages[0] if out.pages else None


def _gkmlpt_html(url: str, text: str, out: Listing, entry_url: str | None = None) -> bool:
    """Guangdong's 信息公开目录 shell page: its SID and column make the JSON listing URL."""
    parts = urlsplit(url)
    if "/gkmlpt/" not in parts.path + "/":
        return False
    api = GKMLPT_API.search(text)
    if api:                                                   # the API URL written in the page
        out.family, out.scheme, out.current = "gkmlpt", "gkmlpt", 0
        out.next_url = urljoin(url, api.group(1).replace("&amp;", "&"))
        out.pages = [out.next_url]
        return True
    sid = SID.search(text)
    if not sid:
        return False
    out.family = "gkmlpt"
    root = parts.path.split("/gkmlpt/", 1)[0] + "/gkmlpt/"
    fragment = parts.fragment or urlsplit(entry_url or "").fragment   # a request drops the '#COL'
    column = fragment if fragment.isdigit() else "0"
    api = urlunsplit((parts.scheme, parts.netloc, f"{root}api/all/{column}", f"page=1&sid={sid.group(1)}", ""))
    out.scheme = "gkmlpt"
    out.current = 0
    out.next_url = api
    out.pages = [api]
    return True


def _walk_strings(data: Any) -> Iterable[tuple[str, str, dict[str, Any] | None]]:
    """Every string value of a JSON document, in document order, with its key and the object
    holding it."""
    stack: list[tuple[str, Any, dict[str, Any] | None]] = [("", data, None)]
    while stack:
        key, value, owner = stack.pop(0)
        if isinstance(value, dict):
            stack[:0] = [(k, v, value) for k, v in value.items()]
        elif isinstance(value, list):
            stack[:0] = [(key, v, owner) for v in value]
        elif isinstance(value, str):
            yield key, value, owner


def _find_number(data: Any, keys: tuple[str, ...], depth: int = 3) -> int | None:
    if depth < 0:
        return None
    if isinstance(data, dict):
        for key in keys:
            value = data.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, str) and value.isdigit():
                return int(value)
        for value in data.values():
            if isinstance(value, dict):
                found = _find_number(value, keys, depth - 1)
                if found is not None:
                    return found
    return None


def _json(url: str, text: str, collect: _Collector, out: Listing, page_size: int | None) -> None:
    out.kind = "json"
    out.family = "gkmlpt" if "/gkmlpt/" in urlsplit(url).path else "json"
    try:
        data = json.loads(text)
    except ValueError as exc:
        out.problems.append(f"{url}: not valid JSON ({exc})")
        return
    for key, value, owner in _walk_strings(data):
        value = value.strip()
        if value.startswith(("http://", "https://", "/")) or (value and key.lower().endswith(LINK_KEYS)):
            collect.add(value, partial(_object_date, owner) if owner is not None else None)
        elif "<a " in value.lower():
            collect.add_html(value)
    count = len(collect.found)
    page = query_int(url, *PAGE_KEYS)
    total_pages = _find_number(data, TOTAL_PAGE_KEYS)
    total = _find_number(data, TOTAL_RECORD_KEYS)
    if isinstance(data, dict) and "records" in data and isinstance(data.get("total"), int) and total_pages is None:
        total_pages, total = data["total"], None      # jqGrid: total = pages, records = rows
    size = _find_number(data, PAGE_SIZE_KEYS) or page_size or count
    out.page_size = size
    key, current = page if page else ("page", _find_number(data, PAGE_KEYS) or 1)
    if total_pages is None and total is not None and size:
        total_pages = current if count < size else max(current, math.ceil(total / size))
    out.current = current
    out.total_pages = total_pages
    out.scheme = "json-page" if out.family != "gkmlpt" else "gkmlpt"
    if not count:
        return
    if total_pages is not None:
        out.pages = [with_query(url, **{key: n}) for n in range(current + 1, total_pages + 1)]
    elif page is not None:
        out.pages = [with_query(url, **{key: current + 1})]
    out.next_url = out.pages[0] if out.pages else None


def _text(element: Any) -> str:
    return "".join(element.itertext())


def _carries_number(target: str, n: int) -> bool:
    """A page-n link ends its path with n (or n-1, 0-based pagers: `index_2.html`,
    `list_5_3.html`, `/page/3/`) or says it in a page parameter (`?page=3`); page 1 may be the
    folder. Rank lists and comment counts linking to other articles do not."""
    if n == 1:
        return True
    parts = urlsplit(target)
    for key, value in parse_qsl(parts.query):
        if key.lower() in PAGE_PARAMS and value.isdigit():
            return int(value) in (n, n - 1)
    runs = re.findall(r"\d+", parts.path)
    return bool(runs) and int(runs[-1]) in (n, n - 1)


def _numbered(root: Any, anchors: list[Any], url: str, html: str) -> tuple[dict[int, str], int | None, int | None]:
    """Numbered page links {number: url}, the current page's number, the total pages."""
    links: dict[int, str] = {}
    for a in anchors:
        text = re.sub(r"\s+", "", _text(a))
        if len(text) > 12:
            continue
        found = NUMBER_TEXT.match(text) or NUMBER_TEXT.match(re.sub(r"\s+", "", a.get("title") or ""))
        if not found:
            continue
        n = int(found.group(1))
        target = urljoin(url, a.get("href", "").strip()).split("#", 1)[0]
        if 1 <= n <= 10000 and _carries_number(target, n):
            links.setdefault(n, target)
    for option in root.iter("option"):
        value, text = (option.get("value") or "").strip(), re.sub(r"\s+", "", _text(option))
        found = NUMBER_TEXT.match(text)
        if found and re.search(r"(\.s?html?|[?&](page|p|pageno)=\d+|/\d+/?)$", value, re.I):
            n = int(found.group(1))
            links.setdefault(n, urljoin(url, value).split("#", 1)[0])
            if option.get("selected") is not None:
                links[n] = url
    if not links:
        return links, None, None
    current = None
    for node in root.iter("span", "strong", "b", "li", "a", "em", "font"):
        text = re.sub(r"\s+", "", node.text or "")
        found = NUMBER_TEXT.match(text) if text else None
        if not found:
            continue
        parent = node.getparent()
        cls = (node.get("class") or "") + " " + ((parent.get("class") or "") if node.tag == "a" and parent is not None else "")
        if _has_class(cls, *CURRENT_CLASSES) or node.get("aria-current"):
            current = int(found.group(1))
            break
        if node.tag in ("span", "strong", "b", "font"):
            ancestors = list(node.iterancestors())
            names = " ".join((x.get("class") or "") + " " + (x.get("id") or "") for x in ancestors).lower()
            if "page" in names and "pageinfo" not in names and not any(x.tag == "a" for x in ancestors):
                current = int(found.group(1))
                break
    for n, target in links.items():
        if target == url:
            current = n
    if current is None:
        current = next(n for n in range(1, max(links) + 2) if n not in links)
    found = TOTAL_PAGES_TEXT.search(html)
    return links, current, int(found.group(1)) if found else None


ICON_NEXT = re.compile(r"(?:^|[\s_-])(next|right|forward|you|xyy)(?:$|[\s_-])", re.I)
IMG_NEXT = re.compile(r"(?:^|[/_-])(next|xyy|xyt|down)[^/]*\.(?:gif|png|jpe?g|svg)$", re.I)
NEXT_CLASSES = ("next", "next-page", "nextpage", "page-next", "pager-next", "nextpostslink", "older", "nav-previous")


def _links(root: Any, url: str, html: str, out: Listing, visited: set[str]) -> None:
    """rel=next, next labels/classes and numbered page links."""
    candidates: list[tuple[str, str]] = []
    anchors = []
    for a in root.iter("a", "link"):
        href = a.get("href")
        if not _usable(href):
            continue
        if "next" in (a.get("rel") or "").lower().split():
            candidates.append(("rel-next", href))
            continue
        if a.tag != "a":
            continue
        anchors.append(a)
        text = _text(a).strip()
        if len(text) > 24:
            continue                   # a title, not a pager link
        imgs = list(a.iter("img"))
        icon = [i.get("alt") for i in imgs] + [i.get("title") for i in imgs]
        parent = a.getparent()
        classes = (a.get("class") or "") + " " + ((parent.get("class") or "") if parent is not None else "")
        if _is_next_label(text, a.get("aria-label"), a.get("title"), *icon) or _has_class(classes, *NEXT_CLASSES):
            candidates.append(("next-label", href))
        elif not text and (any(IMG_NEXT.search(i.get("src") or "") for i in imgs) or any(
                ICON_NEXT.search(e.get("class") or "") for e in a.iter("i", "span", "em", "svg") if e is not a)):
            candidates.append(("next-label", href))
    targets = [(scheme, urljoin(url, href.strip()).split("#", 1)[0]) for scheme, href in candidates]
    targets = [(scheme, t) for scheme, t in targets
               if t != url and t not in visited and t.startswith(("http://", "https://"))]
    # rel=next first, then the labelled links that stay in this listing's folder (a slider's "›"
    # elsewhere on the page loses to the pager's)
    folder = url.split("?", 1)[0].rsplit("/", 1)[0] + "/"
    targets.sort(key=lambda st: (st[0] != "rel-next", not st[1].startswith(folder)))
    if targets:
        out.scheme, out.next_url = targets[0]
    numbers, current, total = _numbered(root, anchors, url, html)
    if numbers:
        out.current = current
        out.total_pages = max(total or 0, max(numbers)) or None
        if current is not None:
            out.pages = [u for n, u in sorted(numbers.items()) if n > current and u != url]
            if out.next_url is None and current + 1 in numbers and numbers[current + 1] != url:
                out.scheme, out.next_url = "page-numbers", numbers[current + 1]
    if out.next_url and out.next_url not in out.pages:
        out.pages.insert(0, out.next_url)


def _own_link(url: str, low: str, pattern: str) -> bool:
    """True when an href of this page's own site has a path matching `pattern` (a link to
    another site's TRS article says nothing about this one)."""
    host = urlsplit(url).hostname
    for href in re.findall(r"""href\s*=\s*["']([^"'<>\s]*%s[^"'<>\s]*)""" % pattern, low):
        if urlsplit(urljoin(url, href)).hostname == host:
            return True
    return False


def detect_family(url: str, text: str) -> str:
    """The CMS a listing page was rendered by, from traits of its markup and its own URLs."""
    low = text.lower()
    if "createpagehtml" in low or "var countpage" in low or re.search(r'name="generator"[^>]*trs', low) or \
            _own_link(url, low, r"/t\d{8}_\d+\.s?html?"):
        return "trs"
    if "<datastore" in low or "dataproxy.jsp" in low or "/module/web/jpage" in low or \
            _own_link(url, low, r"/art/\d{4}/\d+/\d+/art_"):
        return "jcms"
    if "/gkmlpt/" in url or "gkmlpt" in low:
        return "gkmlpt"
    if "dedecms" in low or 'class="pagelist"' in low or re.search(r"list_\d+_\d+\.html", low) or "/plus/view.php" in low:
        return "dedecms"
    if "empirecms" in low or "/e/public/" in low or "/e/enews/" in low or "/d/file/" in low or "/e/search/" in low:
        return "empirecms"
    if "wp-content" in low or re.search(r'name="generator"[^>]*wordpress', low):
        return "wordpress"
    if re.search(r'name="generator"[^>]*hexo', low):
        return "hexo"
    return "generic"


# ── entry point ──────────────────────────────────────────────────────────────────────────────

def template_url(entry_url: str, template: str, page: int) -> str:
    """Page `page` (1 = the entry URL itself) of a `pagination` URL template."""
    if page <= 1:
        return entry_url
    return urljoin(entry_url, template.replace("{n}", str(page)).replace("{i}", str(page - 1)))


def is_template(value: str | None) -> bool:
    return bool(value) and ("{n}" in value or "{i}" in value)  # type: ignore[operator]


def discover(url: str, text: str, *, content_type: str | None = None,
             article_links: re.Pattern[str] | str | None = None, pagination: str | None = None,
             entry_url: str | None = None, page: int = 1, in_scope: Callable[[str], bool] | None = None,
             visited: Iterable[str] = (), page_size: int | None = None, selector: Selector | None = None,
             scripts_only: bool = False) -> Listing:
    """Read one listing response. `pagination` is `auto` (None), a family name or a URL
    template; `entry_url` and `page` (1-based) place the response in its listing for a
    template; `visited` are listing URLs already requested (never offered as next page);
    `page_size` is what the listing's first JSON page held (`Listing.page_size`): a shorter
    page is the last. `selector` reuses the caller's parse of an HTML `text`; `scripts_only`
    (the ad-hoc crawl, which follows every anchor itself) takes article links only from
    script text, CDATA and JSON, reads only script and JSON pagination and skips the family
    guess."""
    pattern = re.compile(article_links) if isinstance(article_links, str) else article_links
    collect = _Collector(url, pattern, in_scope)
    kind = body_kind(text, content_type)
    out = Listing(url=url, kind=kind)
    seen = set(visited) | {url}
    choice = pagination or "auto"
    schemes = FAMILY_SCHEMES.get(choice, ())
    if kind == "json":
        if "json" in schemes or "gkmlpt" in schemes or is_template(choice):
            _json(url, text, collect, out, page_size)
        else:
            out.problems.append(f"{url}: a JSON listing, but pagination = {choice!r} reads HTML")
    elif kind == "xml":
        _jcms_xml(url, text, collect, out)
        if not collect.found:       # any other XML: links in CDATA or in <link>/<loc>/<url> values
            for value in re.findall(r"<(?:link|loc|url)>\s*(?:<!\[CDATA\[)?\s*([^<\]\s]+)", text):
                collect.add(value)
            for fragment in CDATA.findall(text):
                collect.add_html(fragment)
        if out.scheme == "jcms-dataproxy" and not re.search(r"<datastore", text, re.I):
            out.family, out.scheme = "generic", "none"
    else:
        sel = selector if selector is not None else Selector(text=text or "<html></html>", type="html")
        scripts = _scripts(sel)
        if not scripts_only:
            out.family = detect_family(url, text)
            collect.add_anchors(sel.root)
        for script in scripts:
            for href in SCRIPT_HREF.findall(script):
                collect.add(href)
            for record in _records(script):
                collect.add_html(record)
            for fragment in CDATA.findall(script):
                collect.add_html(fragment)
            if pattern is not None:
                for href in SCRIPT_URL.findall(script):
                    collect.add(href)
        if is_template(choice):
            out.scheme = "template"
            out.current = page
            out.next_url = template_url(entry_url or url, choice, page + 1)
            out.pages = [out.next_url]
        else:
            for scheme in schemes:
                if scheme == "createPageHTML":
                    trs = _create_page_html(url, scripts)
                    if trs:
                        count, current, first, name, ext = trs
                        out.family, out.scheme = "trs", "createPageHTML"
                        out.current, out.total_pages = current - first + 1, count
                        out.pages = [_trs_page(url, name, ext, i, first) for i in range(current + 1, first + count)]
                        out.next_url = out.pages[0] if out.pages else None
                        break
                elif scheme == "jcms":
                    if _jcms_html(url, text, scripts, collect, out):
                        break
                elif scheme == "gkmlpt":
                    if _gkmlpt_html(url, text, out, entry_url):
                        break
                elif scheme == "links":
                    if not scripts_only:   # the ad-hoc crawl follows every anchor anyway
                        _links(sel.root, url, text, out, seen)
                    break
    if kind == "html" and choice == "auto" and out.next_url is None and not collect.found and not scripts_only:
        # a shell that loads its listing by script: the quoted URL with a page number it names
        for script in scripts:
            found = SCRIPT_PAGE_URL.search(script)
            if found:
                target = found.group(1).replace("&amp;", "&").replace("\\/", "/")
                out.scheme, out.next_url = "script-url", urljoin(url, target)
                out.pages = [out.next_url]
                break
    out.next_url = out.next_url if out.next_url and out.next_url not in seen else None
    out.pages = [p for p in dict.fromkeys(out.pages) if p not in seen]
    if out.next_url is None and out.pages and out.scheme not in ("rel-next", "next-label", "page-numbers", "none"):
        out.next_url = out.pages[0]     # an ordered page list (script pagers, proxies, APIs, templates)
    out.articles = collect.urls(exclude=[*out.pages, *seen])
    out.dates = {u: collect.dates[u] for u in out.articles if u in collect.dates}
    return out

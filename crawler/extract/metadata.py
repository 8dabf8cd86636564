"""Read title, publication date, source, authors, editor and disclosure fields from a page.

Evidence, most trusted first:
- title (`_title`): YAML front matter `title:`; a heading (`<h1>`, else `<h2>`) that agrees with
  `<title>` without its site suffix, `og:title`/TRS `ArticleTitle` or the raw `<title>` — never
  a logo or site-name heading (og:site_name, a home-page link, an image, `class=logo`);
  then og:title, then `<title>` with its site suffix removed (`…_市卫生健康委员会`,
  `…-中新网四川`, `… | 网站名`); a `<title>` naming only the site gives way to a heading or the
  template's title block.
- date (`date_source` says which): meta tags (`article:published_time`, `pubdate` …) "meta",
  WeChat `var ct = "1639118436"` "script", front matter `date:` "front-matter", labelled dates
  in the page text "byline" (发布时间/发布日期 before other labels, a label and its date may be
  split over lines or parenthesised), an HTML5 `<time datetime>` outside lists "time", the
  first full date with a time of day in a short line "text" (unless the URL names another
  day), the URL path (`/2012-06/04/`, `/t20220309_`, `/art/2022/3/9/`) "url", and last 成文日期
  "disclosure". Only full dates count (a bare year such as a copyright year never does);
  lines mentioning 版权/Copyright are skipped; dates before 1995 or in the future are dropped.
  A date without zone gets +08:00.
- source/authors/editor: `来源：`, `作者：`/`记者`/`文/`/`本报记者 张三`, `编辑：`/`编辑/`/`责任编辑：`/
  `责编：` (Simplified or Traditional labels) in byline lines; every name of a byline is kept
  and role words stripped (`bylines.split_names`); WeChat's `#js_author_name`; then, when the
  text's own bylines name nobody, meta tags and unlabelled author blocks
  (`page_level_authors`). Byline lines found in the extracted text are consumed (moved into
  fields) by `take_byline_lines`; a trailing `(邓祁)` becomes the author.
- account: the WeChat official account (`bylines.wechat_account`); disclosure: the 政府信息公开
  table (`disclosure.read_disclosure`).
No settings.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import HtmlElement

from crawler.extract.bylines import page_authors, split_names, wechat_account
from crawler.extract.disclosure import read_disclosure
from crawler.extract.dom import first_descendant
from crawler.extract.normalise import PINYIN

__all__ = ["PageMeta", "read_metadata", "page_level_authors", "take_byline_lines", "take_trailing_byline", "dateline_author",
           "parse_date"]

CST = dt.timezone(dt.timedelta(hours=8))
# Separators between a title and a site/section name. `——` (a doubled dash) introduces a
# subtitle in Chinese and is never one.
_SEP = re.compile(r"\s*(?:_|\||｜|(?<!—)—(?!—)|–|-{1,2}|::|·)\s*")
# The last segment of a <title> names the site or a section when it ends like a site name.
_SITE_WORD = re.compile(
    r"(?:网|網|站|局|委员会|委員會|委|政府|门户|門戶|频道|頻道|日报|日報|晚报|晚報|时报|時報|报社|報社|"
    r"在线|在線|新闻|新聞|官网|官網|平台|公众号|公眾號|中心|办公室|辦公室|集团|集團|资讯|資訊|聚合|"
    r"招商|之家|社区|社區|论坛|論壇|百科)$|中新[网網]|\.(?:com|cn|net|org|gov)\b", re.I)
_SITE_MAX_CHARS = 20
_SECTION_MAX_CHARS = 6
_DATE_META = (
    "article:published_time", "og:article:published_time", "og:published_time", "pubdate",
    "publishdate", "publish_date", "publishtime", "published_time", "datepublished", "dc.date",
    "dc.date.issued", "date", "sailthru.date", "weibo:article:create_at", "og:release_date",
)
_FRONT = re.compile(r"^\s*---\s*\n(.*?)\n---\s*$", re.S | re.M)
# WeChat's publication time in its scripts: `var ct = "1639118436"`, newer pages
# `var create_time = "1646793000" * 1;` or `createTime = '2022-03-09 10:30'`
_WECHAT_CT = re.compile(r"""var\s+ct\s*=\s*["']?(\d{10})["']?""")
_WECHAT_CREATE = re.compile(r"""\b(?:create_time|createTime)\s*[=:]\s*["']?(\d{10}|(?:19|20)\d{2}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?)["']?""")
_YMD = (r"((?:19|20)\d{2})\s*(?:年|-|/|\.)\s*(\d{1,2})\s*(?:月|-|/|\.)\s*(\d{1,2})\s*日?"
        r"(?:\s*T?\s*(\d{1,2})\s*[:：时]\s*(\d{2})(?:\s*[:：分]\s*(\d{2}))?)?")
_DATE_OPEN = r"\s*[：:]?\s*[（(\[【]?\s*"
_PUBLISH_DATE = re.compile(
    r"(?:发布时间|發布時間|发布日期|發布日期|发表时间|發表時間|发布于|發布於|發佈時間|发稿时间|發稿時間)" + _DATE_OPEN + _YMD)
# Other labels; not the days a document was signed, takes effect, or an event happens.
_LABELLED_DATE = re.compile(
    r"(?<!成文)(?<!印发)(?<!印發)(?<!生效)(?<!实施)(?<!實施)(?<!截止)(?<!开始)(?<!開始)(?<!结束)(?<!結束)"
    r"(?<!报名)(?<!報名)(?<!会议)(?<!會議)(?<!活动)(?<!活動)(?<!出生)(?<!办公)(?<!受理)(?<!开放)(?<!有效)"
    r"(?:时间|時間|日期|更新时间|更新時間)" + _DATE_OPEN + _YMD)
_WRITTEN_DATE = re.compile(r"(?:成文日期|成文时间|成文時間|印发日期|印發日期)" + _DATE_OPEN + _YMD)
_DATE_WORD = re.compile("时间|時間|日期|发布|發布|發佈|发稿|發稿|发表|發表|印发|印發")
_COPYRIGHT = re.compile(r"版权|版權|copyright|©|\(c\)\s*\d{4}", re.I)
_URL_DATES = (
    re.compile(r"(?<!\d)((?:19|20)\d{2})[-_/]?(0[1-9]|1[0-2])[-_/]?(0[1-9]|[12]\d|3[01])(?!\d)"),
    re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"),
)
_ANY_DATE_TIME = re.compile(_YMD)
_LABEL = r"\s*[：:]\s*"
_STOP = r"([^\s：:|｜,，。;；()（）\[\]【】]{2,30})"
# `图片来源`/`部分资料来源` name where a photo or some facts came from, not the article's source.
_SOURCE = re.compile(r"(?<!图片)(?<!圖片)(?<!资料)(?<!資料)(?:来源|來源|稿源|出处|出處)" + _LABEL + _STOP)
# WeChat's repost header: `以下文章来源于湄潭县卫生健康局` names the original account.
_REPOST_SOURCE = re.compile(r"以下文章(?:来源|來源)(?:于|於)\s*([^\s,，。;；:：]{2,30}?)(?:\s*[,，。;；]|\s*$|\s+)")
# A dateline lead names the reporters: `中新网四川新闻4月7日电(吴平华 吴润秋)`, `本报讯（记者 张三）`.
_ROLE = r"(?:特约记者|记者|記者|通讯员|通訊員|实习生|實習生)"
_DATELINE_AUTHOR = re.compile(
    r"^.{0,40}?(?:电|電|讯|訊)\s*[（(]\s*((?:" + _ROLE + r"\s*)?[\u4e00-\u9fff]{2,4}"
    r"(?:[\s、，,]+(?:" + _ROLE + r"\s*)?[\u4e00-\u9fff]{2,4}){0,5})\s*[）)]")
_AUTHOR = re.compile(r"(?:作者|作\s*者|記者|记者|撰文|文|文字|撰稿)" + r"\s*[：:/／|｜]\s*" +
                     r"([^：:|｜,，。;；()（）\[\]【】\d]{2,60})")
# Where a byline's list of names ends: the next label on the same line.
_NEXT_LABEL = re.compile(r"(?:来源|來源|稿源|出处|出處|责任编辑|責任編輯|责编|責編|编辑|編輯|发布|發布|时间|時間|日期|"
                         r"浏览|瀏覽|点击|點擊|阅读|閱讀|字号|字號|审核|審核|校对|校對|编审|編審|供稿|摄影|攝影|图片|圖片)")
# A short line naming the reporters without a colon: `本报记者 张三 通讯员 李四`.
_ROLE_LINE = re.compile(r"^[（(]?\s*(?:本报|本報|本网|本網|本台|本刊)?(?:特约|特約)?(?:记者|記者|通讯员|通訊員)\s*"
                        r"([\u4e00-\u9fff·\s、，,]{2,40}?)\s*[）)]?$")
_EDITOR = re.compile(r"(?:责任编辑|責任編輯|责编|責編|编辑|編輯)" + r"\s*[：:/／]\s*" + _STOP)
_UNKNOWN = {"未知", "暂无", "暫無", "无", "無", "佚名", "本站", "网络", "網絡", "网络整理", "admin"}
_BYLINE_LINE = re.compile(
    r"^[（(【\[]?\s*(?:(?:发布时间|發布時間|发布日期|發布日期|时间|時間|日期|来源|來源|作者|记者|記者|"
    r"编辑|編輯|责任编辑|責任編輯|责编|責編|浏览次数|瀏覽次數|阅读|閱讀|点击|點擊|字号|字號)\s*[：:]|"
    r"(?:19|20)\d{2}\s*(?:年|-|/)\s*\d{1,2}|(?:文|图|圖|摄影|攝影|编辑|編輯|责编|責編)\s*[/／]|"
    r"(?:本报|本報|本网|本網|本台|本刊)?(?:特约|特約)?(?:记者|記者|通讯员|通訊員)\s+[\u4e00-\u9fff])")
_TRAILING_BYLINE = re.compile(
    r"(?<=[。！？!?”」…\s])\s*[（(]\s*((?:记者|記者|作者|通讯员|通訊員|文|图|圖)?\s*[/／：:]?\s*"
    r"[\u4e00-\u9fff]{2,4}(?:[\s、，,]+[\u4e00-\u9fff]{1,4}){0,3})\s*[）)]\s*$")


@dataclass
class PageMeta:
    """Metadata read from one page; every field may be missing."""

    title: str = ""
    published: str | None = None
    source: str | None = None
    author: str | None = None
    editor: str | None = None
    canonical_url: str | None = None
    authors: list[str] = field(default_factory=list)
    account: str | None = None        # WeChat official account that published the page
    date_source: str | None = None    # where `published` came from (see DATE_SOURCES)
    disclosure: dict[str, str] = field(default_factory=dict)   # 政府信息公开 table, see disclosure.py
    # what the site calls itself (og:site_name, <title> segments): never an author
    site_names: set[str] = field(default_factory=set)

    def set_authors(self, names: list[str], *, replace: bool = False) -> bool:
        """Record the authors (all names) when none are known or `replace`; True if set."""
        if not names or (self.authors and not replace) or (self.author and not self.authors and not replace):
            return False
        self.authors = list(dict.fromkeys(names))
        self.author = " ".join(self.authors)
        return True


# Where a date can come from, most trusted first (the item's `date_source`).
DATE_SOURCES = ("meta", "script", "front-matter", "byline", "time", "text", "url", "disclosure")


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = re.sub(r"\s+", " ", value).strip(" ：:|｜-—")
    return None if not value or value in _UNKNOWN else value


def _build(y: str, mo: str, d: str, h: str | None = None, mi: str | None = None,
           s: str | None = None, *, now: dt.datetime | None = None) -> str | None:
    try:
        if h is not None and mi is not None:
            value = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), tzinfo=CST)
        else:
            value = dt.datetime(int(y), int(mo), int(d), tzinfo=CST)
    except ValueError:
        return None
    now = now or dt.datetime.now(CST)
    if value.year < 1995 or value > now + dt.timedelta(days=1):
        return None
    return value.isoformat() if h is not None and mi is not None else value.date().isoformat()


def parse_date(value: str) -> str | None:
    """ISO 8601 from one date string (ISO, RFC 2822, Chinese or epoch seconds), or None."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit() and len(value) in (10, 13):
        stamp = dt.datetime.fromtimestamp(int(value[:10]), CST)
        return _build(str(stamp.year), str(stamp.month), str(stamp.day), str(stamp.hour),
                      str(stamp.minute), str(stamp.second))
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None and re.match(r"^[A-Z][a-z]{2},", value):
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            parsed = None
    if parsed is not None:
        # one zone for all items: Beijing time (the same instant as the page states)
        parsed = parsed.replace(tzinfo=CST) if parsed.tzinfo is None else parsed.astimezone(CST)
        if parsed.year < 1995 or parsed > dt.datetime.now(CST) + dt.timedelta(days=1):
            return None
        if "T" not in value and ":" not in value:
            return parsed.date().isoformat()
        return parsed.isoformat()
    match = _ANY_DATE_TIME.search(value)
    return _build(*match.groups()) if match else None


def _front_matter(html: str) -> dict[str, str]:
    head = html[:8192]
    match = _FRONT.search(head)
    if not match:
        return {}
    fields = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith((" ", "-")):
            fields[key.strip().lower()] = value.strip().strip("'\"")
    return fields


def _meta(tree: HtmlElement, names: tuple[str, ...]) -> str | None:
    wanted = set(names)
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        if key in wanted and (el.get("content") or "").strip():
            return el.get("content").strip()
    return None


def _is_site_name(segment: str, site_names: set[str], page_text: str, headings: list[str]) -> bool:
    """A title segment names the site: the page says so (og:site_name), it ends like a site
    name (`…网`, `…局`, `…委员会`), or the page shows it outside its headline (logo, crumbs)."""
    if not segment or len(segment) > _SITE_MAX_CHARS:
        return False
    if segment in site_names or _SITE_WORD.search(segment):
        return True
    in_headings = sum(h.count(segment) for h in headings)
    return len(segment) >= 2 and page_text.count(segment) > in_headings


def _strip_site(title: str, site_names: set[str] | None = None, page_text: str = "",
                headings: list[str] | None = None) -> str:
    """`title` without trailing (or leading) site and section names; subtitles stay."""
    names = site_names or set()
    heads = headings or []
    title = re.sub(r"\s+", " ", title).strip()
    end = len(title)
    stripped = False
    for match in reversed(list(_SEP.finditer(title))):
        if match.start() == 0 or match.end() > end:
            continue
        segment = title[match.end():end].strip()
        section = stripped and 0 < len(segment) <= _SECTION_MAX_CHARS
        if not (section or _is_site_name(segment, names, page_text, heads)):
            break
        end, stripped = match.start(), True
    core = title[:end].strip() or title
    if not stripped:
        first = _SEP.search(core)
        if first and first.start() > 0:
            head, rest = core[:first.start()].strip(), core[first.end():].strip()
            if len(rest) >= 6 and (head in names or _SITE_WORD.search(head)):
                return rest
    return core


_TEXT_NODES = etree.XPath("descendant::text()", smart_strings=False)


def _page_text_lines(tree: HtmlElement) -> list[str]:
    """The stripped non-empty text chunks of `<body>` (else the tree), as `itertext()` gives
    them; one XPath call builds the list in C (half the time of the generator, measured)."""
    body = first_descendant(tree, "body")
    root = body if body is not None else tree
    return [chunk for chunk in map(str.strip, _TEXT_NODES(root)) if chunk]


def read_byline(line: str, meta: PageMeta) -> bool:
    """Fill empty source/author/editor fields from one byline line; True if any was found.
    Every name of a labelled author list is kept (`作者：上官云 宋宇晟`), role words stripped."""
    found = False
    for regex, attr in ((_REPOST_SOURCE, "source"), (_SOURCE, "source"), (_EDITOR, "editor")):
        match = regex.search(line)
        if match:
            found = True
            if getattr(meta, attr) is None:
                setattr(meta, attr, _clean(match.group(1)))
    match = _AUTHOR.search(line)
    if match:
        found = True
        value = _NEXT_LABEL.split(match.group(1), maxsplit=1)[0]
        meta.set_authors(split_names(_clean(value)))
    elif len(line) <= 40 and (role := _ROLE_LINE.match(line.strip())):
        found = meta.set_authors(split_names(role.group(1), persons_only=True)) or found
    return found


def read_metadata(tree: HtmlElement, html: str, url: str = "") -> PageMeta:
    """Metadata from the page tree and its decoded source; see the module docstring."""
    meta = PageMeta()
    front = _front_matter(html)
    title, site_names = _title(tree)
    meta.title = front.get("title") or title
    canonical = next((el for el in tree.iter("link") if el.get("rel") == "canonical"), None)
    meta.canonical_url = usable_url(canonical.get("href") if canonical is not None else None) or \
        usable_url(_meta(tree, ("og:url",)))

    for candidate, where in ((_meta(tree, _DATE_META), "meta"), (_script_time(html), "script"),
                             (front.get("date"), "front-matter")):
        if candidate and (parsed := parse_date(candidate)):
            meta.published, meta.date_source = parsed, where
            break
    lines = [PINYIN.sub("", ln) if "(" in ln or "（" in ln else ln for ln in _page_text_lines(tree)]
    if meta.published is None:
        found = _date_from_lines(lines, url, _time_element(tree), meta.title)
        if found:
            meta.published, meta.date_source = found
    if front.get("author"):
        meta.set_authors(split_names(_clean(front["author"])) or [front["author"].strip()])
    if "js_author_name" in html:   # WeChat states its author apart
        meta.set_authors(page_authors(tree)[0])
    for line in lines[:400]:
        if len(line) <= 120 and _BYLINE_LINE.search(line) or (len(line) <= 80 and ("來源" in line or "来源" in line)):
            read_byline(line, meta)
    # every segment of the <title> after the first may name the site: never an author
    title_el = first_descendant(tree, "title")
    segments = _SEP.split(_plain(title_el.text_content()))[1:] if title_el is not None else []
    meta.site_names = site_names | {seg for seg in segments if 2 <= len(seg) <= _SITE_MAX_CHARS}
    meta.account = wechat_account(tree, html)
    meta.disclosure = read_disclosure(lines)
    return meta


def page_level_authors(tree: HtmlElement, meta: PageMeta) -> list[str]:
    """Authors named by meta tags or unlabelled author blocks (`bylines.page_authors`), for a
    page whose own bylines name nobody; the site's names never count."""
    return page_authors(tree, meta.site_names)[0]


def usable_url(value: str | None) -> str | None:
    """`value` stripped when it parses as a URL (a page may state `http://[::1` or a port of
    letters as its canonical URL), else None."""
    value = (value or "").strip()
    if not value or any(ch in value for ch in "\x00\r\n\t"):
        return None
    try:
        parts = urlsplit(value)
        parts.port
    except ValueError:
        return None
    return value


def _plain(text: str) -> str:
    """Whitespace runs as one space (str.split: the same Unicode whitespace as `\\s`, a
    third of the regex's time on a page's text), pinyin readings removed, stripped."""
    text = " ".join(text.split())
    return PINYIN.sub("", text).strip() if "(" in text or "（" in text else text


_LOGO_MARK = re.compile(r"logo|brand|site[-_]?(?:name|title)|sitename|masthead", re.I)
# headline blocks of CMS templates without <h1>: class names that say "title"
_TITLE_BLOCKS = etree.XPath(
    "//*[self::div or self::td or self::p or self::span or self::strong][contains(concat(' ', "
    "normalize-space(translate(@class, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')), ' '), "
    "' title ') or @class='bt' or contains(@class, 'art_title') or contains(@class, 'article-title') or "
    "contains(@class, 'news_title') or contains(@class, 'articleTitle') or @id='title' or @id='ivs_title']")
_TITLE_CHARS = (6, 80)
TITLE_AGREEMENT = 0.8   # share of a heading's character pairs that <title>/og:title must hold


def _pairs(text: str) -> set[str]:
    key = re.sub(r"[\W_]+", "", text)
    return {key[i:i + 2] for i in range(len(key) - 1)} or ({key} if key else set())


def _agreement(heading: str, reference: str) -> float:
    """How far a heading and a reference title name the same thing: the share of the
    shorter one's character pairs found in the longer one, times 0 when the shorter holds
    less than a fifth of the longer (a two-character heading agrees with nothing)."""
    a, b = _pairs(heading), _pairs(reference)
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    if len(small) < 0.2 * len(large):
        return 0.0
    return len(small & large) / len(small)


def _is_logo(el: HtmlElement, text: str, names: set[str], declared: set[str] = frozenset()) -> bool:
    """A heading that shows the site rather than the article: one of the site's `names`, the
    `declared` name (og:site_name) with a few characters more (`痞客邦 PIXNET`), an image or a
    link to the home page, or a block marked as logo/brand/site name."""
    if text in names or any(n and n in text and len(text) <= len(n) + 8 for n in declared):
        return True
    for node in (el, *list(el.iterancestors())[:3]):
        if _LOGO_MARK.search(f"{node.get('class') or ''} {node.get('id') or ''}"):
            return True
    links = el.findall(".//a") + ([el.getparent()] if el.getparent() is not None and el.getparent().tag == "a" else [])
    for link in links:
        href = (link.get("href") or "").strip()
        if re.fullmatch(r"(?:https?:)?(?://[^/]+)?/?(?:index\.\w+)?|\./?|#", href):
            return True
    return el.find(".//img") is not None and len(text) <= _SITE_MAX_CHARS


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


def _title(tree: HtmlElement) -> tuple[str, set[str]]:
    """(headline, names of the site). The headline is a heading (`<h1>`, else `<h2>`) that
    agrees with `<title>` without its site suffix, og:title or the raw `<title>` — never a
    logo or site-name heading (`_is_logo`). A heading equal to or inside a title wins; a
    heading holding a title plus more (widget text such as `播报文章`) gives that title; a
    heading sharing most character pairs with one comes next. Else og:title, else `<title>`
    without site suffix (see `_strip_site`), else the first heading that is no logo. The
    site names are og:site_name, application-name and the segments cut off the `<title>`."""
    headings = [(h, _plain(h.text_content())) for h in tree.iter("h1", "h2")][:16]
    h1s = [text for el, text in headings if el.tag == "h1"][:8]
    title_el = first_descendant(tree, "title")
    raw_title = _plain(title_el.text_content()) if title_el is not None else ""
    names = {n for n in (_meta(tree, ("og:site_name",)), _meta(tree, ("application-name",))) if n}
    declared = frozenset(names)
    body = first_descendant(tree, "body")
    page_text = _plain(body.text_content()) if body is not None else ""
    core = _strip_site(raw_title, names, page_text, h1s) if raw_title else ""
    suffix = raw_title[len(core):] if core and core != raw_title and raw_title.startswith(core) else ""
    names.update(seg.strip() for seg in _SEP.split(suffix) if len(seg.strip()) >= 2)
    og_title = _meta(tree, ("og:title", "twitter:title", "articletitle"))
    og = _strip_site(_plain(og_title), names, page_text, h1s) if og_title else ""
    refs = [r for r in dict.fromkeys((core, og)) if r and r not in names and not _is_site_name(r, declared, "", [])]
    raw_key = _key(raw_title)
    ranked: list[tuple[float, float, bool, int, str]] = []
    for order, (el, text) in enumerate(headings):
        key = _key(text)
        if len(key) < 4:
            continue
        exact = any(key == _key(ref) for ref in refs)
        # a heading equal to the <title>'s headline is it, even with an icon or a link inside
        # (refs never hold a site name); any other heading must not look like a logo
        if exact and text not in names:
            ranked.append((3, 1.0, el.tag == "h1", -order, text))
            continue
        if _is_logo(el, text, names, declared):
            continue
        near = max((_agreement(text, ref) for ref in refs), default=0.0)
        if exact:
            ranked.append((3, 1.0, el.tag == "h1", -order, text))
        elif key in raw_key and not any(key in _key(name) for name in names):
            ranked.append((2, len(key) / max(len(raw_key), 1), el.tag == "h1", -order, text))
        elif (held := [r for r in refs if len(_key(r)) >= 4 and _key(r) in key]) and not held[0].endswith(("…", "...")):
            ranked.append((1.5, len(_key(held[0])) / len(key), el.tag == "h1", -order, held[0]))
        elif near >= TITLE_AGREEMENT:
            ranked.append((1, near, el.tag == "h1", -order, text))
    if ranked:
        return max(ranked)[-1], names
    if og:
        return og, names
    if core and not (core in names or _is_site_name(core, declared, "", [])):
        return core, names
    # the <title> names only the site (`湄潭县人民政府`): the page's own headline block
    blocks = [(el, text) for el, text in headings if not _is_logo(el, text, names, declared)]
    blocks += [(el, _plain(el.text_content())) for el in _TITLE_BLOCKS(tree)[:8]]
    for el, text in blocks:
        if _TITLE_CHARS[0] <= len(text) <= _TITLE_CHARS[1] and text != core and not _is_logo(el, text, names, declared):
            return text, names
    return core, names


def _script_time(html: str) -> str | None:
    """WeChat's publication time from its scripts (each regex only where its name occurs)."""
    found = _first(_WECHAT_CT, html)
    if found is None and ("create_time" in html or "createTime" in html):
        found = _first(_WECHAT_CREATE, html)
    return found


def _first(regex: re.Pattern[str], text: str) -> str | None:
    match = regex.search(text[:200000])
    return match.group(1) if match else None


def url_date(url: str) -> str | None:
    """The publication day a URL path states (`/2012-06/04/`, `/t20220309_`, `/art/2022/3/9/`,
    `/20240515/`, `/n1/2024/0510/`), or None. The query string never counts."""
    path = urlsplit(url).path if url else ""
    for regex in _URL_DATES:
        for match in regex.finditer(path):
            if value := _build(*match.groups()):
                return value
    return None


def _time_element(tree: HtmlElement) -> str | None:
    """The date of the first HTML5 `<time datetime=…>` that is no item of a list or link
    (sidebars and feeds date their entries that way), or None."""
    for el in tree.iter("time"):
        value = el.get("datetime")
        if not value or any(anc.tag in ("a", "li") for anc in el.iterancestors()):
            continue
        if parsed := parse_date(value):
            return parsed
    return None


_DATE_CELL = re.compile(r"^[（(\[【]?\s*" + _YMD)
UNDER_TITLE_LINES = 6   # lines after the headline where its info cell may stand


def _date_under_title(usable: list[str], title: str) -> str | None:
    """The date an info cell right under the headline starts with (`（2012-06-04）`,
    `2012-6-4 来源：…`), without a label: only within `UNDER_TITLE_LINES` lines after the
    headline's own line, so the dated entries of a sidebar list never count."""
    key = _key(title)
    if len(key) < 4:
        return None
    for i, line in enumerate(usable[:1500]):
        if _key(line) == key:
            for below in usable[i + 1:i + 1 + UNDER_TITLE_LINES]:
                match = _DATE_CELL.match(below.strip()) if len(below) <= 80 else None
                if match and (value := _build(*match.groups())):
                    return value
            return None
    return None


def _date_from_lines(lines: list[str], url: str = "", stamp: str | None = None,
                     title: str = "") -> tuple[str, str] | None:
    """(date, source) from the page's text lines, else from the URL path.

    Labelled dates first — 发布时间/发布日期 before other labels, 成文日期 (when a document was
    signed) last —, searched in the joined text so a label and a date split over lines or put
    in parentheses (`发布日期：（\n2022-03-09\n）`) still meet; then `stamp` (a `<time
    datetime>`, source "time"); then an unlabelled info cell under the headline `title`
    (`_date_under_title`); then the first unlabelled date with a time of day, unless the
    URL names another day; then the URL's date. Lines about copyright never count."""
    usable = [ln for ln in lines if not _COPYRIGHT.search(ln)]
    # lines naming a date label, each with the start of the next two lines (where a date
    # split from its label continues); scanning only these keeps the regexes off prose
    windows = [" ".join([line, *(nxt[:60] for nxt in usable[i + 1:i + 3])])
               for i, line in enumerate(usable[:1500]) if _DATE_WORD.search(line)]
    for regex in (_PUBLISH_DATE, _LABELLED_DATE):
        for window in windows:
            for match in regex.finditer(window):
                if value := _build(*match.groups()):
                    return value, "byline"
    if stamp:
        return stamp, "time"
    if title and (value := _date_under_title(usable, title)):
        return value, "byline"
    from_url = url_date(url)
    for line in usable:
        if len(line) > 80:
            continue
        match = _ANY_DATE_TIME.search(line)
        if match and match.group(4) is not None and (value := _build(*match.groups())):
            if from_url is None or value.startswith(from_url):
                return value, "text"
            break
    if from_url:
        return from_url, "url"
    for window in windows:
        for match in _WRITTEN_DATE.finditer(window):
            if value := _build(*match.groups()):
                return value, "disclosure"
    return None


def take_byline_lines(lines: list[str], meta: PageMeta, *, window: int = 4) -> list[str]:
    """Move byline lines among the first and last `window` lines into `meta`; return the rest."""
    keep = []
    last = len(lines) - window
    for index, line in enumerate(lines):
        stripped = line.strip()
        edge = index < window or index >= last
        if edge and len(stripped) <= 80 and _BYLINE_LINE.search(stripped) and read_byline(stripped, meta):
            if meta.published is None:
                match = _ANY_DATE_TIME.search(stripped)
                if match and (value := _build(*match.groups())):
                    meta.published, meta.date_source = value, "byline"
            continue
        keep.append(line)
    return keep


def dateline_author(lines: list[str], meta: PageMeta) -> None:
    """Reporters named in a dateline lead (`…4月7日电(吴平华 吴润秋)…`) become the author when
    none is known; the lead stays in the text."""
    if meta.author or not lines:
        return
    match = _DATELINE_AUTHOR.search(lines[0][:120])
    if match:
        meta.set_authors(split_names(re.sub(_ROLE, " ", match.group(1))))


def take_trailing_byline(lines: list[str], meta: PageMeta) -> list[str]:
    """A trailing `(邓祁)` on the last paragraph becomes the author (when none is known)."""
    if not lines:
        return lines
    match = _TRAILING_BYLINE.search(lines[-1])
    if not match:
        return lines
    names = split_names(match.group(1))
    if not names:
        return lines
    meta.set_authors(names, replace=True)  # the byline in the article beats a page-level author
    rest = lines[-1][: match.start()].rstrip()
    return lines[:-1] + ([rest] if rest else [])

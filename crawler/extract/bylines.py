"""People named by a page: authors (every name, role prefixes stripped) and a WeChat account.

`split_names("记者 上官云 通讯员 宋宇晟")` -> `["上官云", "宋宇晟"]`: role words (记者, 通讯员,
特约记者, 实习生, 文, 图, 摄, 撰文, 摄影 …) before or glued to a name are dropped, and a value
naming several people keeps them all. A name is 2-4 Han characters (longer with `·`, as in
transliterated names) or, on a page without Han in the value, the Latin text as one name.

`page_authors(tree, site_names)` reads the authors a page states outside its bylines, most
trusted first: WeChat's `#js_author_name`, `<meta name=author>`/`article:author`/`dc.creator`,
and unlabelled author blocks (`class="author"`, `.author .name`, `itemprop=author`,
`rel=author`). Values naming an outlet rather than a person (`新华网`, `健康时报`, the page's
`og:site_name`) are refused. `wechat_account(tree, html)` is the name of the official account
that published a WeChat article (`#js_name`, `.profile_nickname`, `var nickname = …`).
No settings.
"""

from __future__ import annotations

import html as html_lib
import re

from lxml.html import HtmlElement

__all__ = ["split_names", "page_authors", "wechat_account", "is_person"]

_WS = re.compile(r"\s+")
# Role words that introduce (or follow) a name; longest first so `特约记者` beats `记者`.
_ROLES = ("本报特约记者", "本报记者", "本台记者", "本网记者", "本刊记者", "新华社记者", "央视记者",
          "特约记者", "首席记者", "见习记者", "实习记者", "特约通讯员", "通讯员", "通訊員", "实习生", "實習生",
          "记者", "記者", "撰文", "撰稿", "文字", "摄影", "攝影", "编译", "編譯", "整理", "作者", "文图",
          "文圖", "图文", "圖文", "文", "图", "圖", "摄", "攝")
_ROLE_SET = frozenset(_ROLES)
_ROLE_PREFIX = re.compile("^(?:" + "|".join(r for r in _ROLES if len(r) > 1) + ")+")
_ROLE_SUFFIX = re.compile(r"(?<=[\u4e00-\u9fff]{2})(?:摄|攝|报道|報道|整理|编译|編譯|供图|供圖)$")
_SEPARATORS = re.compile(r"[\s、，,;；/／|｜:：&＆]+")
_HAN_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$|^[\u4e00-\u9fff]{1,8}[·•][\u4e00-\u9fff·•]{1,12}$")
_LATIN_NAME = re.compile(r"^[A-Za-z][A-Za-z .'\-]{1,60}$")
_HAN = re.compile(r"[\u4e00-\u9fff]")
# What an outlet, office or account is called; a person's name is none of these.
_ORG_WORDS = re.compile(
    r"新闻|新聞|财经|財經|日报|日報|晚报|晚報|时报|時報|早报|早報|传媒|傳媒|集团|集團|官方|平台|編輯|编辑|"
    r"客户端|客戶端|频道|頻道|中心|科技|健康|医院|醫院|政府|卫生|衛生|资讯|資訊|头条|頭條|公众号|公眾號|微信|"
    r"小编|小編|网友|網友|本网|本網|本站|记者|記者|通讯|通訊|委员会|委員會|办公|辦公|出版|杂志|雜誌|电视|電視|"
    r"广播|廣播|在线|在線|网络|網絡|投稿|转载|轉載|来源|來源|发布|發布|[网網报報社台站局委部院厅廳处處司馆館所]$")
_UNKNOWN = {"未知", "暂无", "暫無", "无", "無", "佚名", "本站", "网络", "網絡", "admin", "administrator", "匿名"}
_AUTHOR_META = ("author", "article:author", "dc.creator", "dc.creator.name", "byl", "sailthru.author",
                "weibo:article:author")
_AUTHOR_CLASS = re.compile(r"(?:^|[\s_-])(?:author|byline|writer|zuozhe)(?:$|[\s_-])", re.I)
def _has_author_word(value: str) -> bool:
    """The cheap test before `_AUTHOR_CLASS` (runs on every element of the page)."""
    return "uthor" in value or "yline" in value or "riter" in value or "zuozhe" in value



_NOT_AUTHOR_CLASS = re.compile(r"comment|reply|avatar|recommend|related|list|footer", re.I)
_NAME_CLASS = re.compile(r"(?:^|[\s_-])(?:name|nickname)(?:$|[\s_-])", re.I)
_LABEL = re.compile(r"^(?:作者|作\s*者|记者|記者|撰文|文|编辑|編輯|by)\s*[：:/／|｜]?\s*", re.I)
# Blocks and tags that name editors, selectors or reviewers, not authors.
_OTHER_ROLE = re.compile(r"^\s*(?:责任编辑|責任編輯|责编|責編|编辑|編輯|选稿|選稿|审核|審核|校对|校對|监制|監製|编审|編審|"
                         r"值班编辑|值班編輯|主编|主編|签发|簽發)")
_NICKNAME = re.compile(r"""var\s+nickname\s*=\s*(?:htmlDecode\()?\s*["']([^"'\n]{1,60})["']""")
AUTHOR_BLOCK_MAX_CHARS = 30   # an unlabelled author block longer than this is no byline


def is_person(name: str) -> bool:
    """True for a name that can be a person's (not an outlet, office or placeholder)."""
    return bool(name) and name not in _UNKNOWN and not _ORG_WORDS.search(name) and (
        bool(_HAN_NAME.match(name)) or (not _HAN.search(name) and bool(_LATIN_NAME.match(name))))


def _strip_roles(token: str) -> str:
    """`记者张三` -> `张三`, `张三摄` -> `张三`; a token that is only a role word -> ``.
    One-character roles (文, 图, 摄) go only when they stand alone: 文 is also a surname."""
    if token in _ROLE_SET:
        return ""
    stripped = _ROLE_PREFIX.sub("", token)
    if len(stripped) >= 2:
        token = stripped
    return _ROLE_SUFFIX.sub("", token)


def split_names(value: str | None, *, persons_only: bool = False) -> list[str]:
    """Every name in a byline value, role words stripped, in order, without repeats.

    `persons_only` refuses values naming outlets (`新华网`): page-level sources (meta tags,
    author blocks) often carry the site's name. A labelled byline (`作者：健康时报`) keeps what
    the page calls its author when that is a single outlet."""
    if not value:
        return []
    value = _WS.sub(" ", html_lib.unescape(value)).strip(" ：:|｜-—()（）[]【】")
    if not value or value in _UNKNOWN:
        return []
    if not _HAN.search(value):
        latin = value.strip(" .,;")
        return [latin] if _LATIN_NAME.match(latin) and latin.lower() not in _UNKNOWN else []
    tokens = [_strip_roles(t.strip("()（）[]【】<>《》\"'“”")) for t in _SEPARATORS.split(value)]
    tokens = [t for t in tokens if t and t not in _UNKNOWN]
    if persons_only and not all(is_person(t) for t in tokens):
        return []
    names = [t for t in tokens if _HAN_NAME.match(t)]
    if not names and not persons_only and len(tokens) == 1 and len(tokens[0]) <= 12:
        names = tokens
    return list(dict.fromkeys(names))


def _meta_values(tree: HtmlElement, keys: tuple[str, ...]) -> list[str]:
    wanted = set(keys)
    values = []
    for el in tree.iter("meta"):
        key = (el.get("name") or el.get("property") or el.get("itemprop") or "").strip().lower()
        content = (el.get("content") or "").strip()
        if key in wanted and content:
            values.append(content)
    return values


def _text(el: HtmlElement) -> str:
    return _WS.sub(" ", el.text_content()).strip()


def _author_blocks(tree: HtmlElement) -> list[str]:
    """Texts of unlabelled author blocks, in document order (see module docstring)."""
    found = []
    for el in tree.iter():
        attrib = el.attrib
        if not attrib:
            continue
        cls, ident = attrib.get("class") or "", attrib.get("id") or ""
        marked = attrib.get("itemprop") == "author" or attrib.get("rel") == "author"
        if not marked and not ((cls and _has_author_word(cls)) or (ident and _has_author_word(ident))):
            continue   # the cheap test; _AUTHOR_CLASS decides
        marks = f"{cls} {ident}"
        if not (marked or _AUTHOR_CLASS.search(marks)):
            continue
        if not isinstance(el.tag, str) or el.tag in ("meta", "link", "script", "style", "body", "html"):
            continue
        if _NOT_AUTHOR_CLASS.search(marks) or any(_NOT_AUTHOR_CLASS.search(
                f"{a.get('class') or ''} {a.get('id') or ''}") for a in el.iterancestors() if a.tag != "body"):
            continue
        name_el = next((c for c in el.iterdescendants() if isinstance(c.tag, str)
                        and _NAME_CLASS.search(f"{c.get('class') or ''} {c.get('id') or ''}")), None)
        text = _text(name_el if name_el is not None else el)
        if text and len(text) <= AUTHOR_BLOCK_MAX_CHARS and not _OTHER_ROLE.match(text):
            found.append(_LABEL.sub("", text))
        if len(found) >= 3:
            break
    return found


def page_authors(tree: HtmlElement, site_names: set[str] | None = None) -> tuple[list[str], str | None]:
    """(names, where from: "wechat", "meta" or "author-block") of the first source that names
    people; ([], None) when none does."""
    sites = site_names or set()
    el = next(iter(tree.xpath("//*[@id='js_author_name']")), None)
    if el is not None:
        names = split_names(_text(el), persons_only=True)
        if names:
            return names, "wechat"
    for value in _meta_values(tree, _AUTHOR_META):
        if any(value in site for site in sites) or value in sites or value.startswith(("http://", "https://", "/")) or _OTHER_ROLE.match(value):
            continue
        names = split_names(value, persons_only=True)
        if names:
            return names, "meta"
    for value in _author_blocks(tree):
        if value in sites or any(value in site for site in sites):
            continue
        names = split_names(value, persons_only=True)
        if names and len(names) <= 4:
            return names, "author-block"
    return [], None


def wechat_account(tree: HtmlElement, html: str) -> str | None:
    """The WeChat official account that published the page, or None (not a WeChat page)."""
    if "js_name" not in html and "profile_nickname" not in html and "nickname" not in html:
        return None
    for el in tree.xpath("//*[@id='js_name' or @class='profile_nickname']"):
        if text := _text(el):
            return text
    match = _NICKNAME.search(html[:300000])
    if match:
        return html_lib.unescape(match.group(1)).strip() or None
    return None

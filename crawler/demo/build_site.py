"""Render the demo site from ``stories.toml``: ``python -m crawler.demo.build_site``.

Each section imitates one kind of seed source (see README.md): the story text is the same
kind of thing every time, the chrome and the damage around it are the section's. The builder
renders every generation in memory and writes

- ``site/``           the whole generation-1 site,
- ``site_genN/``      only the files generation N adds or changes relative to N-1,
- ``generations.json`` per generation, the files it removes.

The output is committed; the server never runs this module (it needs OpenCC, the server only
the standard library). ``tests/test_demo_server.py`` rebuilds into a temporary folder and
checks the committed files are what this module writes. No settings.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import zlib
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from email.utils import format_datetime
from functools import cache
from pathlib import Path

from crawler.demo.stories import (
    GENERATION_DATES,
    MAX_GENERATION,
    SECTIONS,
    Story,
    load_stories,
    stories_in,
    story_by_id,
)

DEMO_DIR = Path(__file__).parent
READINGS_FILE = DEMO_DIR / "readings.tsv"
PAGE_SIZE = 4
FEED_ITEMS = 10
GBK_SECTIONS = frozenset({"county"})
# a transparent 1×1 GIF: pages show photos without the crawler having anything to fetch
PIXEL = "data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="
SECTION_NAMES = {
    "chinanews": "中新网四川",
    "county": "湄潭县卫生健康局",
    "wechat": "微信公众号文章",
    "portal": "合肥网·健康",
    "blog": "健康资讯聚合",
    "repost": "园区产业招商",
}
TRADITIONAL_SECTIONS = frozenset({"chinanews", "repost"})
SPUN_WORDS = {"第一": "头部", "最快": "蕞快", "最大": "蕞大"}


# ───────────────────────────── text transforms ─────────────────────────────

@cache
def _s2tw() -> Callable[[str], str]:
    import opencc  # only the builder needs OpenCC

    return opencc.OpenCC("s2tw").convert


@cache
def _readings() -> dict[str, str]:
    table: dict[str, str] = {}
    for n, line in enumerate(READINGS_FILE.read_text(encoding="utf-8").splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        char, sep, reading = line.partition("\t")
        if not sep or len(char) != 1 or not reading:
            raise ValueError(f"{READINGS_FILE}:{n}: expected 'character<TAB>reading', got {line!r}")
        table[char] = reading
    return table


def inject_readings(text: str) -> str:
    """``醫改`` → ``醫(yī)改``: the reading after every character the injector knows."""
    table = _readings()
    return "".join(f"{c}({table[c]})" if c in table else c for c in text)


def hant(text: str) -> str:
    """Simplified → Traditional (Taiwan forms, as in the seeds) with injected readings."""
    return inject_readings(_s2tw()(text))


def hant_plain(text: str) -> str:
    return _s2tw()(text)


def spin(text: str) -> str:
    """The repost account's word spinning (第一 → 头部, 最快 → 蕞快)."""
    for word, spun in SPUN_WORDS.items():
        text = text.replace(word, spun)
    return text


def dot_to_stop(text: str) -> str:
    """The portal's typing habit: decimal points inside numbers become ``。``."""
    return re.sub(r"(?<=\d)\.(?=\d)", "。", text)


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def attr(text: str) -> str:
    return html.escape(text, quote=True)


def paragraphs(body: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]


def lines(body: str) -> list[str]:
    return [ln.strip() for ln in body.strip().splitlines() if ln.strip()]


def number(seed: str, low: int, high: int) -> int:
    """A stable pseudo-random number (view counts and the like)."""
    return low + zlib.crc32(seed.encode()) % (high - low)


def body_of(story: Story, generation: int) -> str:
    return story_by_id(story.repost_of).body_in(generation) if story.repost_of else story.body_in(
        generation
    )


def plain_title(story: Story) -> str:
    """The title as a <title>/feed would carry it: published script, no readings."""
    if story.raw or story.section == "repost":
        return re.sub(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)", "", story.title)
    if story.section in TRADITIONAL_SECTIONS:
        return hant_plain(story.title)
    return story.title


def shown_title(story: Story) -> str:
    """The title as the page's heading shows it."""
    if story.raw or story.section == "repost":
        return story.title
    if story.section in TRADITIONAL_SECTIONS:
        return hant(story.title)
    return story.title


def summary(story: Story, generation: int) -> str:
    first = next(
        (p for p in paragraphs(body_of(story, generation)) if not p.startswith("[photo]")), ""
    )
    if story.section == "wechat":
        first = "".join(lines(body_of(story, generation))[:3])
    first = re.sub(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)", "", first)
    if story.section in TRADITIONAL_SECTIONS and not story.raw:
        first = hant_plain(first)
    return first[:80] + ("……" if len(first) > 80 else "")


# ───────────────────────────── article pages ─────────────────────────────

CHINANEWS_DISCLAIMER = (
    "中國(guó)新聞網(wǎng)·四川新聞版權(quán)與免責(zé)聲明:</p><p>① 凡本網(wǎng)注明\"來(lái)源:本網(wǎng)或中國(guó)新聞網(wǎng)·四川新聞\""
    "的所有作品,版權(quán)均屬于中新社,未經(jīng)本網(wǎng)授權(quán)不得轉(zhuǎn)載、摘編或利用其它方式使用上述作品。已經(jīng)本網(wǎng)授權(quán)使用作品的,"
    "應(yīng)在授權(quán)範(fàn)圍內(nèi)使用,并注明\"來(lái)源:中國(guó)新聞網(wǎng)·四川新聞\"。違反上述聲明者,本網(wǎng)將追究其相關(guān)法律責(zé)任。 "
    "② 凡本網(wǎng)注明\"來(lái)源:XXX(非本網(wǎng))\"的作品,均轉(zhuǎn)載自其它媒體,轉(zhuǎn)載目的在于傳遞更多信息,並不代表本網(wǎng)贊同其觀點(diǎn)"
    "和對(duì)其真實(shí)性負(fù)責(zé)。 ③ 如因作品內(nèi)容、版權(quán)和其它問(wèn)題需要同本網(wǎng)聯(lián)系的,請(qǐng)?jiān)?0日內(nèi)進(jìn)行。 "
    "聯(lián)系方式:中國(guó)新聞網(wǎng)·四川新聞采編部 電話:+86-28-62938795"
)


def render_chinanews(story: Story, generation: int) -> str:
    d = story.published
    parts: list[str] = []
    paras = paragraphs(body_of(story, generation))
    for i, p in enumerate(paras):
        if p.startswith("[photo]"):
            caption, _, credit = p.removeprefix("[photo]").strip().partition("|")
            if not story.raw:
                caption, credit = hant(caption), hant(credit)
            parts.append(
                f'<div class="image-box"><img src="{PIXEL}" data-original="https://img.chinanews.example/'
                f'{story.slug}_{i}.jpg" alt=""><p class="pictext" style="text-align:center">'
                f"{esc(caption)}{esc(credit)} 攝</p></div>"
            )
            continue
        if not story.raw:
            if i == 0:
                p = f"中新网四川新闻{d.month}月{d.day}日电({story.reporters}){p}"
            if i == len(paras) - 1:
                p += "(完)"
            p = hant(p)
        parts.append(f"<p>\u3000\u3000{esc(p)}</p>")
    body = "\n".join(parts)
    title = plain_title(story)
    return f"""<!DOCTYPE html>
<html lang="zh-Hant">
<head>
<meta charset="utf-8">
<title>{esc(title)}-中新網四川</title>
<meta name="keywords" content="{attr(title)}">
<meta name="description" content="{attr(summary(story, generation))}">
<meta name="author" content="{attr(hant_plain(story.editor))}">
</head>
<body>
<div class="topbar">{hant("四川新闻网")} | <a href="/">首頁</a> | <a href="/chinanews/">{hant("中新网四川")}</a> | <a href="/about.html">{hant("关于我们")}</a></div>
<div class="nav"><ul><li><a href="/chinanews/">{hant("首页")}</a></li><li><a href="/chinanews/">{hant("时政")}</a></li><li><a href="/chinanews/">{hant("社会")}</a></li><li><a href="/chinanews/">kjws</a></li><li><a href="/chinanews/">{hant("图片")}</a></li></ul></div>
<div class="crumbs"><a href="/chinanews/">{hant("首页")}</a> &gt; <a href="/chinanews/">kjws</a> &gt; {hant("中新网四川")}</div>
<div class="content">
<h1 class="content_left_title">{esc(shown_title(story))}</h1>
<div class="content_left_time">{d:%Y}年{d:%m}月{d:%d}日 {d:%H:%M} {hant("来源")}:{hant("中新网四川")} {hant("编辑")}:{esc(hant(story.editor))}</div>
<div class="left_zw" id="cont_1_1_2">
{body}
</div>
<div class="adEditor"><div class="left_name">【{hant("编辑")}:{esc(hant(story.editor))}】</div></div>
<div class="disclaimer"><p>{CHINANEWS_DISCLAIMER}</p></div>
</div>
<div class="footer"><p><a href="/about.html">{hant("关于我们")}</a> | {hant("联系我们")} | {hant("广告服务")} | {hant("供稿服务")} | {hant("法律声明")}</p>
<p>{hant("中国新闻网·四川新闻 版权所有 未经书面授权 不得复制或建立镜像")}</p>
<p>{hant("电话")}:028-62938795 {hant("蜀ICP备")}05001563{hant("号")}</p></div>
</body>
</html>
"""


def county_neighbours(story: Story) -> tuple[Story | None, Story | None]:
    """上一篇 (newer) / 下一篇 (older) among the base site's county stories, stable across
    generations so that adding a story does not touch its neighbours' pages."""
    base = [s for s in stories_in(1, "county")]
    if story not in base:
        return None, (base[0] if base else None)
    i = base.index(story)
    return (base[i - 1] if i > 0 else None), (base[i + 1] if i + 1 < len(base) else None)


COUNTY_FOOTER = (
    "主办单位：湄潭县卫生健康局 承办单位：湄潭县卫生健康局办公室<br>"
    "地址：贵州省遵义市湄潭县湄江街道浙大路 邮编：564100 电话：0851-24221234<br>"
    "黔ICP备12003456号-1 黔公网安备 52032802000123号 政府网站标识码：5203280012"
)


def county_chrome(title: str, inner: str, crumb: str) -> str:
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta charset="gb2312">
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{esc(title)}</title>
</head>
<body>
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0">
<tr><td class="banner" height="120">湄潭县卫生健康局</td></tr>
<tr><td class="nav" height="40"><a href="/county/">首页</a> | <a href="/county/">机构概况</a> | <a href="/county/">新闻中心</a> | <a href="/county/">政务公开</a> | <a href="/county/">办事服务</a> | <a href="/county/">互动交流</a></td></tr>
</table>
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0">
<tr><td class="position" height="32">当前位置：<a href="/county/">首页</a> &gt; <a href="/county/">新闻中心</a> &gt; <a href="/county/">工作动态</a>{crumb}</td></tr>
</table>
{inner}
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" class="footer">
<tr><td align="center" height="90">{COUNTY_FOOTER}</td></tr>
</table>
</body>
</html>
"""


def render_county(story: Story, generation: int) -> str:
    paras = "\n".join(
        f'<p style="text-indent:2em;">\u3000\u3000{esc(p)}</p>'
        for p in paragraphs(body_of(story, generation))
    )
    newer, older = county_neighbours(story)

    def link(s: Story | None) -> str:
        return f'<a href="{s.path}">{esc(s.title)}</a>' if s else "没有了"

    inner = f"""<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" class="article">
<tr><td class="title" align="center" height="60"><h2>{esc(story.title)}</h2></td></tr>
<tr><td class="info" align="center" height="30">发布时间：{story.published:%Y-%m-%d %H:%M} 来源：{esc(story.source)} 浏览次数：<span id="hits"><script type="text/javascript">document.write({number(story.id, 200, 3000)});</script></span> 【字体：<a href="javascript:doZoom(16)">大</a> <a href="javascript:doZoom(14)">中</a> <a href="javascript:doZoom(12)">小</a>】</td></tr>
<tr><td class="content" valign="top"><div id="zoom">
{paras}
</div></td></tr>
<tr><td align="right" height="40">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</td></tr>
<tr><td class="prevnext" height="60">上一篇：{link(newer)}<br>下一篇：{link(older)}</td></tr>
</table>"""
    return county_chrome(f"{story.title}_湄潭县卫生健康局", inner, " &gt; 正文")


WECHAT_STYLE_P = 'style="margin:0;padding:0;text-align:center;line-height:1.75em;"'


def render_wechat(story: Story, generation: int) -> str:
    parts: list[str] = []
    for n, line in enumerate(lines(body_of(story, generation))):
        if line.startswith("## "):
            parts.append(
                '<section style="text-align:center;color:#0a7ccf;font-size:17px;">'
                f"<strong>{esc(line[3:])}</strong></section>"
            )
        elif line.startswith("△"):
            parts.append(
                f'<p style="text-align:center;"><img class="rich_pages wxw-img" data-ratio="0.6667" '
                f'data-src="https://mmbiz.qpic.example/mmbiz_jpg/{story.slug[:8]}{n}/640?wx_fmt=jpeg" '
                f'src="{PIXEL}"></p>'
            )
            parts.append(
                f'<p style="text-align:center;font-size:12px;color:#888888;"><span>{esc(line)}</span></p>'
            )
        elif set(line) <= set("▽△▼"):
            parts.append(f'<p style="text-align:center;"><span style="color:#1e9be8;">{esc(line)}</span></p>')
        elif n % 4 == 3:
            parts.append(f'<section {WECHAT_STYLE_P}><span style="font-size:15px;">{esc(line)}</span></section>')
        else:
            parts.append(f'<p {WECHAT_STYLE_P}><span style="font-size:15px;">{esc(line)}</span></p>')
    content = "\n".join(parts)
    ct = int(story.published.timestamp())
    return f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1.0,maximum-scale=1.0,user-scalable=0,viewport-fit=cover">
<meta property="og:title" content="{attr(story.title)}">
<meta property="og:type" content="article">
<meta property="og:description" content="{attr(summary(story, generation))}">
<meta property="twitter:card" content="summary">
<title>{esc(story.title)}</title>
</head>
<body id="activity-detail" class="zh_CN wx_wap_page mm_appmsg">
<div id="js_article" class="rich_media">
<div class="rich_media_inner"><div id="page-content" class="rich_media_area_primary">
<div class="rich_media_area_primary_inner">
<h1 class="rich_media_title" id="activity-name">
{esc(story.title)}
</h1>
<div id="meta_content" class="rich_media_meta_list">
<span class="rich_media_meta rich_media_meta_text">{esc(story.account)}</span>
<span class="rich_media_meta rich_media_meta_nickname" id="profileBt"><a href="javascript:void(0);" id="js_name">{esc(story.account)}</a></span>
<em id="publish_time" class="rich_media_meta rich_media_meta_text"></em>
</div>
<div class="rich_media_content js_underline_content" id="js_content" style="visibility: hidden;">
{content}
</div>
<div class="rich_media_tool" id="js_toobar3"><div class="media_tool_meta">阅读 <span id="readNum3">{number(story.id, 1000, 30000)}</span></div><div class="media_tool_meta">在看 <span>{number(story.slug, 5, 300)}</span></div></div>
</div></div></div>
<div class="qr_code_pc_outer"><div class="qr_code_pc"><img class="qr_code_pc_img" src="{PIXEL}" alt=""><p>微信扫一扫<br>关注该公众号</p></div></div>
<div id="js_pc_qr_code"><p>扫一扫关注公众号</p><p>{esc(story.account)}</p></div>
</div>
<script type="text/javascript">
var nickname = htmlDecode("{esc(story.account)}");
var msg_title = '{story.title}'.html(false);
var msg_desc = htmlDecode("{esc(summary(story, generation))}");
var user_name = "gh_{zlib.crc32(story.account.encode()):08x}";
var ct = "{ct}";
var create_time = "{ct}" * 1;
var publish_time = "{story.published:%Y-%m-%d}" || "";
</script>
</body>
</html>
"""


PORTAL_NAV = """<div class="nav"><ul>
<li><a href="/portal/">新闻</a></li><li><a href="/portal/">房产</a></li><li><a href="/portal/">汽车</a></li><li><a href="/portal/">娱乐</a></li><li><a href="/portal/">体育</a></li><li><a href="/portal/">健康</a></li>
</ul></div>"""
PORTAL_FOOTER = """<div class="footer-nav"><ul>
<li><a href="/portal/">新闻</a></li>
<li><a href="/portal/">房产</a></li>
<li><a href="/portal/">汽车</a></li>
<li><a href="/portal/">娱乐</a></li>
<li><a href="/portal/">体育</a></li>
</ul></div>
<div class="footer"><p><a href="/about.html">关于我们</a> | <a href="/about.html">广告服务</a> | <a href="/about.html">加入我们</a> | <a href="/about.html">联系我们</a> | <a href="/about.html">帮助说明</a> | <a href="/about.html">版权声明</a> | <a href="/about.html">友情链接</a></p>
<p>Copyright &copy; www.hefeif.com.cn All Right Reserved. 合肥网 版权所有</p></div>"""


def portal_lead(first: str) -> str:
    """The portal's summary: the first paragraph without quotes, cut after its last full clause
    within 100 characters (it ends on a comma, as on the seed page)."""
    text = re.sub("[“”]", "", first)
    cut = text[:100].rfind("，")
    return text[: cut + 1] if cut > 0 else text[:100]


def render_portal(story: Story, generation: int) -> str:
    paras = [dot_to_stop(p) for p in paragraphs(body_of(story, generation))]
    once = "\n".join(f"<p>\u3000\u3000{esc(p)}</p>" for p in paras)
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{esc(story.title)}_健康_合肥网</title>
<meta name="keywords" content="健康,{attr(story.title)}">
<meta name="description" content="{attr(portal_lead(paras[0]))}">
</head>
<body>
<div class="header"><a href="/portal/" class="logo">合肥网</a></div>
{PORTAL_NAV}
<div class="position"><a href="/portal/">主页</a>&gt;<a href="/portal/">健康</a>&gt;  正文</div>
<div class="article">
<h1>{esc(story.title)}</h1>
<div class="info">发布时间:{story.published:%Y-%m-%d %H:%M}来源: <span class="source">未知</span></div>
<div class="summary">{esc(portal_lead(paras[0]))}</div>
<div class="content" id="article-content">
{once}
{once}
</div>
</div>
{PORTAL_FOOTER}
</body>
</html>
"""


def blog_iso(d: datetime) -> str:
    return d.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def render_blog(story: Story, generation: int) -> str:
    paras = "".join(f"<p>{esc(p)}</p>" for p in paragraphs(body_of(story, generation)))
    iso = blog_iso(story.published)
    cats = "".join(
        f'<a class="article-category-link" href="/blog/">{esc(c)}</a>' for c in story.categories
    )
    modified = iso
    if story.edit_gen and generation >= story.edit_gen:
        modified = blog_iso(GENERATION_DATES[story.edit_gen])
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{esc(story.title)} | 健康资讯聚合</title>
<meta name="viewport" content="width=device-width, initial-scale=1, maximum-scale=1">
<meta name="description" content="{attr(summary(story, generation))}">
<meta name="author" content="{attr(story.author)}">
<meta property="og:type" content="article">
<meta property="og:title" content="{attr(story.title)}">
<meta property="og:url" content="{story.path}">
<meta property="og:site_name" content="健康资讯聚合">
<meta property="og:image" content="{attr(story.thumbnail)}">
<meta property="article:published_time" content="{iso}">
<meta property="article:modified_time" content="{modified}">
<meta property="article:author" content="{attr(story.author)}">
<meta property="article:tag" content="{attr(story.categories[-1] if story.categories else '')}">
<meta name="generator" content="Hexo 5.4.0">
<link rel="alternate" href="/feed.xml" title="健康资讯聚合" type="application/rss+xml">
</head>
<body>
<div id="container"><div id="wrap">
<header id="header"><div id="header-outer" class="outer"><div id="header-title" class="inner">
<h1 id="logo-wrap"><a href="/blog/" id="logo">健康资讯聚合</a></h1>
<h2 id="subtitle-wrap"><span id="subtitle">每日健康新闻搬运</span></h2>
</div><nav id="main-nav"><a class="main-nav-link" href="/blog/">首页</a><a class="main-nav-link" href="/about.html">关于</a></nav></div></header>
<div class="outer"><section id="main">
<article id="post-{story.slug}" class="h-entry article article-type-post" itemscope itemprop="blogPost">
<div class="article-meta">
<a href="{story.path}" class="article-date"><time class="dt-published" datetime="{iso}" itemprop="datePublished">{story.published:%Y-%m-%d}</time></a>
<div class="article-category">{cats}</div>
</div>
<div class="article-inner">
<header class="article-header"><h1 class="p-name article-title" itemprop="headline name">{esc(story.title)}</h1></header>
<div class="e-content article-entry" itemprop="articleBody">
<div><img src="{attr(story.thumbnail)}" alt="">
{paras}
</div>
</div>
<footer class="article-footer"><a data-url="{story.path}" data-id="{story.slug}" class="article-share-link">分享</a>
<ul class="article-tag-list" itemprop="keywords">{"".join(f'<li class="article-tag-list-item"><a class="article-tag-list-link" href="/blog/">{esc(c)}</a></li>' for c in story.categories)}</ul></footer>
</div>
</article>
</section></div>
<footer id="footer"><div class="outer"><div id="footer-info" class="inner">&copy; {story.published:%Y} 健康资讯聚合<br>Powered by <a href="https://hexo.io/" target="_blank">Hexo</a></div></div></footer>
</div></div>
</body>
</html>
"""


REPOST_FOOTER = """<div class="contact">
<p>產(chǎn)業(yè)招商/廠房土地租售:400 0123 021</p>
<p>或微信/手機(jī):13524678515;?13564686846;?13391219793?</p>
<p>請(qǐng)說明您的需求、用途、稅收、公司、聯(lián)系人、手機(jī)號(hào),以便快速幫您對(duì)接資源。?</p>
<p>長按/掃一掃加葛毅明的微信號(hào)</p>
<p><img src="{pixel}" alt="" class="qrcode"></p>
</div>
<div class="follow">
<p>掃一掃關(guān)注公眾號(hào)</p>
<p><img src="{pixel}" alt="" class="qrcode"></p>
<p>掃描二維碼推送至手機(jī)訪問(wèn)。</p>
</div>
<div class="copyright"><p>版權(quán)聲明:本文由公眾號(hào):園區(qū)產(chǎn)業(yè)招商發(fā)布,如需轉(zhuǎn)載請(qǐng)注明出處。部份內(nèi)容收集于網(wǎng)絡(luò),如有不妥之處請(qǐng)聯(lián)系我們刪除 13391219793 僅微信</p></div>"""


def repost_source_name(story: Story) -> str:
    original = story_by_id(story.repost_of)
    return {
        "county": "湄潭县卫生健康局",
        "blog": "健康资讯聚合",
        "chinanews": "中新网四川",
        "portal": "合肥网",
        "wechat": original.account,
    }.get(original.section, "网络")


def render_repost(story: Story, generation: int) -> str:
    paras = [p for p in paragraphs(body_of(story, generation)) if not p.startswith("[photo]")]
    if not story.raw:
        paras = [hant(spin(p)) for p in paras]
    if story.repost_of:
        paras.insert(0, hant(f"以下文章来源于{repost_source_name(story)},转载请注明出处。"))
    body = "\n".join(f"<p>{esc(p)}</p>" for p in paras)
    title = plain_title(story)
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{esc(title)}-園區產業招商</title>
<meta name="keywords" content="園區招商,廠房土地,{attr(title)}">
<meta name="description" content="{attr(summary(story, generation))}">
</head>
<body>
<div class="header"><a href="/repost/" class="logo">{hant("园区产业招商")}</a> <span class="slogan">{hant("产业招商 · 厂房土地租售 · 园区资讯")}</span></div>
<div class="menu"><a href="/repost/">{hant("首页")}</a> <a href="/repost/">{hant("园区资讯")}</a> <a href="/repost/">{hant("招商政策")}</a> <a href="/about.html">{hant("联系我们")}</a></div>
<div class="post">
<h1 class="post-title">{esc(story.title)}</h1>
<div class="post-meta">{hant("发布时间")}:{story.published:%Y-%m-%d %H:%M} {hant("阅读")}:{number(story.id, 100, 5000)}</div>
<div class="post-content">
{body}
</div>
{REPOST_FOOTER.format(pixel=PIXEL)}
</div>
</body>
</html>
"""


RENDERERS: dict[str, Callable[[Story, int], str]] = {
    "chinanews": render_chinanews,
    "county": render_county,
    "wechat": render_wechat,
    "portal": render_portal,
    "blog": render_blog,
    "repost": render_repost,
}


# ───────────────────────────── listings ─────────────────────────────

def listing_file(section: str, page: int) -> str:
    return f"/{section}/index.html" if page == 1 else f"/{section}/index_{page}.html"


def listing_href(section: str, page: int) -> str:
    return listing_file(section, page)


def pager(section: str, page: int, pages: int) -> str:
    links = [f'<a href="{listing_href(section, 1)}">首页</a>']
    if page > 1:
        links.append(f'<a href="{listing_href(section, page - 1)}" rel="prev">上一页</a>')
    for n in range(1, pages + 1):
        links.append(
            f"<span class=\"current\">{n}</span>" if n == page else f'<a href="{listing_href(section, n)}">{n}</a>'
        )
    if page < pages:
        links.append(f'<a href="{listing_href(section, page + 1)}" class="next" rel="next">下一页</a>')
    links.append(f'<a href="{listing_href(section, pages)}">尾页</a>')
    return f'<div class="pagination">{" ".join(links)}</div>'


def listing_item(story: Story) -> str:
    title = shown_title(story) if story.section in TRADITIONAL_SECTIONS else story.title
    return (
        f'<li><a href="{story.path}" title="{attr(plain_title(story))}">{esc(title)}</a>'
        f' <span class="date">{story.published:%Y-%m-%d}</span></li>'
    )


def render_listing(section: str, chunk: list[Story], page: int, pages: int) -> str:
    items = "\n".join(listing_item(s) for s in chunk)
    name = SECTION_NAMES[section]
    if section == "county":
        rows = "\n".join(
            f'<tr><td class="list-title">·<a href="{s.path}" target="_blank">{esc(s.title)}</a></td>'
            f'<td class="list-date" align="right">[{s.published:%Y-%m-%d}]</td></tr>'
            for s in chunk
        )
        inner = f"""<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" class="list">
{rows}
<tr><td colspan="2" align="center">{pager(section, page, pages)}</td></tr>
</table>"""
        return county_chrome("工作动态_湄潭县卫生健康局", inner, "")
    heading = hant(name) if section in TRADITIONAL_SECTIONS else name
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{esc(heading)} - 第{page}页</title>
</head>
<body>
<div class="header"><a href="/">健康新闻演示站</a> &gt; <a href="/{section}/">{esc(heading)}</a></div>
<h1>{esc(heading)}</h1>
<ul class="list">
{items}
</ul>
{pager(section, page, pages)}
</body>
</html>
"""


def listings(generation: int) -> dict[str, str]:
    out: dict[str, str] = {}
    for section in SECTIONS:
        stories = stories_in(generation, section)
        pages = max(1, -(-len(stories) // PAGE_SIZE))
        for page in range(1, pages + 1):
            chunk = stories[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            out[listing_file(section, page)] = render_listing(section, chunk, page, pages)
    return out


# ───────────────────────────── site-wide files ─────────────────────────────

def last_modified(story: Story, generation: int) -> datetime:
    if story.edit_gen and generation >= story.edit_gen:
        return GENERATION_DATES[story.edit_gen]
    return story.published


def render_feed(generation: int) -> str:
    recent = stories_in(generation)[:FEED_ITEMS]
    items = "\n".join(
        f"""<item>
<title>{esc(plain_title(s))}</title>
<link>{{{{BASE}}}}{s.path}</link>
<guid isPermaLink="true">{{{{BASE}}}}{s.path}</guid>
<pubDate>{format_datetime(s.published)}</pubDate>
<category>{esc(SECTION_NAMES[s.section])}</category>
<description>{esc(summary(s, generation))}</description>
</item>"""
        for s in recent
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>健康新闻演示站</title>
<link>{{{{BASE}}}}/</link>
<atom:link href="{{{{BASE}}}}/feed.xml" rel="self" type="application/rss+xml"/>
<description>基层医改、医共体、分级诊疗、家庭医生签约、疫苗接种、中医药、医保与妇幼健康新闻</description>
<language>zh-cn</language>
<lastBuildDate>{format_datetime(recent[0].published)}</lastBuildDate>
{items}
</channel>
</rss>
"""


def render_sitemap_index() -> str:
    return """<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{{BASE}}/sitemap-articles.xml</loc></sitemap>
<sitemap><loc>{{BASE}}/news-sitemap.xml</loc></sitemap>
</sitemapindex>
"""


def render_sitemap_articles(generation: int) -> str:
    urls = "\n".join(
        f"<url><loc>{{{{BASE}}}}{s.path}</loc><lastmod>{last_modified(s, generation).isoformat()}</lastmod></url>"
        for s in stories_in(generation)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{urls}
</urlset>
"""


def render_news_sitemap(generation: int) -> str:
    urls = "\n".join(
        f"""<url><loc>{{{{BASE}}}}{s.path}</loc>
<news:news><news:publication><news:name>{esc(SECTION_NAMES[s.section])}</news:name><news:language>{"zh-tw" if s.section in TRADITIONAL_SECTIONS else "zh-cn"}</news:language></news:publication>
<news:publication_date>{s.published.isoformat()}</news:publication_date>
<news:title>{esc(plain_title(s))}</news:title></news:news></url>"""
        for s in stories_in(generation)[:FEED_ITEMS]
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{urls}
</urlset>
"""


ROBOTS = """User-agent: *
Disallow: /private/
Allow: /

Sitemap: {{BASE}}/sitemap.xml
"""

DEAD_LINK = "/chinanews/kjws/2019/01-01/10000001.html"


def simple_page(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{esc(title)}</title>
<link rel="alternate" type="application/rss+xml" title="健康新闻演示站" href="/feed.xml">
</head>
<body>
{body}
</body>
</html>
"""


def render_home(generation: int) -> str:
    sections = "\n".join(
        f'<li><a href="/{s}/">{esc(SECTION_NAMES[s])}</a></li>' for s in SECTIONS
    )
    latest = "\n".join(
        f'<li><a href="{s.path}">{esc(plain_title(s))}</a> <span class="date">{s.published:%Y-%m-%d}</span></li>'
        for s in stories_in(generation)[:6]
    )
    return simple_page(
        "健康新闻演示站",
        f"""<h1>健康新闻演示站</h1>
<p>离线演示站点：模仿五类地方卫生健康新闻来源。</p>
<h2>栏目</h2>
<ul class="sections">
{sections}
</ul>
<h2>最新文章</h2>
<ul class="latest">
{latest}
</ul>
<p><a href="/about.html">关于本站</a> | <a href="/feed.xml">RSS</a> | <a href="/sitemap.xml">网站地图</a></p>""",
    )


def render_about() -> str:
    return simple_page(
        "关于本站 - 健康新闻演示站",
        f"""<h1>关于本站</h1>
<p>本站是 healthcrawl 的离线演示站点，所有页面均为演示数据，仿照中新网四川、县卫生健康局、微信公众号、地方新闻门户、Hexo 博客和园区招商公众号转载等来源的页面样式。</p>
<ul>
<li><a href="/">返回首页</a></li>
<li><a href="{DEAD_LINK}">2019年专题回顾</a>（旧链接）</li>
<li><a href="/private/secret.html">内部资料</a></li>
</ul>""",
    )


def render_not_found() -> str:
    return simple_page(
        "404 页面不存在 - 健康新闻演示站",
        '<h1>404</h1>\n<p>您访问的页面不存在或已被删除。</p>\n<p><a href="/">返回首页</a></p>',
    )


def render_secret() -> str:
    return simple_page(
        "内部资料 - 请勿抓取",
        "<h1>内部资料</h1>\n<p>本页面被 robots.txt 禁止抓取。遵守 robots 协议的爬虫不应请求本页。</p>",
    )


def encode(path: str, text: str) -> bytes:
    section = path.strip("/").split("/", 1)[0]
    if section in GBK_SECTIONS:
        try:
            return text.encode("gbk")
        except UnicodeEncodeError as exc:
            raise ValueError(f"{path}: cannot be encoded as GBK: {exc}") from exc
    return text.encode("utf-8")


def render_generation(generation: int) -> dict[str, bytes]:
    """Every file of one generation: site path (``/…``) → bytes as stored."""
    pages: dict[str, str] = {
        "/robots.txt": ROBOTS,
        "/sitemap.xml": render_sitemap_index(),
        "/sitemap-articles.xml": render_sitemap_articles(generation),
        "/news-sitemap.xml": render_news_sitemap(generation),
        "/feed.xml": render_feed(generation),
        "/index.html": render_home(generation),
        "/about.html": render_about(),
        "/404.html": render_not_found(),
        "/private/secret.html": render_secret(),
    }
    pages.update(listings(generation))
    for story in stories_in(generation):
        pages[story.file_path] = RENDERERS[story.section](story, generation)
    return {path: encode(path, text) for path, text in pages.items()}


def diff(old: dict[str, bytes], new: dict[str, bytes]) -> tuple[dict[str, bytes], list[str]]:
    changed = {p: b for p, b in new.items() if old.get(p) != b}
    removed = sorted(set(old) - set(new))
    return changed, removed


def write_files(root: Path, files: dict[str, bytes]) -> None:
    for path, data in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def build(out: Path = DEMO_DIR) -> dict[str, object]:
    """Write site/, site_genN/ and generations.json under ``out``; returns the manifest."""
    load_stories()  # validate first
    for old in [out / "site", *(out / f"site_gen{g}" for g in range(2, MAX_GENERATION + 1))]:
        if old.exists():
            shutil.rmtree(old)
    previous = render_generation(1)
    write_files(out / "site", previous)
    manifest: dict[str, object] = {"max_generation": MAX_GENERATION, "generations": {}}
    generations: dict[str, object] = {"1": {"overlay": "site", "removed": []}}
    for g in range(2, MAX_GENERATION + 1):
        current = render_generation(g)
        changed, removed = diff(previous, current)
        write_files(out / f"site_gen{g}", changed)
        generations[str(g)] = {"overlay": f"site_gen{g}", "removed": removed}
        previous = current
    manifest["generations"] = generations
    (out / "generations.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return manifest


def iter_files(root: Path) -> Iterable[tuple[str, bytes]]:
    for f in sorted(root.rglob("*")):
        if f.is_file():
            yield "/" + f.relative_to(root).as_posix(), f.read_bytes()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEMO_DIR, help="folder to write (default: crawler/demo)")
    args = parser.parse_args(argv)
    manifest = build(args.out)
    count = sum(1 for _ in iter_files(args.out / "site"))
    print(f"wrote {count} files to {args.out / 'site'}; generations: {manifest['generations']}")


if __name__ == "__main__":
    main()

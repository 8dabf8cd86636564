"""Generated benchmark site: Chinese regional health-news pages of the three kinds the crawler meets.

`generate_site(n, seed)` returns a `Site`: `n` article pages plus the listing pages that link
them (20 per page, with a pager), a home page, `/sitemap.xml` and `/robots.txt` — every page as
served bytes with its `Content-Type`. Deterministic for a seed. Article kinds, in rotation:

- **portal** (`/news/<yyyy>/<mmdd>/c<id>.html`, UTF-8, 中新网-like): breadcrumb, date / source /
  editor line, dateline lead, photo credit, `(完)`, long nav, scripts and a copyright footer;
- **county** (`/county/art/<id>.html`, **GBK**, charset only in `<meta>` — the HTTP header says
  plain `text/html`): table layout of a county health bureau, 发布时间/来源/浏览次数 line,
  print/close links, prev/next;
- **wechat** (`/s/<id>.html`, UTF-8): `#js_content` with one phrase per line, `△` captions,
  `▽▽▽` decoration lines, a QR-code/ad footer and the article variables in a script.

Article pages are 15–30 KB like real ones (navigation, scripts and footers included) and each
links three related articles, so the crawler's duplicate filter works as on a real site.

    python bench/pages.py --pages 20 --out /tmp/site      # write the site to a folder to look at
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import random
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Site", "generate_site", "ARTICLES_PER_LISTING"]

ARTICLES_PER_LISTING = 20
KINDS = ("portal", "portal", "county", "wechat", "portal", "county")

PLACES = ["成都市", "绵阳市", "宜宾市", "湄潭县", "德清县", "安吉县", "龙泉市", "简阳市", "江油市", "浏阳市",
          "醴陵市", "巩义市", "寿光市", "平潭县", "肥西县", "瑞金市", "宣威市", "仁怀市", "遵义市", "株洲市"]
ORGS = ["县人民医院", "县中医院", "县妇幼保健院", "县疾控中心", "县卫生健康局", "县医疗保障局", "中心卫生院",
        "社区卫生服务中心", "市第一人民医院", "市卫生健康委员会"]
TOPICS = ["县域医共体建设", "家庭医生签约服务", "分级诊疗制度建设", "高血压糖尿病慢病管理", "流感疫苗接种工作",
          "医保支付方式改革", "公立医院高质量发展", "基层医疗卫生服务能力提升", "爱国卫生运动", "两癌免费筛查",
          "社会心理服务体系建设", "中医药传承创新发展", "医养结合和老年健康服务", "母婴安全和出生缺陷防治"]
OPENERS = ["近日，{place}召开{topic}工作推进会", "为深入贯彻落实{topic}决策部署", "今年以来，{place}{org}持续推进{topic}",
           "记者从{place}卫生健康部门获悉", "据了解，{place}自{year}年起全面启动{topic}", "在{place}{org}的门诊大厅里",
           "按照省市统一部署", "针对群众反映强烈的看病难看病贵问题", "围绕{topic}这一中心任务"]
ACTIONS = ["{org}组建了由{n}名医务人员组成的专家团队，深入乡镇开展义诊和健康宣教活动",
           "全县{n}家基层医疗机构全部接入区域健康信息平台，实现检查结果互认和远程会诊",
           "累计为辖区{n}万余名常住居民建立电子健康档案，重点人群签约率达到{pct}%",
           "通过“线上+线下”相结合的方式，共培训乡村医生{n}人次，基层首诊率提升至{pct}%",
           "{org}负责人表示，下一步将继续加大投入力度，推动优质医疗资源下沉",
           "活动现场，医护人员为群众免费测量血压、血糖，发放健康宣传资料{n}余份",
           "截至目前，全县已建成标准化村卫生室{n}个，群众在家门口就能看上病、看好病",
           "为进一步提升服务能力，{org}先后选派{n}名骨干医师到上级医院进修学习",
           "“以前看个病要跑好几十公里，现在在镇上就能做检查。”{name}说",
           "据统计，今年一季度全县门急诊量同比增长{pct}%，住院患者县域内就诊率达到{pct2}%"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力海燕鹏晓宇浩然志国庆春"
SECTIONS = ["首页", "要闻", "时政", "社会", "财经", "健康", "教育", "文旅", "科技", "体育", "评论", "图片",
            "视频", "专题", "政务", "民生", "法治", "房产", "汽车", "县域"]


@dataclass
class Site:
    """Every page of the generated site: path → (content type, body bytes)."""

    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    article_paths: list[str] = field(default_factory=list)
    listing_paths: list[str] = field(default_factory=list)

    @property
    def size_bytes(self) -> int:
        return sum(len(body) for _, body in self.files.values())


@dataclass(frozen=True)
class _Article:
    id: int
    kind: str
    path: str
    title: str
    published: dt.datetime
    place: str
    org: str
    source: str
    editor: str
    author: str
    paragraphs: tuple[str, ...]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def _paragraph(rng: random.Random, place: str, org: str, topic: str) -> str:
    parts = [rng.choice(ACTIONS).format(org=org, n=rng.randint(3, 900), pct=f"{rng.uniform(40, 99):.1f}",
                                        pct2=f"{rng.uniform(60, 95):.1f}", name=_name(rng))
             for _ in range(rng.randint(2, 4))]
    lead = rng.choice(OPENERS).format(place=place, org=org, topic=topic, year=rng.randint(2015, 2024))
    return lead + "，" + "；".join(parts) + "。"


def _article(rng: random.Random, number: int) -> _Article:
    kind = KINDS[number % len(KINDS)]
    place, org, topic = rng.choice(PLACES), rng.choice(ORGS), rng.choice(TOPICS)
    published = dt.datetime(2024, 1, 1, 8) + dt.timedelta(minutes=rng.randint(0, 500_000))
    paragraphs = tuple(_paragraph(rng, place, org, topic) for _ in range(rng.randint(4, 12)))
    title = f"{place}{rng.choice(['扎实推进', '全面深化', '持续优化', '稳步推进', '创新开展'])}{topic}" \
            f"{rng.choice(['取得新成效', '惠及群众', '跑出加速度', '见实效', ''])}"
    path = {"portal": f"/news/{published:%Y/%m%d}/c{number:06d}.html",
            "county": f"/county/art/{number:06d}.html",
            "wechat": f"/s/{number:06d}.html"}[kind]
    return _Article(number, kind, path, title, published, place, place + org,
                    rng.choice(["中新网四川", "健康报", "本网", place + "融媒体中心", place + "卫生健康局"]),
                    _name(rng), _name(rng), paragraphs)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _nav() -> str:
    links = "".join(f'<li><a href="/list/{i % 5 + 1}.html">{s}</a></li>' for i, s in enumerate(SECTIONS))
    return f'<div class="nav"><ul>{links}</ul></div>'


TRACKING_JS = "<script>" + "var _hmt=_hmt||[];(function(){var hm=document.createElement('script');" \
    "hm.src='https://hm.example/hm.js?0f3b';var s=document.getElementsByTagName('script')[0];" \
    "s.parentNode.insertBefore(hm,s);})();" * 6 + "</script>"
FRIEND_SITES = ["国家卫生健康委员会", "四川省卫生健康委员会", "中国政府网", "人民网", "新华网", "央视网", "光明网",
                "中国网", "国际在线", "中国日报网", "中国青年网", "中国经济网", "中国台湾网", "中国西藏网", "央广网",
                "求是网", "中国新闻网", "四川在线", "华西都市网", "成都商报", "封面新闻", "红星新闻", "川观新闻"]
FRIEND_LINKS = '<div class="friends"><h4>友情链接</h4><ul>' + "".join(
    f'<li><a href="https://www{i}.friend.example/" target="_blank">{name}</a></li>'
    for i, name in enumerate(FRIEND_SITES * 3)) + "</ul></div>"
PAGE_CSS = "<style>" + "".join(
    f".m{i}{{margin:{i}px 0;padding:0 {i % 7}px;font:14px/1.8 'Microsoft YaHei',SimSun,sans-serif;color:#{i * 37 % 999:03d}}}"
    for i in range(120)) + "</style>"
PORTAL_FOOTER = FRIEND_LINKS + (
    '<div class="footer"><p><a href="/about.html">关于我们</a> | <a href="/about.html">About us</a> | '
    '<a href="/about.html">联系我们</a> | <a href="/about.html">广告服务</a> | <a href="/about.html">供稿服务</a> | '
    '<a href="/about.html">法律声明</a> | <a href="/about.html">招聘信息</a> | <a href="/about.html">网站地图</a></p>'
    "<p>本网站所刊载信息，不代表中新社和中新网观点。刊用本网站稿件，务经书面授权。未经授权禁止转载、摘编、复制及建立镜像，"
    "违者将依法追究法律责任。</p><p>[网上传播视听节目许可证(0106168)] [京ICP证040655号] [京公网安备 11000002003042号]</p>"
    "<p>Copyright &copy;1999-2025 chinanews.com. All Rights Reserved</p></div>"
)


def _related(article: _Article, related: list[_Article]) -> str:
    return "".join(f'<li><a href="{r.path}">{_e(r.title)}</a></li>' for r in related)


def render_portal(a: _Article, related: list[_Article]) -> str:
    body = [f"<p>\u3000\u3000中新网四川新闻{a.published.month}月{a.published.day}日电({a.author}) {_e(a.paragraphs[0])}</p>"]
    for n, para in enumerate(a.paragraphs[1:], 1):
        body.append(f"<p>\u3000\u3000{_e(para)}</p>")
        if n == 2:
            body.append(f'<p style="text-align:center"><img src="/img/{a.id}.jpg" alt=""></p>'
                        f'<p style="text-align:center">{a.author} 摄</p>')
    body.append("<p>(完)</p>")
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{_e(a.title)}-中新网四川</title>
<meta name="keywords" content="{_e(a.place)},健康,卫生">
<meta name="description" content="{_e(a.paragraphs[0][:80])}">
<link rel="canonical" href="{a.path}">
<link rel="stylesheet" href="/css/main.css">{PAGE_CSS}{TRACKING_JS}
</head><body>
<div class="top"><a href="/">中新网四川</a> <a href="/list/1.html">登录</a> <a href="/list/2.html">注册</a></div>
{_nav()}
<div class="crumb"><a href="/">首页</a> &gt; <a href="/list/1.html">健康</a> &gt; 中新网四川</div>
<div class="main"><div class="left">
<h1 class="title">{_e(a.title)}</h1>
<div class="source">{a.published:%Y年%m月%d日 %H:%M} 来源:{_e(a.source)} 编辑:{a.editor}</div>
<div class="content" id="content">
{chr(10).join(body)}
</div>
<div class="editor">【编辑:{a.editor}】</div>
<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a> <a href="#">QQ空间</a></div>
<div class="related"><h3>相关新闻</h3><ul>{_related(a, related)}</ul></div>
</div>
<div class="right"><h3>热点排行</h3><ul>{_related(a, related)}</ul>
<div class="ad"><script>document.write('<iframe src="/ad.html"></iframe>');</script></div></div></div>
{PORTAL_FOOTER}
<script src="/js/jquery.min.js"></script><script>$(function(){{$('.share a').click(function(){{return false;}});}});</script>
</body></html>
"""


def render_county(a: _Article, related: list[_Article]) -> str:
    paras = "\n".join(f'<p style="text-indent:2em;">\u3000\u3000{_e(p)}</p>' for p in a.paragraphs)
    prev_next = "".join(f'{label}：<a href="{r.path}">{_e(r.title)}</a><br>'
                        for label, r in zip(("上一篇", "下一篇"), related))
    nav = " | ".join(f'<a href="/list/{i % 5 + 1}.html">{s}</a>' for i, s in
                     enumerate(["首页", "机构概况", "新闻中心", "政务公开", "办事服务", "互动交流", "专题专栏"]))
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{_e(a.title)}_{_e(a.place)}卫生健康局</title>
<style type="text/css">body{{margin:0;font-size:12px}}.title h2{{font-size:22px;color:#c00}}</style>{PAGE_CSS}
</head><body>
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0">
<tr><td class="banner" height="120">{_e(a.place)}卫生健康局</td></tr>
<tr><td class="nav" height="40">{nav}</td></tr></table>
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0">
<tr><td class="position" height="32">当前位置：<a href="/">首页</a> &gt; <a href="/list/1.html">新闻中心</a> &gt; <a href="/list/1.html">工作动态</a> &gt; 正文</td></tr></table>
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" class="article">
<tr><td class="title" align="center" height="60"><h2>{_e(a.title)}</h2></td></tr>
<tr><td class="info" align="center" height="30">发布时间：{a.published:%Y-%m-%d %H:%M} 来源：{_e(a.source)} 浏览次数：<span id="hits"><script type="text/javascript">document.write({a.id * 7 % 3000});</script></span> 【字体：<a href="javascript:doZoom(16)">大</a> <a href="javascript:doZoom(14)">中</a> <a href="javascript:doZoom(12)">小</a>】</td></tr>
<tr><td class="content" valign="top"><div id="zoom">
{paras}
</div></td></tr>
<tr><td align="right" height="40">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</td></tr>
<tr><td class="prevnext" height="60">{prev_next}</td></tr></table>
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" class="footer">
<tr><td>{FRIEND_LINKS}</td></tr>
<tr><td align="center" height="90">主办：{_e(a.place)}卫生健康局 &nbsp; 地址：{_e(a.place)}人民路{a.id % 300}号 &nbsp; 联系电话：0851-2452{a.id % 1000:03d}<br>
黔ICP备05002{a.id % 1000:03d}号 &nbsp; 技术支持：某某网络科技有限公司 &nbsp; 网站标识码：5203280{a.id % 100:02d}</td></tr></table>
</body></html>
"""


def render_wechat(a: _Article, related: list[_Article]) -> str:
    parts: list[str] = []
    for n, para in enumerate(a.paragraphs):
        for phrase in para.replace("；", "；\n").replace("，", "，\n").split("\n"):
            parts.append(f'<p style="margin:0;text-align:center;line-height:1.75em;"><span style="font-size:15px;">'
                         f"{_e(phrase)}</span></p>")
        if n % 3 == 1:
            parts.append(f'<p style="text-align:center;"><img class="rich_pages wxw-img" data-src="https://mmbiz.example/{a.id}{n}/640"></p>'
                         f'<p style="text-align:center;font-size:12px;color:#888888;"><span>△{_e(a.org)}供图</span></p>')
    parts.append('<p style="text-align:center;"><span style="color:#1e9be8;">▽▽▽</span></p>')
    parts.append(f"<p>来源：{_e(a.source)}</p><p>编辑：{a.editor}</p>")
    more = "".join(f'<p><a href="{r.path}">{_e(r.title)}</a></p>' for r in related)
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1.0,maximum-scale=1.0,user-scalable=0">
<meta property="og:title" content="{_e(a.title)}"><meta property="og:type" content="article">
<title>{_e(a.title)}</title></head>
<body id="activity-detail" class="zh_CN wx_wap_page mm_appmsg">
<div id="js_article" class="rich_media"><div class="rich_media_inner"><div id="page-content" class="rich_media_area_primary">
<h1 class="rich_media_title" id="activity-name">{_e(a.title)}</h1>
<div id="meta_content" class="rich_media_meta_list"><span class="rich_media_meta rich_media_meta_nickname" id="profileBt"><a href="javascript:void(0);" id="js_name">健康{_e(a.place)}</a></span>
<em id="publish_time" class="rich_media_meta rich_media_meta_text"></em></div>
<div class="rich_media_content js_underline_content" id="js_content" style="visibility: hidden;">
{chr(10).join(parts)}
</div>
<div class="more"><p>往期推荐</p>{more}</div>
<div class="rich_media_tool"><div class="media_tool_meta">阅读 <span>{a.id * 13 % 30000}</span></div></div>
</div></div>
{TRACKING_JS}<div class="qr_code_pc_outer"><div class="qr_code_pc"><p>微信扫一扫<br>关注该公众号</p></div></div></div>
<script type="text/javascript">
var nickname = htmlDecode("健康{_e(a.place)}");
var msg_title = '{_e(a.title)}'.html(false);
var ct = "{int(a.published.replace(tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp())}";
var publish_time = "{a.published:%Y-%m-%d}" || "";
</script></body></html>
"""


RENDER = {"portal": render_portal, "county": render_county, "wechat": render_wechat}


def render_listing(chunk: list[_Article], page: int, pages: int) -> str:
    items = "\n".join(f'<li><a href="{a.path}" target="_blank">{_e(a.title)}</a><span>{a.published:%Y-%m-%d}</span></li>'
                      for a in chunk)
    pager = " ".join(f'<a href="/list/{p}.html">{p}</a>' if p != page else f"<b>{p}</b>"
                     for p in range(max(1, page - 5), min(pages, page + 5) + 1))
    nxt = f' <a href="/list/{page + 1}.html">下一页</a>' if page < pages else ""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>健康新闻 第{page}页</title></head>
<body>{_nav()}<div class="crumb"><a href="/">首页</a> &gt; 健康</div>
<ul class="list">
{items}
</ul><div class="pager">{pager}{nxt}</div>{PORTAL_FOOTER}</body></html>
"""


def render_sitemap(articles: list[_Article]) -> str:
    urls = "".join(f"<url><loc>{{BASE}}{a.path}</loc><lastmod>{a.published:%Y-%m-%d}</lastmod></url>\n"
                   for a in articles)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n'


def generate_site(n: int, seed: int = 1) -> Site:
    """`n` article pages plus listings, home, sitemap and robots.txt (see module docstring).
    The sitemap holds `{BASE}` where the server's base URL goes (`bench.server` fills it in)."""
    if n < 1:
        raise ValueError(f"need at least one article page, got n={n}")
    rng = random.Random(seed)
    articles = [_article(rng, i) for i in range(n)]
    site = Site()
    for i, article in enumerate(articles):
        related = [articles[(i + k) % n] for k in (1, 2, 3)]
        text = RENDER[article.kind](article, related)
        if article.kind == "county":
            site.files[article.path] = ("text/html", text.encode("gbk"))
        else:
            site.files[article.path] = ("text/html; charset=utf-8", text.encode("utf-8"))
        site.article_paths.append(article.path)
    pages = (n + ARTICLES_PER_LISTING - 1) // ARTICLES_PER_LISTING
    for page in range(1, pages + 1):
        chunk = articles[(page - 1) * ARTICLES_PER_LISTING: page * ARTICLES_PER_LISTING]
        path = f"/list/{page}.html"
        site.files[path] = ("text/html; charset=utf-8", render_listing(chunk, page, pages).encode("utf-8"))
        site.listing_paths.append(path)
    site.files["/"] = ("text/html; charset=utf-8", render_listing(articles[:ARTICLES_PER_LISTING], 1, pages)
                       .replace("健康新闻 第1页", "中新网四川 健康").encode("utf-8"))
    site.files["/sitemap.xml"] = ("application/xml", render_sitemap(articles).encode("utf-8"))
    site.files["/robots.txt"] = ("text/plain", b"User-agent: *\nAllow: /\nSitemap: {BASE}/sitemap.xml\n")
    return site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    site = generate_site(args.pages, args.seed)
    for path, (_, body) in site.files.items():
        target = args.out / (path.lstrip("/") or "index.html")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    print(f"wrote {len(site.files)} files ({site.size_bytes / 1e6:.1f} MB) to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

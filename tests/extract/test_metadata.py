"""metadata.py: titles without site suffix, Chinese and machine dates, bylines to fields."""

from __future__ import annotations

import lxml.html
import pytest

from crawler.extract.metadata import PageMeta, parse_date, read_metadata, take_byline_lines, take_trailing_byline


def meta_of(html: str):  # type: ignore[no-untyped-def]
    return read_metadata(lxml.html.fromstring(html), html)


@pytest.mark.parametrize(("title", "expected"), [
    ("关于开展义诊活动的通知_市卫生健康委员会", "关于开展义诊活动的通知"),
    ("简阳市医共体建设让基层群众有医靠-中新网四川", "简阳市医共体建设让基层群众有医靠"),
])
def test_title_without_site_suffix(title: str, expected: str) -> None:
    assert meta_of(f"<html><head><title>{title}</title></head><body><p>x</p></body></html>").title == expected


def test_labelled_chinese_date_and_byline_fields() -> None:
    html = ("<html><body><div>2025年04月07日 21:22 来源:中新网四川 编辑:曹惠君</div>"
            "<p>正文</p><div>Copyright 2019-2025 版权所有</div></body></html>")
    meta = meta_of(html)
    assert meta.published == "2025-04-07T21:22:00+08:00"
    assert (meta.source, meta.editor) == ("中新网四川", "曹惠君")


def test_fabu_shijian_and_unknown_source() -> None:
    meta = meta_of("<html><body><div>发布时间:2022-03-18 14:01来源: 未知</div></body></html>")
    assert meta.published == "2022-03-18T14:01:00+08:00"
    assert meta.source is None


def test_wechat_ct_and_meta_tag() -> None:
    assert meta_of('<html><body><script>var ct = "1639118436";</script></body></html>').published == "2021-12-10T14:40:36+08:00"
    html = '<html><head><meta property="article:published_time" content="2024-05-13T08:00:00+08:00"></head></html>'
    assert meta_of(html).published == "2024-05-13T08:00:00+08:00"


def test_front_matter_rfc2822() -> None:
    html = "---\ntitle: '新蒲新区'\nauthor: 趣头条\ndate: Fri, 10 Dec 2021 07:10:36 GMT\n---\n<div><p>正文</p></div>"
    meta = meta_of(html)
    assert meta.title == "新蒲新区" and meta.published == "2021-12-10T15:10:36+08:00"  # Beijing time


def test_copyright_year_is_never_a_date() -> None:
    meta = meta_of("<html><body><p>正文</p><div>© 2024 某某网 版权所有 2024-01-01 10:00</div></body></html>")
    assert meta.published is None


@pytest.mark.parametrize("value", ["2099-01-01", "1980-05-01", "2024-13-40"])
def test_untrustworthy_dates_dropped(value: str) -> None:
    assert parse_date(value) is None


def test_byline_lines_move_into_fields() -> None:
    meta = PageMeta()
    lines = ["正文第一段，说明情况。", "正文第二段。", "（责任编辑：张三）"]
    assert take_byline_lines(lines, meta) == lines[:2]
    assert meta.editor == "张三"


def test_trailing_byline_becomes_author_but_end_marks_and_places_stay() -> None:
    meta = PageMeta()
    out = take_trailing_byline(["前文。", "凝聚磅礴力量。(邓祁)"], meta)
    assert out[-1] == "凝聚磅礴力量。" and meta.author == "邓祁"
    meta = PageMeta()
    kept = ["小病不出镇(街道)"]
    assert take_trailing_byline(kept, meta) == kept and meta.author is None


@pytest.mark.parametrize(("html", "expected"), [
    # a subtitle after `——` is part of the title, the site name after `-` is not
    ("<title>醫改春風惠民生——資興市深入推進綜合醫療改革工作紀實-園區產業招商</title>"
     "<body><div>園區產業招商</div><h1>醫(yī)改春風(fēng)惠民生——資興市深入推進綜合醫療改革工作紀實</h1></body>",
     "醫改春風惠民生——資興市深入推進綜合醫療改革工作紀實"),
    ("<title>医改春风惠民生——资兴市深入推进综合医疗改革工作纪实</title><body><p>x</p></body>",
     "医改春风惠民生——资兴市深入推进综合医疗改革工作纪实"),
    # section and site: both go
    ("<title>云岩区:家庭医生签约服务提质增效_健康_合肥网</title><body><p>x</p></body>", "云岩区:家庭医生签约服务提质增效"),
    # the logo is an <h1> too: the headline h1 wins
    ('<title>汇川区分级诊疗制度建设取得实效 | 健康资讯聚合</title><meta property="og:site_name" content="健康资讯聚合">'
     "<body><h1>健康资讯聚合</h1><h1>汇川区分级诊疗制度建设取得实效</h1></body>", "汇川区分级诊疗制度建设取得实效"),
    # a hyphen inside the headline is not a site separator when the tail is no site name
    ("<title>新冠疫苗-第三针接种指南</title><body><p>正文</p></body>", "新冠疫苗-第三针接种指南"),
])
def test_title_keeps_subtitles_drops_site_and_section(html: str, expected: str) -> None:
    assert meta_of(f"<html><head>{html}</html>").title == expected


def test_dateline_reporters_become_author_and_repost_header_the_source() -> None:
    from crawler.extract.metadata import dateline_author

    meta = PageMeta()
    dateline_author(["中新网四川新闻4月7日电(吴平华 吴润秋)看病就医,关乎人民健康。"], meta)
    assert meta.author == "吴平华 吴润秋"
    meta = PageMeta()
    dateline_author(["本报讯（记者 张三 通讯员 李四）近日，某县召开会议。"], meta)
    assert meta.author == "张三 李四"
    meta = PageMeta(author="王五")
    dateline_author(["新华社北京5月1日电（记者 张三）"], meta)
    assert meta.author == "王五"
    html = "<html><body><p>以下文章來源于湄潭縣衛生健康局,轉載請注明出處。</p><p>部分资料来源：西江日报</p></body></html>"
    assert meta_of(html).source == "湄潭縣衛生健康局"
    assert meta_of("<html><body><p>部分资料来源：西江日报</p><p>图片来源：新华社</p></body></html>").source is None


# --- issue 16: titles, authors, dates -------------------------------------------------------

@pytest.mark.parametrize(("html", "expected"), [
    # a blog platform's logo <h1>, inside the <title> but after the site separator
    ("<title>汇川区家庭医生签约服务提质增效 @ 小城日记 :: 痞客邦 ::</title>"
     '<meta property="og:site_name" content="痞客邦"><body><h1><a href="/">痞客邦 PIXNET</a></h1>'
     "<h2 class='title'>汇川区家庭医生签约服务提质增效</h2></body>", "汇川区家庭医生签约服务提质增效"),
    # logo heading marked by class; headline agrees with og:title
    ('<title>县卫生健康局</title><meta property="og:title" content="湄潭县开展适龄儿童疫苗查漏补种工作">'
     "<body><h1 class='logo'>湄潭县卫生健康局</h1><h1>湄潭县开展适龄儿童疫苗查漏补种工作</h1></body>",
     "湄潭县开展适龄儿童疫苗查漏补种工作"),
    # the headline h1 carries a player widget's text: the <title> says where the headline ends
    ("<title>医保目录调整结果公布_健康频道</title><body><h1>医保目录调整结果公布<span>播报文章</span></h1></body>",
     "医保目录调整结果公布"),
    # a headline that the site-suffix rule would cut (its text recurs on the page) stays whole
    ("<title>新华视界｜河北遵化：数字农机服务助力农业生产-新华网</title><body><div id='headerTitle'>"
     "<h1>新华视界｜河北遵化：数字农机服务助力农业生产</h1></div><p>河北遵化：数字农机服务助力农业生产</p></body>",
     "新华视界｜河北遵化：数字农机服务助力农业生产"),
])
def test_title_never_a_logo_and_agrees_with_title(html: str, expected: str) -> None:
    assert meta_of(f"<html><head>{html}</html>").title == expected


@pytest.mark.parametrize(("line", "authors", "editor"), [
    ("作者：上官云 宋宇晟　来源：中国新闻网", ["上官云", "宋宇晟"], None),
    ("记者：张三、李四 通讯员：王五 编辑：赵六", ["张三", "李四"], "赵六"),
    ("文/图 记者 欧阳娜娜", ["欧阳娜娜"], None),
    ("作者：文静 责任编辑：刘洋", ["文静"], "刘洋"),
    ("本报记者 张三 通讯员 李四", ["张三", "李四"], None),
])
def test_byline_keeps_every_name_strips_roles_editor_apart(line: str, authors: list[str], editor: str | None) -> None:
    meta = meta_of(f"<html><body><div>{line}</div><p>正文，说明情况。</p></body></html>")
    assert meta.authors == authors and meta.author == " ".join(authors)
    assert meta.editor == editor


def test_page_level_authors_meta_wechat_and_author_blocks() -> None:
    from crawler.extract.bylines import page_authors, wechat_account

    def authors(html: str) -> list[str]:
        tree = lxml.html.fromstring(html)
        return page_authors(tree, {"健康时报网"})[0]

    assert authors('<html><head><meta name="author" content="叶婉"></head><body></body></html>') == ["叶婉"]
    assert authors('<html><head><meta property="article:author" content="记者 刘峻凌"></head></html>') == ["刘峻凌"]
    # outlets and CMS placeholders are no authors
    assert authors('<html><head><meta name="author" content="新华网"></head></html>') == []
    assert authors('<html><head><meta name="author" content="健康时报网"></head></html>') == []
    assert authors('<html><head><meta name="author" content="admin"></head></html>') == []
    block = '<html><body><div class="author"><span class="name">管不饿</span><span>关注</span></div></body></html>'
    assert authors(block) == ["管不饿"]
    assert authors('<html><body><span class="author">选稿：许文杰</span></body></html>') == []
    wechat = ('<html><body><span id="js_author_name">张三 李四</span><a id="js_name">连州卫生健康</a>'
              '<script>var nickname = htmlDecode("连州卫生健康");</script></body></html>')
    assert authors(wechat) == ["张三", "李四"]
    assert wechat_account(lxml.html.fromstring(wechat), wechat) == "连州卫生健康"
    script_only = '<html><body><script>var nickname = "肇庆发布";</script></body></html>'
    assert wechat_account(lxml.html.fromstring(script_only), script_only) == "肇庆发布"


def test_byline_beats_meta_author() -> None:
    html = ('<html><head><meta name="author" content="倪仕轩"></head><body>'
            "<div>作者：戴小河 印朋</div><p>正文，说明情况。</p></body></html>")
    meta = meta_of(html)
    assert meta.authors == ["戴小河", "印朋"]
    from crawler.extract.metadata import page_level_authors

    assert page_level_authors(lxml.html.fromstring(html), PageMeta()) == ["倪仕轩"]


@pytest.mark.parametrize(("url", "expected"), [
    ("http://www.gov.cn/xinwen/2012-06/04/content_2152326.htm", "2012-06-04"),
    ("http://wsjkw.sc.gov.cn/scwsjkw/gggs/2022/3/9/abc.shtml", "2022-03-09"),
    ("http://www.nhc.gov.cn/xcs/yqtb/202203/t20220309_1234567.shtml", "2022-03-09"),
    ("http://www.zj.gov.cn/art/2022/3/9/art_1229_5.html", "2022-03-09"),
    ("http://www.he.news.cn/20240515/d59c39d4160a4fe4b3084c3e4abfb450/c.html", "2024-05-15"),
    ("http://finance.people.com.cn/n1/2024/0510/c1004-40232587.html", "2024-05-10"),
    ("http://example.cn/a.html?date=20220309", None),
    ("http://example.cn/p/1716193079034519", None),
    ("http://example.cn/2099/01/01/a.html", None),
])
def test_url_path_dates(url: str, expected: str | None) -> None:
    from crawler.extract.metadata import url_date

    assert url_date(url) == expected


def test_date_sources_and_fallbacks() -> None:
    def meta_url(html: str, url: str):  # type: ignore[no-untyped-def]
        return read_metadata(lxml.html.fromstring(html), html, url)

    plain = "<html><body><p>正文，说明情况。</p><div>Copyright © 2012-2022 版权所有</div></body></html>"
    meta = meta_url(plain, "http://www.gov.cn/xinwen/2012-06/04/content_1.htm")
    assert (meta.published, meta.date_source) == ("2012-06-04", "url")
    assert meta_url(plain, "http://example.cn/a.html").published is None   # never the copyright year
    # an info cell: label, parenthesis and date split over lines
    cell = ("<html><body><table><tr><td>发布日期：（</td><td>\n2022-03-09\n</td><td>）</td></tr></table>"
            "<p>正文，说明情况。</p></body></html>")
    meta = meta_url(cell, "http://example.cn/a.html")
    assert (meta.published, meta.date_source) == ("2022-03-09", "byline")
    # a disclosure table: 发布日期 wins over the 成文日期 printed before it
    table = ("<html><body><table><tr><td>成文日期：</td><td>2022年03月01日</td><td>发布日期：</td>"
             "<td>2022年03月09日</td></tr></table><p>正文。</p></body></html>")
    assert meta_url(table, "http://example.cn/a.html").published == "2022-03-09"
    only_written = "<html><body><div>成文日期：2022-03-01</div><p>正文。</p></body></html>"
    meta = meta_url(only_written, "http://example.cn/a.html")
    assert (meta.published, meta.date_source) == ("2022-03-01", "disclosure")
    meta = meta_of('<html><head><meta name="pubdate" content="2024-05-13"></head><body></body></html>')
    assert meta.date_source == "meta"


def test_time_element_dates_the_article_not_the_feed() -> None:
    html = ('<html><body><ul><li><a href="/1">旧闻</a><time datetime="2021-01-01T08:00:00Z"></time></li></ul>'
            '<h1>标题</h1><time datetime="2024-05-20T06:05:02.000Z">2024年5月20日週一 下午2:05</time>'
            "<p>正文，说明情况。</p></body></html>")
    meta = meta_of(html)
    assert (meta.published, meta.date_source) == ("2024-05-20T14:05:02+08:00", "time")


@pytest.mark.parametrize(("html", "expected"), [
    # the <title> names only the site; TRS states the headline in ArticleTitle
    ('<title>湄潭县人民政府</title><meta name="ArticleTitle" content="湄潭县开展适龄儿童疫苗查漏补种工作">'
     "<body><p>正文</p></body>", "湄潭县开展适龄儿童疫苗查漏补种工作"),
    # ... or only in a headline block of the template
    ("<title>湄潭县卫生健康局</title><body><div class='logo'><h1>湄潭县卫生健康局</h1></div>"
     "<td class='title'><font size=4><b>县疾控中心开展手足口病防治培训</b></font></td><p>正文</p></body>",
     "县疾控中心开展手足口病防治培训"),
    ("<title>湄潭县卫生健康局</title><body><p>正文</p></body>", "湄潭县卫生健康局"),
])
def test_site_only_title_gives_way_to_the_headline(html: str, expected: str) -> None:
    assert meta_of(f"<html><head>{html}</html>").title == expected


def test_golden_date_sources_are_documented_ones() -> None:
    import json
    from pathlib import Path

    from crawler.extract.metadata import DATE_SOURCES

    expected = Path(__file__).resolve().parents[1] / "golden" / "expected"
    seen = {json.loads(p.read_text(encoding="utf-8"))["date_source"] for p in expected.glob("*.json")}
    assert seen - {None} <= set(DATE_SOURCES) and {"meta", "script", "byline", "url"} <= seen


@pytest.mark.parametrize(("script", "expected"), [
    ('var ct = "1646793000";', "2022-03-09T10:30:00+08:00"),
    ('var create_time = "1646793000" * 1;', "2022-03-09T10:30:00+08:00"),
    ("window.createTime = '2022-03-09 10:30';", "2022-03-09T10:30:00+08:00"),
])
def test_wechat_script_times(script: str, expected: str) -> None:
    meta = meta_of(f"<html><body><p>正文</p><script>{script}</script></body></html>")
    assert (meta.published, meta.date_source) == (expected, "script")


def test_unlabelled_info_cell_under_the_headline() -> None:
    html = ("<html><head><title>县卫生局召开农村卫生工作会议</title></head><body><table>"
            "<tr><td>・<a href='/1'>县疾控中心开展培训</a></td><td>(2012-06-01)</td></tr></table>"
            "<table><tr><td class='title'>县卫生局召开农村卫生工作会议</td></tr>"
            "<tr><td>（\n2012-06-04\n）　点击：318</td></tr><tr><td>正文，说明情况。</td></tr></table></body></html>")
    meta = read_metadata(lxml.html.fromstring(html), html, "http://example.cn/a.html")
    assert (meta.published, meta.date_source) == ("2012-06-04", "byline")
    sidebar_only = html.replace("（\n2012-06-04\n）", "")
    assert read_metadata(lxml.html.fromstring(sidebar_only), sidebar_only, "http://example.cn/a.html").published is None


def test_headline_with_an_icon_is_no_logo() -> None:
    html = ("<html><head><title>县医院开展义诊活动_县卫生健康局</title></head><body>"
            "<h1><img src='/images/yc.png'>县医院开展义诊活动</h1><p>正文</p></body></html>")
    assert meta_of(html).title == "县医院开展义诊活动"

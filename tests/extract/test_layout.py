"""layout.py: layout tables become blocks, data tables stay, WeChat sections and headings."""

from __future__ import annotations

import lxml.html

from crawler.extract import Extractor, extract_page
from crawler.extract.layout import is_layout_table, prepare_layout

BODY = ("近年来，湄潭县以县人民医院、县中医医院为牵头单位，组建2个紧密型县域医共体，将全县15个乡镇卫生院、"
        "社区卫生服务中心纳入医共体管理，实行人员、财务、药品耗材统一管理。")
DATA = ("<table><tr><td>乡镇</td><td>签约人数</td><td>签约率</td></tr>"
        "<tr><td>兴隆镇</td><td>1234</td><td>45.2%</td></tr><tr><td>永兴镇</td><td>987</td><td>41.0%</td></tr></table>")
COUNTY = f"""<html><head><title>湄潭县全力推进紧密型县域医共体建设_湄潭县卫生健康局</title></head><body>
<table width="1000"><tr><td class="banner">湄潭县卫生健康局</td></tr>
<tr><td class="nav"><a href="/">首页</a> | <a href="/">机构概况</a> | <a href="/">新闻中心</a> | <a href="/">政务公开</a></td></tr></table>
<table width="1000"><tr><td>当前位置：<a href="/">首页</a> &gt; <a href="/">新闻中心</a> &gt; 正文</td></tr></table>
<table width="1000" class="article">
<tr><td class="title"><h2>湄潭县全力推进紧密型县域医共体建设</h2></td></tr>
<tr><td class="info">发布时间：2022-03-09 10:20 来源：县卫生健康局</td></tr>
<tr><td class="content"><div id="zoom"><p>{BODY}</p><p>{BODY[:60]}。</p>{DATA}<p>下一步，湄潭县将深化医共体内部运行机制改革，推进医保基金总额付费。</p></div></td></tr>
<tr><td>【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</td></tr>
<tr><td>上一篇：<a href="/a.html">湄潭县召开2022年卫生健康工作会议</a><br>下一篇：没有了</td></tr></table>
<table width="1000"><tr><td>主办单位：湄潭县卫生健康局 黔ICP备12003456号-1</td></tr></table>
</body></html>"""


def test_layout_and_data_tables_told_apart() -> None:
    tree = lxml.html.fromstring(COUNTY)
    tables = list(tree.iter("table"))
    assert [is_layout_table(t) for t in tables] == [True, True, True, False, True]
    prepared = prepare_layout(tree)
    assert [t.get("class") for t in prepared.tree.iter("table")] == [None]  # only the data table
    assert len(list(tree.iter("table"))) == 5  # the original tree is untouched
    assert prepared.layout_tables == 4


def test_county_table_page_gives_clean_body_and_fields() -> None:
    result = extract_page(COUNTY.encode("gb18030"), url="http://county.test/a.html",
                          headers={"Content-Type": "text/html; charset=gb2312"}, extractor=Extractor())
    assert result.title == "湄潭县全力推进紧密型县域医共体建设"
    assert (result.published, result.source) == ("2022-03-09T10:20:00+08:00", "县卫生健康局")
    lines = result.text.split("\n")
    assert lines[0] == BODY
    assert lines[-1].startswith("下一步，湄潭县")
    assert "兴隆镇" in result.text  # the data table inside the article stays
    for chrome in ("湄潭县卫生健康局", "首页", "当前位置", "发布时间", "打印本页", "上一篇", "ICP", "机构概况"):
        assert chrome not in result.text, chrome


def test_wechat_sections_and_bold_headings() -> None:
    html = ("<html><body><div id='js_content' style='visibility: hidden;'>"
            "<section><span>人民健康是</span></section><p>民族昌盛的重要标志。</p>"
            "<section style='color:#0a7ccf'><strong>推动医防融合</strong></section>"
            "<section><span style='font-weight:bold'>织牢织密防护网</span></section>"
            "<section><strong>加粗</strong>但不全是加粗的一行,</section>"
            "<p>县人民医院牵头组建医共体，将全县21个乡镇卫生院纳入统一管理。</p></div></body></html>")
    prepared = prepare_layout(lxml.html.fromstring(html))
    assert prepared.headings == frozenset({"推动医防融合", "织牢织密防护网"})
    assert prepared.tree.xpath("//*[@itemprop='articleBody']")[0].get("id") == "js_content"
    assert "section" not in {el.tag for el in prepared.tree.iter()}

"""extract_page: NotAnArticle reasons and the Extractor settings mapping."""

from __future__ import annotations

import pytest
from scrapy.settings import Settings

from crawler.extract import Extractor, extract_page
from crawler.extract.result import NotAnArticle

EX = Extractor()


@pytest.mark.parametrize(("body", "headers", "reason"), [
    (b"", {}, "empty-body"),
    (b"   \n", {}, "empty-body"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", {}, "not-html"),
    (b"<html><body>x</body></html>", {"Content-Type": "application/pdf"}, "not-html"),
    ("纯文本，没有任何标记".encode(), {}, "not-html"),
    ("<html><body><div>短</div></body></html>".encode(), {}, "no-main-text"),
])
def test_not_an_article(body: bytes, headers: dict[str, str], reason: str) -> None:
    with pytest.raises(NotAnArticle) as info:
        extract_page(body, url="http://example.cn/a.html", headers=headers, extractor=EX)
    assert info.value.reason == reason
    assert "example.cn" in str(info.value)


def test_from_settings_maps_extract_keys() -> None:
    ex = Extractor.from_settings(Settings({"EXTRACT_MIN_TEXT_CHARS": "50", "EXTRACT_OPENCC_DEFAULT": "tw2s.json",
                                           "EXTRACT_CONVERT_SCRIPT": False}))
    assert (ex.min_text_chars, ex.opencc_default, ex.convert_script) == (50, "tw2s.json", False)


PARAGRAPHS = ["县域医共体建设持续推进，乡镇卫生院服务能力明显提升，群众在家门口就能看病就医。",
              "县人民医院下派医务人员到基层坐诊带教，开展新技术新项目，培养基层骨干医生。",
              "医共体内建成影像、心电、检验等资源共享中心，检查检验结果在医共体内互认。",
              "家庭医生签约服务覆盖率稳步提高，重点人群签约率超过八成，慢病管理更加规范。",
              "县医保部门推进医保基金总额付费，促进医共体内部形成分工协作的激励机制。",
              "下一步，全县将深化运行机制改革，推动优质医疗资源扩容下沉和均衡布局。"]
ARTICLE = (f"<html><head><meta charset='utf-8'><title>医共体建设新进展</title></head><body>"
           f"<div class='nav'><a href='/'>首页</a> <a href='/l'>新闻</a></div><div class='content'><h1>医共体建设新进展</h1>"
           + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</div></body></html>").encode()


def _spy(monkeypatch: pytest.MonkeyPatch, fast_output: str | None = None) -> list[dict[str, object]]:
    """Record trafilatura's calls; `fast_output` replaces what its fast pass returns."""
    import trafilatura

    calls: list[dict[str, object]] = []
    real = trafilatura.extract

    def spy(tree: object, **options: object) -> str | None:
        calls.append(options)
        if options.get("fast") and fast_output is not None:
            return fast_output
        return real(tree, **options)

    monkeypatch.setattr(trafilatura, "extract", spy)
    return calls


def test_fast_pass_suffices_when_it_holds_the_container(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _spy(monkeypatch)
    got = extract_page(ARTICLE, url="http://example.cn/a.html", headers={}, extractor=EX)
    assert [c.get("fast") for c in calls] == [True]
    assert all(p in got.text for p in PARAGRAPHS)


@pytest.mark.parametrize("fast_output", ["", PARAGRAPHS[0] + "\n" + PARAGRAPHS[1]])
def test_full_pass_runs_when_the_fast_one_misses_text(monkeypatch: pytest.MonkeyPatch, fast_output: str) -> None:
    """Nothing (below min_text_chars) or two of six paragraphs (below fallback_share of the
    densest container): trafilatura runs again with its readability/jusText comparison."""
    calls = _spy(monkeypatch, fast_output)
    got = extract_page(ARTICLE, url="http://example.cn/a.html", headers={}, extractor=EX)
    assert [bool(c.get("fast")) for c in calls] == [True, False]
    assert all(p in got.text for p in PARAGRAPHS)
    calls.clear()
    never = Extractor(fallback_share=0.0, rescue_share=0.0)   # no rescue either: see the test below
    short = extract_page(ARTICLE, url="http://example.cn/a.html", headers={}, extractor=never)
    if fast_output:            # long enough for min_text_chars: kept as it is
        assert [bool(c.get("fast")) for c in calls] == [True] and short.text == fast_output
    else:
        assert [bool(c.get("fast")) for c in calls] == [True, False]


def test_rescue_restores_the_container_when_trafilatura_keeps_part_of_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """trafilatura keeps two of six paragraphs, both inside the densest container: its own
    lines replace them (the rest of a body written as `<font>` runs or `<br>` text); a
    metadata table alone (no prose) is replaced too; with rescue_share=0 nothing is."""
    _spy(monkeypatch, PARAGRAPHS[0] + "\n" + PARAGRAPHS[1])
    import trafilatura

    real = trafilatura.extract
    monkeypatch.setattr(trafilatura, "extract", lambda tree, **o: PARAGRAPHS[0] + "\n" + PARAGRAPHS[1])
    got = extract_page(ARTICLE, url="http://example.cn/a.html", headers={}, extractor=Extractor(fallback_share=0.0))
    assert got.text.split("\n") == PARAGRAPHS
    table = "| 索引号： | 000014349/2022-00023 | 发文字号： | 国办发〔2022〕8号 |\n| 成文日期： | 2022年03月01日 |"
    monkeypatch.setattr(trafilatura, "extract", lambda tree, **o: table)
    got = extract_page(ARTICLE, url="http://example.cn/a.html", headers={}, extractor=EX)
    assert got.text.split("\n") == PARAGRAPHS
    monkeypatch.setattr(trafilatura, "extract", real)
    feed = ("<html><body><div class='article'><p>" + PARAGRAPHS[0] + "</p><p>" + PARAGRAPHS[1] + "</p></div>"
            "<div class='feed'>" + "".join(f"<div><p>{p}</p></div>" for p in PARAGRAPHS[2:] * 3) + "</div></body></html>")
    monkeypatch.setattr(trafilatura, "extract", lambda tree, **o: PARAGRAPHS[0] + "\n" + PARAGRAPHS[1])
    got = extract_page(feed.encode(), url="http://example.cn/a.html", headers={}, extractor=EX)
    assert got.text.split("\n") == PARAGRAPHS[:2], "an article outside the densest block (a feed) stays"


def test_comments_inside_a_paragraph_keep_the_text_around_them() -> None:
    page = ("<html><head><meta charset=utf-8><title>医共体建设新进展</title></head><body><div class=content>"
            "<h1>医共体建设新进展</h1><p>记者从县卫生健康局获悉，<!--keyword-->医共体<!--/keyword-->建设持续推进，"
            "乡镇卫生院服务能力明显提升。<?php echo 1 ?></p><p><!--keyword-->家庭医生<!--/keyword-->签约服务覆盖率"
            "稳步提高<!-- x -->，重点人群签约率超过八成。</p>" + "".join(f"<p>{p}</p>" for p in PARAGRAPHS[1:4])
            + "</div></body></html>").encode()
    lines = extract_page(page, url="http://example.cn/a.html", headers={}, extractor=EX).text.split("\n")
    assert lines[:2] == ["记者从县卫生健康局获悉，医共体建设持续推进，乡镇卫生院服务能力明显提升。",
                         "家庭医生签约服务覆盖率稳步提高，重点人群签约率超过八成。"]


def test_rescue_never_takes_a_feed_of_links(monkeypatch: pytest.MonkeyPatch) -> None:
    """A short notice that trafilatura keeps next to a dense list of linked headlines with
    summaries: the list is no body of this page."""
    import trafilatura

    notice = "县卫生健康局关于暂停办理业务的通知：因系统升级，本周六暂停办理"
    feed = "".join(f"<li><a href='/n/{i}.html'>{p[:24]}</a><p>{p}</p></li>" for i, p in enumerate(PARAGRAPHS))
    page = (f"<html><body><div class='notice'><p>{notice}</p></div><ul class='feed'>{feed}</ul></body></html>")
    monkeypatch.setattr(trafilatura, "extract", lambda tree, **o: notice)
    try:
        got = extract_page(page.encode(), url="http://example.cn/a.html", headers={}, extractor=Extractor(min_text_chars=20))
    except NotAnArticle:
        return
    assert got.text == notice

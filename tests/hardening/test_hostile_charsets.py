"""Lying charsets and hostile text, through `crawler.pages.process.process_page` (the function the crawl,
replay and `healthcrawl extract` share): the text comes out right, or carries a quality flag
(`charset-mismatch`, `lost-bytes`) when the page cannot be decoded cleanly. OpenCC and the
normalisers fed lone surrogates, NUL and 10 MB strings never abort."""

from __future__ import annotations

import pytest

from crawler.extract import Extractor
from crawler.extract.normalise import converter, normalise_text
from crawler.pages.process import CapturedPage, NotAnArticle, process_page

EX = Extractor()
SENTENCE = "市卫生健康委员会今天召开新闻发布会，通报了全市基层医疗卫生服务能力提升工作的最新进展。"
HK = "醫院今日啱啱公佈，市民踴躍參與疫苗接種計劃，衞生署表示歡迎。"


def page(text: str, encoding: str, *, meta: str | None = None, header: str | None = None,
         bom: bytes = b"") -> CapturedPage:
    declared = f"<meta charset='{meta}'>" if meta else ""
    html = (f"<html><head>{declared}<title>衛生新聞</title></head><body><div class='a'><h1>衛生新聞</h1>"
            + "".join(f"<p>{text}第{i}段。</p>" for i in range(5)) + "</div></body></html>")
    headers = {"content-type": f"text/html; charset={header}" if header else "text/html"}
    return CapturedPage(url="http://a.cn/2024/05/a.html", status=200, headers=headers,
                        body=bom + html.encode(encoding), fetched_at="2024-05-01T00:00:00+00:00")


@pytest.mark.parametrize(("case", "captured", "expected"), [
    ("header GB2312, body UTF-8", page(SENTENCE, "utf-8", header="gb2312"), SENTENCE),
    ("meta GBK, GB18030-only characters", page(SENTENCE + "㐀䶵𠀀", "gb18030", meta="gbk"), SENTENCE + "㐀䶵𠀀"),
    ("meta Big5, HKSCS characters", page(HK, "big5hkscs", meta="big5"), "医院今日啱啱公布，市民踊跃参与疫苗接种计划"),
    ("no declaration, GBK", page(SENTENCE, "gbk"), SENTENCE),
    ("UTF-8 BOM, header says GBK", page(SENTENCE, "utf-8", header="gbk", bom=b"\xef\xbb\xbf"), SENTENCE),
    ("meta UTF-8, body GBK", page(SENTENCE, "gbk", meta="utf-8"), SENTENCE),
    ("UTF-16 BOM, no declaration", page(SENTENCE, "utf-16-le", bom=b"\xff\xfe"), SENTENCE),
])
def test_lying_charsets_decode_right_or_flag(case: str, captured: CapturedPage, expected: str) -> None:
    article = process_page(captured, EX)
    clean = expected in article.text and "\ufffd" not in article.text
    assert clean or "charset-mismatch" in article.quality, f"{case}: {article.charset} {article.text[:80]!r}"
    assert clean, f"{case}: decodable page decoded wrongly ({article.charset}, flags {article.quality})"


def test_mislabelled_page_is_flagged() -> None:
    article = process_page(page(SENTENCE, "utf-8", header="gb2312"), EX)
    assert "charset-mismatch" in article.quality


def test_undecodable_bytes_are_flagged_not_fatal() -> None:
    good = "".join(f"<p>{SENTENCE}{i}</p>" for i in range(4)).encode()
    body = (b"<html><head><meta charset='utf-8'></head><body><div><p>\xed\xa0\x80\xff\xfe" + SENTENCE.encode()
            + b"&#xD800;&#xDFFF;</p>" + good + b"</div></body></html>")
    article = process_page(CapturedPage("http://a.cn/2024/b.html", 200, {}, body, "2024-05-01T00:00:00+00:00"), EX)
    assert SENTENCE in article.text
    assert "\ufffd" not in article.text or {"lost-bytes", "charset-mismatch"} & set(article.quality)
    article.model_dump_json()  # the item can be written: no lone surrogate reaches JSON


@pytest.mark.parametrize("body", [
    b"<html><body><p>\x00" + SENTENCE.encode() + b"\x00</p></body></html>" * 5,
    ("<html><body><p>" + "\x00\ud800x" * 10 + "</p></body></html>").encode("utf-8", "surrogatepass"),
    b"<html><head><meta charset='utf-8'></head><body><p>" + SENTENCE.encode() * 120_000 + b"</p></body></html>",
    ("<html><body><div>" + f"<p>{SENTENCE}</p>" * 6_000 + "</div></body></html>").encode(),
])
def test_hostile_text_never_aborts(body: bytes) -> None:
    captured = CapturedPage("http://a.cn/2024/c.html", 200, {"content-type": "text/html"}, body,
                            "2024-05-01T00:00:00+00:00")
    try:
        article = process_page(captured, EX)
    except NotAnArticle as exc:
        assert exc.reason  # rejected with a reason: fine
        return
    assert "\x00" not in article.text
    article.model_dump_json()


def test_opencc_and_normaliser_on_10mb_and_surrogates() -> None:
    big = ("醫療衛生\x00\ud800" + SENTENCE) * (10 * 1024 * 1024 // 140)
    result = normalise_text(big, url="http://a.cn/x.html")
    assert "\x00" not in result.text and "\ud800" not in result.text
    assert "医疗卫生" in result.text
    out = converter("t2s.json").convert(big.replace("\ud800", ""))
    assert out.startswith("医疗卫生")

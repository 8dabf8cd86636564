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

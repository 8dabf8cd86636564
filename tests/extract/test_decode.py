"""decode.py: order of evidence, legacy widening, mismatch recovery."""

from __future__ import annotations

import codecs

from crawler.extract.decode import decode_body, normalise_charset

TEXT = "南明区夯实公共卫生体系，电子健康档案建档率达94.5%。" * 5


def page(charset_meta: str, body: str = TEXT) -> str:
    return f'<html><head><meta charset="{charset_meta}"></head><body><p>{body}</p></body></html>'


def test_bom_beats_header_and_meta() -> None:
    raw = codecs.BOM_UTF8 + page("gbk").encode("utf-8")
    decoded = decode_body(raw, {"Content-Type": "text/html; charset=big5"})
    assert decoded.charset == "utf-8" and decoded.declared_by == "bom"
    assert TEXT in decoded.text


def test_header_beats_meta_and_gbk_is_read_as_gb18030() -> None:
    raw = page("utf-8").encode("gb18030")
    decoded = decode_body(raw, {"content-type": "text/html; charset=GBK"})
    assert decoded.charset == "gb18030" and decoded.declared_by == "header"
    assert TEXT in decoded.text and not decoded.quality


def test_meta_http_equiv_and_big5_widened() -> None:
    html = f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=big5"></head><body>{"醫療衛生服務體系" * 10}</body></html>'
    decoded = decode_body(html.encode("big5hkscs"), {})
    assert decoded.charset == "big5hkscs" and decoded.declared_by == "meta"
    assert "醫療衛生服務體系" in decoded.text


def test_false_declaration_is_redetected_and_flagged() -> None:
    raw = page("gb2312").encode("utf-8")
    decoded = decode_body(raw, {})
    assert decoded.charset == "utf-8"
    assert "charset-mismatch" in decoded.quality
    assert TEXT in decoded.text


def test_undeclared_gbk_is_detected() -> None:
    raw = f"<html><body><p>{TEXT}</p></body></html>".encode("gb18030")
    decoded = decode_body(raw, {})
    assert decoded.declared_by == "detected"
    assert TEXT in decoded.text


def test_normalise_charset() -> None:
    assert normalise_charset("GB2312") == "gb18030"
    assert normalise_charset("x-unknown-thing") is None
    assert normalise_charset("Big5") == "big5hkscs"

"""identity.py: the URL a saved page is extracted under, and the output formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.extract import Extractor
from crawler.extract.identity import BadUrl, page_identity, render, stated_url
from crawler.pages.process import CapturedPage, fetched_at, process_page

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "pages"


def test_page_states_its_url() -> None:
    og = b'<html><head><meta property="og:url" content="https://www.example.cn/a/1.html"></head></html>'
    assert stated_url(og) == "https://www.example.cn/a/1.html"
    both = (b"<html><head><meta content='http://m.example.cn/1' property=og:url>"
            b"<link href='http://www.example.cn/1' rel='canonical'></head></html>")
    assert stated_url(both) == "http://www.example.cn/1"          # canonical first
    assert stated_url(b"<link rel=canonical href='/relative/1.html'>") is None
    assert stated_url(b"<meta property=og:url content='javascript:void(0)'>") is None
    gbk = '<meta charset="gbk"><title>县卫生健康局</title><link rel="canonical" href="http://x.gov.cn/1">'.encode("gbk")
    assert stated_url(gbk) == "http://x.gov.cn/1"


def test_identity_option_page_file_stdin(tmp_path: Path) -> None:
    page = tmp_path / "saved page.html"
    page.write_bytes(b"<html><body><p>x</p></body></html>")
    assert page_identity(page.read_bytes(), given=None, source=page) == (
        "file://localhost" + str(page.resolve()).replace(" ", "%20"), "file")
    assert page_identity(b"a", given=None, source=None)[0] != page_identity(b"b", given=None, source=None)[0]
    assert page_identity(b"a", given=" http://x.cn/1 ", source=None) == ("http://x.cn/1", "option")
    for bad in ("x.cn/1", "ftp://x.cn/1", "http://", "http://x.cn:port/", "javascript:alert(1)"):
        with pytest.raises(BadUrl) as info:
            page_identity(b"a", given=bad, source=None)
        assert "\n" not in str(info.value) and repr(bad) in str(info.value)


def test_file_identity_makes_an_item_with_an_id() -> None:
    path = GOLDEN / "demo_wechat.html"
    body = path.read_bytes()
    url, how = page_identity(body, given=None, source=path)
    item = process_page(CapturedPage(url=url, status=200, headers={}, body=body, fetched_at=fetched_at()), Extractor())
    assert how == "file" and item.canonical_url == url and len(item.id) == 16
    assert render(item, "txt") == item.text
    md = render(item, "markdown")
    assert md.startswith("# " + item.title + "\n\n") and item.text.split("\n")[-1] in md
    assert json.loads(render(item, "json"))["id"] == item.id
    with pytest.raises(ValueError):
        render(item, "html")

"""Property: `extract_page` returns an `Extraction` or raises `NotAnArticle` for any bytes.

Inputs: generated tag soup, and mutations of every real page at hand — the 51 pages of
`../shared/eval/pages` and the HTML responses inside the WARC/ARC files of `../shared/archives`
(read with warcio): truncation at a random offset, duplicated or nested `<html>`/`<body>`,
framesets, tables nested 50 deep, comments / processing instructions / CDATA / NUL bytes
inserted anywhere, unclosed tags, `<br>`-only bodies, a lying meta charset, one-character
pages. Examples are bounded (`max_examples`) and there is no deadline: some real pages take
a second to extract on a loaded machine.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.extract import Extraction, Extractor, NotAnArticle, extract_page
from crawler.extract.identity import page_identity
from crawler.pages.process import CapturedPage, process_page

SHARED = Path(__file__).resolve().parents[3] / "shared"
EX = Extractor()
URL = "http://fuzz.example.cn/2022-03/09/content_1.html"
MAX_PAGE_BYTES = 400_000   # the larger pages cost seconds per example; their head is kept


@lru_cache(maxsize=1)
def real_pages() -> tuple[bytes, ...]:
    """Every real HTML page at hand: eval pages and the HTML records of the shared archives."""
    pages = [p.read_bytes() for p in sorted((SHARED / "eval" / "pages").glob("*.html"))]
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    for path in sorted((SHARED / "archives").glob("*")):
        if not path.is_file() or path.suffix == ".md":
            continue
        try:
            with path.open("rb") as handle:
                for record in ArchiveIterator(handle, arc2warc=True):
                    if record.rec_type not in ("response", "resource"):
                        continue
                    headers = record.http_headers or record.rec_headers
                    if "html" not in (headers.get_header("Content-Type") or ""):
                        continue
                    body = record.content_stream().read()
                    if body:
                        pages.append(body)
        except (ArchiveLoadFailed, OSError, ValueError, EOFError):
            continue   # a damaged archive (some are damaged on purpose): its readable records count
    return tuple(p[:MAX_PAGE_BYTES] for p in pages)


def _check(body: bytes, headers: dict[str, str] | None = None) -> None:
    """extract_page, then process_page (the item the crawl, replay and the CLI make of it);
    the identity `healthcrawl extract -` gives the bytes is a URL whatever they are."""
    url, how = page_identity(body, given=None, source=None)
    assert how in ("page", "file") and url.startswith(("http://", "https://", "file://localhost/"))
    try:
        got = extract_page(body, url=URL, headers=headers or {}, extractor=EX)
    except NotAnArticle as exc:
        assert exc.reason and isinstance(exc.reason, str)
        return
    assert isinstance(got, Extraction)
    assert isinstance(got.text, str) and got.text.strip()
    assert isinstance(got.title, str)
    assert "\x00" not in got.text
    item = process_page(CapturedPage(url=URL, status=200, headers=headers or {}, body=body,
                                     fetched_at="2026-01-01T00:00:00+00:00"), EX)
    assert item.text == got.text and len(item.id) == 16


_HAN = "医院卫生健康委员会通知发布日期记者编辑作者县乡村疫苗接种服务群众。，：（）"
_TEXT = st.text(alphabet=_HAN + "abc <>&;/\"'=-\n\t\x00", max_size=40)
_SNIPPETS = [
    "<html>", "</html>", "<body>", "</body>", "<head>", "</head>", "<html><body>", "<frameset><frame src=a>",
    "</frameset>", "<noframes>", "<table>", "<tr>", "<td>", "</td>", "</table>", "<p>", "</p>", "<div>",
    "</div>", "<br>", "<br/>", "<!--", "-->", "<!-- 注释 -->", "<?xml version='1.0'?>", "<?php echo 1 ?>",
    "<![CDATA[ x ]]>", "<![CDATA[", "]]>", "\x00", "<meta charset='utf-16'>", "<meta charset=big5>",
    "<meta http-equiv=Content-Type content='text/html; charset=gb2312'>", "<title>", "</title>", "<h1>", "</h1>",
    "<script>", "</script>", "<style>", "<svg>", "<math>", "<select><option>", "<textarea>", "<font size=3>",
    "<li>", "<ul>", "<section>", "<a href='javascript:'>", "<img src=x>", "&#0;", "&#xD800;", "&nbsp;", "&",
    "<", ">", "<!DOCTYPE html>", "<base href='::'>", "<link rel=canonical href='http://[::1'>",
    "<meta property=og:url content='ht!tp://'>", "<link rel=canonical href='http://x.cn:port/'>",
    "<link rel=canonical href='http://[::1'>", "<meta property=og:url content='http://[::1]:99999/'>", "<meta name=author content=''>", "<h1 class=logo>站</h1>",
]
_TOKENS = st.one_of(st.sampled_from(_SNIPPETS), _TEXT)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_TOKENS, max_size=60))
def test_tag_soup(tokens: list[str]) -> None:
    _check("".join(tokens).encode("utf-8", "surrogatepass"))


def _nested_tables(depth: int, inner: str) -> str:
    return "<table><tr><td>" * depth + inner + "</td></tr></table>" * depth


MUTATIONS = ("truncate", "insert", "nest-html", "frameset", "tables-50", "unclosed", "br-only",
             "lying-charset", "one-char", "nul", "double-body")


def mutate(page: bytes, kind: str, at: float, snippet: str) -> bytes:
    """One mutation of a real page; `at` in [0, 1) picks the offset."""
    cut = int(len(page) * at)
    extra = snippet.encode("utf-8", "surrogatepass")
    if kind == "truncate":
        return page[:cut]
    if kind == "insert":
        return page[:cut] + extra + page[cut:]
    if kind == "nest-html":
        return page[:cut] + b"<html><body>" + page + b"</body></html>" + page[cut:]
    if kind == "frameset":
        return b"<html><frameset cols='50%,50%'><frame src='a.html'><noframes>" + page + b"</noframes></frameset></html>"
    if kind == "tables-50":
        return page[:cut] + _nested_tables(50, "<font>县卫生健康局召开会议，部署疫苗接种工作。</font>").encode() + page[cut:]
    if kind == "unclosed":
        return page.replace(b"</p>", b"").replace(b"</div>", b"").replace(b"</td>", b"")
    if kind == "br-only":
        return b"<html><body>" + b"<br>" * 200 + page[cut:cut + 2000] + b"<br>" * 50 + b"</body></html>"
    if kind == "lying-charset":
        return b"<meta charset='utf-16'><meta http-equiv=Content-Type content='text/html; charset=shift_jis'>" + page
    if kind == "one-char":
        return page[cut:cut + 1] or b"<"
    if kind == "nul":
        return page[:cut] + b"\x00" * (1 + int(at * 300)) + page[cut:]
    if kind == "double-body":
        return page[:cut] + b"</body><body>" + page[cut:] + b"</body></html><html><body><p>x</p>"
    raise ValueError(kind)


@pytest.mark.skipif(not (SHARED / "eval" / "pages").is_dir(), reason=f"no real pages at {SHARED}/eval/pages")
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(min_value=0), kind=st.sampled_from(MUTATIONS),
       at=st.floats(min_value=0, max_value=1, exclude_max=True), snippet=st.lists(_TOKENS, max_size=6).map("".join))
def test_mutated_real_pages(index: int, kind: str, at: float, snippet: str) -> None:
    pages = real_pages()
    _check(mutate(pages[index % len(pages)], kind, at, snippet))


@pytest.mark.skipif(not (SHARED / "eval" / "pages").is_dir(), reason=f"no real pages at {SHARED}/eval/pages")
def test_every_real_page_truncated_and_nested() -> None:
    """Each real page once, cut at the middle and wrapped in another document."""
    for page in real_pages():
        _check(page[: len(page) // 2])
        _check(b"<div>" + page + b"</div>")


@pytest.mark.parametrize("body", [
    b"x", b"<", b"<p>", b"\x00", b"\xff", b"<html>", b"<!--", b"<?", b"<![CDATA[",
    b"<html><body>" + b"<br>" * 500 + b"</body></html>",
    b"<html><frameset><frame src=a></frameset></html>",
    ("<html><body>" + _nested_tables(60, "<p>县卫生健康局召开专题会议，部署疫苗接种工作，要求各乡镇卫生院落实责任。</p>" * 3)
     + "</body></html>").encode(),
])
def test_edge_bodies(body: bytes) -> None:
    _check(body)
    _check(body, {"Content-Type": "text/html; charset=utf-16"})

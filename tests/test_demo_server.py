"""The bundled demo site and its server (crawler/demo): files, HTTP behaviour, generations."""

from __future__ import annotations

import gzip
import http.client
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.robotparser import RobotFileParser

import pytest

from crawler.demo.server import DemoServer, article_paths, resolve
from crawler.demo.stories import load_stories, stories_in, story_by_id

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}
SECTIONS_WITH_TWO_PAGES = ("chinanews", "county")


Response = tuple[int, http.client.HTTPMessage, bytes]


def fetch(server: DemoServer, path: str, method: str = "GET", headers: dict[str, str] | None = None) -> Response:
    """One raw request (no redirects followed, no headers added, path sent as given)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.msg, resp.read()
    finally:
        conn.close()


def text(server: DemoServer, path: str) -> str:
    status, headers, body = fetch(server, path)
    assert status == 200, f"{path}: HTTP {status}"
    charset = headers.get_content_charset() or "utf-8"
    return body.decode("gb18030" if charset in ("gb2312", "gbk") else charset)


def links(html: str) -> list[str]:
    return re.findall(r'href="(/[^"]*)"', html)


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    with DemoServer() as srv:
        yield srv


@pytest.fixture()
def fresh_server() -> Iterator[DemoServer]:
    with DemoServer() as srv:
        yield srv


# ───────────────────────────── site files ─────────────────────────────

def test_site_has_enough_articles_in_every_section() -> None:
    paths = article_paths(1)
    assert len(paths) >= 30
    assert len(set(paths)) == len(paths)
    for section in ("chinanews", "county", "wechat", "portal", "blog", "repost"):
        assert len(stories_in(1, section)) >= 4, section


def test_robots_disallows_private_and_names_the_sitemap(server: DemoServer) -> None:
    body = text(server, "/robots.txt")
    assert f"Sitemap: {server.base_url}/sitemap.xml" in body
    robots = RobotFileParser()
    robots.parse(body.splitlines())
    assert not robots.can_fetch("healthcrawl", server.url("/private/secret.html"))
    assert robots.can_fetch("healthcrawl", server.url(article_paths(1)[0]))
    assert fetch(server, "/private/secret.html")[0] == 200  # there, but off limits


def test_sitemap_index_lists_article_and_news_sitemaps(server: DemoServer) -> None:
    index = ET.fromstring(text(server, "/sitemap.xml"))
    locs = [e.text for e in index.findall("sm:sitemap/sm:loc", NS)]
    assert locs == [server.url("/sitemap-articles.xml"), server.url("/news-sitemap.xml")]

    articles = ET.fromstring(text(server, "/sitemap-articles.xml"))
    urls = [e.text for e in articles.findall("sm:url/sm:loc", NS)]
    assert sorted(urls) == sorted(server.url(p) for p in article_paths(1))
    assert all(e.text for e in articles.findall("sm:url/sm:lastmod", NS))

    news = ET.fromstring(text(server, "/news-sitemap.xml"))
    dates = [e.text for e in news.findall("sm:url/news:news/news:publication_date", NS)]
    assert 5 <= len(dates) <= 10
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", d or "") for d in dates)


def test_feed_is_rss2_with_recent_articles(server: DemoServer) -> None:
    status, headers, _ = fetch(server, "/feed.xml")
    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
    rss = ET.fromstring(text(server, "/feed.xml"))
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    items = rss.findall("channel/item")
    assert len(items) == 10
    links_ = [i.findtext("link") for i in items]
    assert links_ == [server.url(p) for p in article_paths(1)[:10]]
    assert all(i.findtext("pubDate") for i in items)


@pytest.mark.parametrize("section", ["chinanews", "county", "wechat", "portal", "blog", "repost"])
def test_listing_pages_link_every_article_of_their_section(server: DemoServer, section: str) -> None:
    seen: list[str] = []
    page = f"/{section}/"
    pages = 0
    while page:
        html = text(server, page)
        pages += 1
        seen += [h for h in links(html) if h in set(article_paths(1))]
        nxt = re.search(r'<a href="([^"]+)"[^>]*>下一页</a>', html)
        page = nxt.group(1) if nxt else ""
        assert pages < 10
    assert sorted(set(seen)) == sorted(s.path for s in stories_in(1, section))
    if section in SECTIONS_WITH_TWO_PAGES:
        assert pages >= 2


def test_every_article_is_served(server: DemoServer) -> None:
    for path in article_paths(1):
        status, headers, body = fetch(server, path)
        assert status == 200, path
        assert headers["ETag"] and headers["Last-Modified"], path
        assert len(body) > 1000, path


def test_dead_link_gets_the_404_page(server: DemoServer) -> None:
    about = text(server, "/about.html")
    dead = [h for h in links(about) if fetch(server, h)[0] == 404]
    assert len(dead) == 1
    status, headers, body = fetch(server, dead[0])
    assert status == 404 and "页面不存在" in body.decode("utf-8")
    assert "ETag" not in headers


def test_folder_without_slash_redirects(server: DemoServer) -> None:
    status, headers, _ = fetch(server, "/blog")
    assert status == 301 and headers["Location"] == "/blog/"


# ───────────────────────────── seed traits ─────────────────────────────

def test_chinanews_pages_are_traditional_with_readings(server: DemoServer) -> None:
    for story in stories_in(1, "chinanews"):
        html = text(server, story.path)
        assert "-中新網四川</title>" in html
        assert "首頁(yè)</a> &gt; <a href=\"/chinanews/\">kjws</a> &gt; 中新網(wǎng)四川" in html
        assert re.search(r"\d{4}年\d\d月\d\d日 \d\d:\d\d 來\(lái\)源:中新網\(wǎng\)四川 編輯:", html)
        assert re.search(r"中新網\(wǎng\)四川新聞\d+月\d+日電\(", html)
        assert re.search(r"[\u4e00-\u9fff]\([a-zāáǎàēéěèīíǐìōóǒòūúǔù]+\)", html)  # 醫(yī)
        assert " 攝</p>" in html and "(完)</p>" in html
        assert "版權(quán)與免責(zé)聲明" in html


def test_county_pages_are_gbk_with_gbk_only_characters(server: DemoServer) -> None:
    story = story_by_id("county-vaccine")
    status, headers, body = fetch(server, story.path)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=gb2312"
    assert b'<meta charset="gb2312">' in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("gb2312")  # the declared charset is a lie: 镕/珺 are GBK-only
    html = body.decode("gb18030")
    assert "镕" in html and "珺" in html
    assert "发布时间：2022-02-10 09:15 来源：县疾控中心" in html
    assert "【打印本页】" in re.sub(r"<[^>]+>", "", html)
    assert "上一篇：" in html and "下一篇：" in html
    assert f"<title>{story.title}_湄潭县卫生健康局</title>" in html
    assert "主办单位：湄潭县卫生健康局" in html and "ICP备" in html


def test_wechat_pages_have_phrase_lines_and_the_date_in_script(server: DemoServer) -> None:
    story = story_by_id("wx-zhaoqing")
    html = text(server, story.path)
    assert 'var ct = "1639118436";' in html
    assert 'id="js_content"' in html and "扫一扫关注公众号" in html
    assert "△封开县社会福利服务中心" in html and "▽▽▽" in html
    assert html.count("<p ") + html.count("<section ") > 150  # one element per phrase


def test_portal_pages_print_the_body_twice_with_stop_decimals(server: DemoServer) -> None:
    html = text(server, story_by_id("portal-nanming").path)
    assert "94。5%" in html and "5。4万" in html and "94.5%" not in html
    assert html.count("全力擦亮“健康南明”民生品牌") == 2
    assert "主页</a>&gt;<a href=\"/portal/\">健康</a>&gt;  正文" in html
    assert "发布时间:2022-03-18 14:01来源: " in html
    assert "合肥网 版权所有" in html


def test_blog_pages_carry_metadata_and_byline(server: DemoServer) -> None:
    html = text(server, story_by_id("blog-xinpu").path)
    assert '<meta property="article:published_time" content="2021-12-10T07:10:36.000Z">' in html
    assert '<meta name="author" content="趣头条">' in html
    assert "(邓祁)</p>" in html


def test_reposts_share_the_story_text_of_their_originals(server: DemoServer) -> None:
    reposts = [s for s in stories_in(1, "repost") if s.repost_of]
    assert len(reposts) >= 2
    for story in reposts:
        html = text(server, story.path)
        original = story_by_id(story.repost_of)
        numbers = set(re.findall(r"\d+(?:\.\d+)?(?:%|人次|例)", original.body))
        assert numbers and all(n in html for n in numbers), story.id
        assert "掃一掃關(guān)注公眾號(hào)" in html and "13391219793" in html
        assert "以下文章來(lái)源於" in html or "以下文章來源於" in html
    assert "蕞快" in text(server, story_by_id("repost-zixing").path)


# ───────────────────────────── HTTP behaviour ─────────────────────────────

def test_conditional_requests_get_304(server: DemoServer) -> None:
    path = story_by_id("cn-mingshan").path
    status, headers, body = fetch(server, path)
    etag, last_modified = headers["ETag"], headers["Last-Modified"]
    assert status == 200 and etag.startswith('"') and not etag.startswith('W/')

    status, h304, body304 = fetch(server, path, headers={"If-None-Match": etag})
    assert (status, body304, h304["ETag"]) == (304, b"", etag)
    assert fetch(server, path, headers={"If-Modified-Since": last_modified})[0] == 304
    assert fetch(server, path, headers={"If-None-Match": '"other"'})[0] == 200
    assert fetch(server, path, headers={"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"})[0] == 200
    # If-None-Match wins over a matching If-Modified-Since
    both = {"If-None-Match": '"other"', "If-Modified-Since": last_modified}
    assert fetch(server, path, headers=both)[0] == 200


def test_gzip_when_asked_only(server: DemoServer) -> None:
    path = "/feed.xml"
    _, plain_headers, plain = fetch(server, path)
    assert "Content-Encoding" not in plain_headers
    status, headers, packed = fetch(server, path, headers={"Accept-Encoding": "gzip, deflate"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed) == plain
    assert headers["ETag"] != plain_headers["ETag"]
    # the compressed variant's tag revalidates too
    assert fetch(server, path, headers={"If-None-Match": headers["ETag"], "Accept-Encoding": "gzip"})[0] == 304


def test_gzip_can_be_switched_off() -> None:
    with DemoServer(gzip=False) as srv:
        _, headers, body = fetch(srv, "/", headers={"Accept-Encoding": "gzip"})
        assert "Content-Encoding" not in headers and body.startswith(b"<!DOCTYPE html>")


def test_head_sends_headers_without_body(server: DemoServer) -> None:
    path = story_by_id("blog-chishui").path
    _, get_headers, body = fetch(server, path)
    status, headers, head_body = fetch(server, path, method="HEAD")
    assert status == 200 and head_body == b""
    assert headers["Content-Length"] == str(len(body)) and headers["ETag"] == get_headers["ETag"]


@pytest.mark.parametrize(
    "path",
    [
        "/../generations.json",
        "/%2e%2e/stories.toml",
        "/%2E%2E/%2E%2E/server.py",
        "/county/..%2f..%2fgenerations.json",
        "/blog/%2e%2e/%2e%2e/site/robots.txt",
        "/..\\stories.toml",
        "/./robots.txt",
    ],
)
def test_traversal_is_refused(server: DemoServer, path: str) -> None:
    status, _, body = fetch(server, path)
    assert status == 404
    assert b"max_generation" not in body and b"[[story]]" not in body and b"Disallow" not in body


def test_resolve_maps_folders_to_index() -> None:
    assert resolve("/blog/?page=2") == "/blog/index.html"
    assert resolve("/a/%2e%2e/b") is None
    assert resolve("relative") is None


def test_request_log_records_conditional_headers(fresh_server: DemoServer) -> None:
    fetch(fresh_server, "/", headers={"If-None-Match": '"abc"', "Authorization": "Basic eDp5"})
    fetch(fresh_server, "/robots.txt", method="HEAD", headers={"Accept-Encoding": "gzip"})
    first, second = fresh_server.requests
    assert (first.path, first.method, first.status) == ("/", "GET", 200)
    assert first.if_none_match == '"abc"' and first.authorization is True
    assert (second.method, second.accept_encoding, second.authorization) == ("HEAD", "gzip", False)
    assert second.content_encoding == "gzip"


# ───────────────────────────── generations ─────────────────────────────

def test_generation_two_adds_edits_and_removes(fresh_server: DemoServer) -> None:
    srv = fresh_server
    gen1 = set(article_paths(1))
    gen2 = set(article_paths(2))
    added, removed = gen2 - gen1, gen1 - gen2
    assert len(added) == 3 and len(removed) == 1
    edited = story_by_id("county-family-doctor").path
    unchanged = story_by_id("cn-mingshan").path
    before = {p: fetch(srv, p)[1]["ETag"] for p in (edited, unchanged)}

    srv.set_generation(2)
    for path in added:
        assert fetch(srv, path)[0] == 200, path
    assert fetch(srv, removed.pop())[0] == 404
    status, headers, _ = fetch(srv, edited, headers={"If-None-Match": before[edited]})
    assert status == 200 and headers["ETag"] != before[edited]
    assert fetch(srv, unchanged, headers={"If-None-Match": before[unchanged]})[0] == 304

    gone = (gen1 - gen2).pop()
    feed = text(srv, "/feed.xml")
    sitemap = text(srv, "/sitemap-articles.xml")
    firsts = "".join(text(srv, f"/{s}/") for s in ("chinanews", "county", "wechat", "portal", "blog", "repost"))
    for path in added:
        assert srv.url(path) in feed and srv.url(path) in sitemap and f'href="{path}"' in firsts
    assert gone not in feed and gone not in sitemap and gone not in firsts


def test_generation_three_adds_two_more(fresh_server: DemoServer) -> None:
    added = set(article_paths(3)) - set(article_paths(2))
    assert len(added) == 2
    path = added.pop()
    assert fetch(fresh_server, path)[0] == 404
    fresh_server.set_generation(3)
    assert fresh_server.generation == 3 and fetch(fresh_server, path)[0] == 200
    fresh_server.set_generation(1)
    assert fetch(fresh_server, path)[0] == 404


def test_unknown_generation_is_refused(fresh_server: DemoServer) -> None:
    with pytest.raises(ValueError, match="generation 9"):
        fresh_server.set_generation(9)
    with pytest.raises(ValueError, match="generation 0"):
        article_paths(0)


# ───────────────────────────── the builder ─────────────────────────────

def test_committed_site_is_what_the_builder_writes(tmp_path: Path) -> None:
    pytest.importorskip("opencc")
    from crawler.demo import build_site

    build_site.build(tmp_path)
    demo = Path(build_site.__file__).parent
    for folder in ("site", "site_gen2", "site_gen3"):
        built = dict(build_site.iter_files(tmp_path / folder))
        committed = dict(build_site.iter_files(demo / folder))
        assert built.keys() == committed.keys(), f"{folder}: run python -m crawler.demo.build_site"
        stale = [p for p in built if built[p] != committed[p]]
        assert not stale, f"{folder}{stale[0]} is stale: run python -m crawler.demo.build_site"
    assert (tmp_path / "generations.json").read_text() == (demo / "generations.json").read_text()


def test_stories_file_is_consistent() -> None:
    stories = load_stories()
    assert len({s.path for s in stories}) == len(stories)
    assert sum(1 for s in stories if s.seed) == 5

"""Sitemaps and feeds with external entities (XXE) and entity expansion ("billion laughs"):
no local file contents reach any output, no network request is made for an entity, memory
stays bounded — through `spiders.xmlfeeds` (our sitemap/feed parser) and through parsel, the
selector Scrapy uses when the ad-hoc spider reads an XML page's links."""

from __future__ import annotations

import secrets
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.hardening import crawl, items, warc_bytes
from support.servers import HostileServer, Reply, article_routes
from parsel import Selector

from spiders.xmlfeeds import parse_links

MARKER = "HC-SECRET-" + secrets.token_hex(8)
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def xxe_sitemap(secret: Path, probe: str, article: str) -> bytes:
    return (f'<?xml version="1.0"?>\n<!DOCTYPE urlset [\n<!ENTITY xxe SYSTEM "file://{secret}">\n'
            f'<!ENTITY net SYSTEM "{probe}/xxe-probe">\n<!ENTITY % dtd SYSTEM "{probe}/evil.dtd"> %dtd;\n]>\n'
            f'<urlset {NS}><url><loc>{article}?q=&xxe;&net;</loc></url>'
            f'<url><loc>{article}</loc><lastmod>&xxe;</lastmod></url></urlset>').encode()


def billion_laughs(root: str = "rss", depth: int = 10) -> bytes:
    ents = ['<!ENTITY lol0 "lollollollollollollollollollol">']
    ents += [f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, depth)]
    body = (f"<channel><item><title>&lol{depth - 1};</title><link>http://a.cn/x.html</link></item></channel>"
            if root == "rss" else f"<url><loc>http://a.cn/&lol{depth - 1};</loc></url>")
    return f'<?xml version="1.0"?>\n<!DOCTYPE {root} [{"".join(ents)}]>\n<{root}>{body}</{root}>'.encode()


@pytest.fixture(scope="module")
def secret_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secret") / "secret.txt"
    path.write_text(MARKER)
    return path


# ------------------------------------------------------------------ parser level
def test_xmlfeeds_does_not_read_external_entities(secret_file: Path) -> None:
    with HostileServer() as probe:
        links = parse_links(xxe_sitemap(secret_file, probe.url("").rstrip("/"), "http://a.cn/a.html"))
        assert probe.paths() == [], "an entity made the parser fetch a URL"
    assert links, "the sitemap's links should still be read"
    assert not any(MARKER in (link.url + (link.date or "")) for link in links)


def test_xmlfeeds_refuses_entity_expansion() -> None:
    tracemalloc.start()
    try:
        for root in ("rss", "urlset"):
            links = parse_links(billion_laughs(root))
            assert all(len(link.url) + len(link.title or "") < 10_000 for link in links)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024, f"parsing peaked at {peak / 1e6:.0f} MB"


def test_parsel_xml_selector_is_safe(secret_file: Path) -> None:
    """Scrapy's `response.xpath` on an XmlResponse: no file read, no expansion."""
    with HostileServer() as probe:
        sel = Selector(body=xxe_sitemap(secret_file, probe.url("").rstrip("/"), "http://a.cn/a.html"), type="xml")
        text = " ".join(sel.xpath("//text()").getall())
        assert probe.paths() == []
    assert MARKER not in text
    laughs = Selector(body=billion_laughs(), type="xml")
    assert len(" ".join(laughs.xpath("//text()").getall())) < 10_000


# ------------------------------------------------------------------ end to end
@pytest.fixture(scope="module")
def server(secret_file: Path) -> Iterator[HostileServer]:
    routes = article_routes(2)
    with HostileServer(routes) as srv:
        base = srv.url("").rstrip("/")
        xml = {"Content-Type": "application/xml"}
        srv.routes["/sitemap.xml"] = Reply(headers=xml, body=xxe_sitemap(secret_file, base, base + "/good/0.html"))
        srv.routes["/feed.xml"] = Reply(headers=xml, body=billion_laughs())
        srv.routes["/xxe.xml"] = Reply(headers=xml, body=xxe_sitemap(secret_file, base, base + "/good/1.html"))
        srv.routes["/"] = Reply(body=(
            "<html><head><meta charset='utf-8'><link rel='alternate' type='application/rss+xml' href='/feed.xml'>"
            "</head><body><a href='/good/1.html'>一</a></body></html>").encode())
        yield srv


def test_crawl_of_hostile_xml_leaks_nothing(server: HostileServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = crawl(out, server.url("/"), server.url("/xxe.xml"))
    assert result.code == 0, result.output[-3000:]
    fetched = server.paths()
    assert {"/sitemap.xml", "/feed.xml", "/xxe.xml"} <= set(fetched)
    assert not any(p.startswith(("/xxe-probe", "/evil.dtd")) for p in fetched), fetched
    assert len(items(out)) >= 2  # the crawl went on: both articles were found and stored
    assert MARKER not in (out / "items.jsonl").read_text(encoding="utf-8")
    assert MARKER.encode() not in warc_bytes(out)
    assert MARKER not in result.output
    for path in out.rglob("*"):
        if path.is_file() and path.suffix not in (".gz", ".open"):
            assert MARKER.encode() not in path.read_bytes(), path
    assert result.maxrss_mb < 230

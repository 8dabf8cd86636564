"""`healthcrawl crawl URL…`: a site archived and extracted without a spec, through the same
spiders and pipeline (same-site links, the site's sitemap, announced feeds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support import read_items, run_cli

from crawler.items import Article


def test_adhoc_crawl_of_the_demo_site(demo_server: Any, tmp_path: Path) -> None:
    from crawler.demo.server import article_paths

    out = tmp_path / "out"
    proc = run_cli("crawl", demo_server.base_url + "/", "--out", str(out), "--max-pages", "120",
                   "--allow-private", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    items = read_items(out / "items.jsonl")
    for item in items:
        Article.model_validate(item)
    got = {i["url"].removeprefix(demo_server.base_url) for i in items}
    articles = set(article_paths(1))
    assert len(got & articles) >= 30            # nearly every article, found by links or the sitemap
    assert not got - articles - {"/about.html"}, got - articles   # listing pages are not articles
    requested = {r.path for r in demo_server.requests}
    assert "/sitemap.xml" in requested and "/private/secret.html" not in requested   # robots.txt obeyed
    assert list((out / "warc").glob("*.warc.gz")) and (out / "warc" / "index.cdxj").exists()


def test_adhoc_crawl_respects_max_pages(demo_server: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_cli("crawl", demo_server.base_url + "/", "--out", str(out), "--max-pages", "5",
                   "--allow-private", "-s", "AUTOTHROTTLE_ENABLED=0")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pages = [r for r in demo_server.requests if r.path != "/robots.txt"]
    assert 1 <= len(pages) <= 5


def test_adhoc_crawl_skips_script_and_mail_links(static_sites: Any, tmp_path: Path) -> None:
    """`javascript:`, `mailto:` and `tel:` links (font-size buttons, print/close links on county
    sites) are not fetched and do not stop the page's other links from being followed."""
    paragraph = "县域医共体建设持续推进，乡镇卫生院服务能力明显提升，群众在家门口就能看病就医。" * 3
    article = (f"<html><head><meta charset='utf-8'><title>医共体建设新进展</title></head><body>"
               f"<h1>医共体建设新进展</h1><p>{paragraph}</p><p>{paragraph}</p></body></html>").encode()
    junk = "".join(f"<a href='{h}'>x</a>" for h in ("javascript:doZoom(14)", "javascript:void(0);",
                                                    "mailto:office@example.cn", "tel:0851-1234567"))
    home = f"<html><body>{junk}<a href='/a/1.html'>医共体建设新进展</a></body></html>".encode()
    html = "text/html; charset=utf-8"
    site = static_sites("127.0.0.5", {"/": (html, home), "/a/1.html": (html, article)})
    out = tmp_path / "out"
    proc = run_cli("crawl", site.base_url + "/", "--out", str(out), "--max-pages", "10",
                   "--allow-private", "-s", "AUTOTHROTTLE_ENABLED=0")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Spider error" not in proc.stderr and "cannot canonicalise" not in proc.stderr, proc.stderr
    assert [i["url"] for i in read_items(out / "items.jsonl")] == [site.base_url + "/a/1.html"]
    assert not [p for p in site.requests if "javascript" in p or "mailto" in p or "tel:" in p]

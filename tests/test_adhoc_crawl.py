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

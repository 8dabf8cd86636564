"""Each spider kind (listing with pagination, sitemap index + news sitemap, RSS feed) against
the demo site on 127.0.0.1, run the way a Scrapy user runs them: `scrapy crawl KIND -a
source=NAME -O items.jsonl`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO, read_items

from crawler import __version__
from crawler.items import Article

SPEC = """
name = "{name}"
title = "fixture"
homepage = "{base}/"
region = {{ province = "贵州省" }}
[[{kind}]]
url = "{base}{path}"
article_links = "{links}"
[politeness]
download_delay = 0.0
concurrency = 8
"""

CASES = {
    # kind: (entry path, article regex, section whose articles must all be found)
    "listing": ("/county/index.html", "/county/xwzx/", "/county/"),
    "sitemap": ("/sitemap.xml", "/portal/", "/portal/"),
    "feed": ("/feed.xml", "/chinanews/", None),
}


def scrapy_crawl(spider: str, source: str, specs: Path, out: Path, items: Path,
                 *settings: str) -> subprocess.CompletedProcess[str]:
    extra = [arg for setting in settings for arg in ("-s", setting)]
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", spider, "-a", f"source={source}", "-a", f"sources_dir={specs}",
         "-s", f"HEALTHCRAWL_OUT={out}", "-s", "GUARD_ALLOW_PRIVATE=1", "-s", "AUTOTHROTTLE_ENABLED=0",
         "-s", "LOG_LEVEL=WARNING", *extra, "-O", str(items)],
        cwd=REPO, capture_output=True, text=True, timeout=180)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_spider_kind_finds_its_articles(kind: str, demo_server, tmp_path: Path) -> None:
    from crawler.demo.server import article_paths

    path, links, section = CASES[kind]
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / f"t-{kind}.toml").write_text(
        SPEC.format(name=f"t-{kind}", base=demo_server.base_url, kind=kind, path=path, links=links), encoding="utf-8")
    items_path = tmp_path / "items.jsonl"
    proc = scrapy_crawl(kind, f"t-{kind}", specs, tmp_path / "out", items_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    exported = read_items(items_path)
    for line in exported:
        Article.model_validate(line)        # Scrapy's own feed export writes valid items
    stored = read_items(tmp_path / "out" / "items.jsonl")
    assert sorted(i["id"] for i in stored) == sorted(i["id"] for i in exported)
    got = {i["url"].removeprefix(demo_server.base_url) for i in exported}
    assert got, proc.stderr[-3000:]
    assert all(links in u for u in got)
    if section is not None:
        expected = {p for p in article_paths(1) if p.startswith(section)}
        assert got == expected
    else:  # the feed lists the newest items of every section; only chinanews ones match
        feed = (REPO / "crawler/demo/site/feed.xml").read_text(encoding="utf-8")
        expected = {p for p in article_paths(1) if p.startswith("/chinanews/") and "{{BASE}}" + p in feed}
        assert got == expected and len(got) >= 3
    assert all(i["source_name"] == f"t-{kind}" for i in exported)
    # other kinds' entries were never requested
    requested = {r.path for r in demo_server.requests}
    if kind != "sitemap":
        assert "/sitemap.xml" not in requested
    if kind != "feed":
        assert "/feed.xml" not in requested


def test_user_agent_names_the_contact(demo_server, tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "t-feed.toml").write_text(SPEC.format(name="t-feed", base=demo_server.base_url, kind="feed",
                                                   path="/feed.xml", links="/chinanews/"), encoding="utf-8")
    proc = scrapy_crawl("feed", "t-feed", specs, tmp_path / "out", tmp_path / "i.jsonl",
                        "HEALTHCRAWL_CONTACT=mailto:archive-team@example.org")
    assert proc.returncode == 0, proc.stderr[-2000:]
    agents = {r.user_agent for r in demo_server.requests}
    assert agents == {f"healthcrawl/{__version__} (archival crawler for research; +mailto:archive-team@example.org)"}

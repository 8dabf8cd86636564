"""The listing spider on fixture sites imitating each CMS family (`crawler.demo.cms_sites`),
with specs written the way the README shows: `url`, `article_links`, `max_pages`, nothing
else. One harvest over all families, then a second into the same folder (incremental), run
the way a Scrapy user runs them (`scrapy crawl listing`)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from support import REPO, read_items

from crawler.demo.cms_sites import FAMILIES, CmsSite

SPEC = """
name = "cms-{family}"
title = "fixture {family}"
homepage = "{base}/"
region = {{ province = "贵州省" }}

[[listing]]
url = "{base}{listing}"
article_links = '{links}'
max_pages = {max_pages}

[politeness]
download_delay = 0.0
concurrency = 4
"""


def crawl(specs: Path, out: Path, items: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "listing", "-a", f"sources_dir={specs}",
         "-s", f"HEALTHCRAWL_OUT={out}", "-s", "GUARD_ALLOW_PRIVATE=1", "-s", "AUTOTHROTTLE_ENABLED=0",
         "-s", "LOG_LEVEL=WARNING", "-s", "ROBOTSTXT_OBEY=0", "-s", "EXTRACT_WORKERS=0", *extra, "-O", str(items)],
        cwd=REPO, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def harvested(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("cms")
    specs = root / "specs"
    specs.mkdir()
    sites = {f: CmsSite(f, host=f"127.0.0.{20 + n}") for n, f in enumerate(FAMILIES)}
    try:
        for family, site in sites.items():
            fam = site.family
            (specs / f"cms-{family}.toml").write_text(SPEC.format(
                family=family, base=site.base_url, listing=fam.listing, links=fam.article_links,
                max_pages=len(fam.listing_pages) + 2), encoding="utf-8")
        first = crawl(specs, root / "out", root / "items1.jsonl")
        requests_first = {f: list(s.requests) for f, s in sites.items()}
        for site in sites.values():
            site.requests.clear()
        second = crawl(specs, root / "out", root / "items2.jsonl")
        yield {"sites": sites, "first": first, "second": second, "requests_first": requests_first,
               "items": read_items(root / "out" / "items.jsonl"), "items_second": read_items(root / "items2.jsonl")}
    finally:
        for site in sites.values():
            site.close()


@pytest.mark.parametrize("family", FAMILIES)
def test_every_article_harvested_with_pages_plus_one_listing_requests(harvested: Any, family: str) -> None:
    assert harvested["first"].returncode == 0, harvested["first"].stderr[-3000:]
    site: CmsSite = harvested["sites"][family]
    fam = site.family
    got = {i["url"].removeprefix(site.base_url) for i in harvested["items"] if i["source_name"] == f"cms-{family}"}
    assert got == set(fam.articles)
    requests = harvested["requests_first"][family]
    articles = set(fam.articles)
    listing = [r for r in requests if r.split("?")[0] not in articles and r != "/robots.txt"]
    assert len(listing) <= len(fam.listing_pages) + 1, listing
    assert sorted(listing) == sorted(fam.listing_pages)
    repeated = [r for r, n in Counter(requests).items() if n > 1]
    assert repeated == [], repeated                        # nothing requested twice


@pytest.mark.parametrize("family", FAMILIES)
def test_second_run_stops_at_the_first_page_with_nothing_new(harvested: Any, family: str) -> None:
    assert harvested["second"].returncode == 0, harvested["second"].stderr[-3000:]
    site: CmsSite = harvested["sites"][family]
    fam = site.family
    assert not [r for r in site.requests if r in set(fam.articles)]       # no article again
    listing = [r for r in site.requests if r != "/robots.txt"]
    # the first page with articles comes back 304, holds nothing new, and pagination stops there
    pages_before_articles = 2 if family == "gkmlpt" else 1                # gkmlpt: shell page, then API page 1
    assert listing == fam.listing_pages[:pages_before_articles]
    assert harvested["items_second"] == []


def test_max_pages_bounds_every_scheme(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    sites = {f: CmsSite(f, host=f"127.0.0.{40 + n}") for n, f in enumerate(("trs", "jcms", "gkmlpt", "wordpress"))}
    try:
        for family, site in sites.items():
            fam = site.family
            (specs / f"cms-{family}.toml").write_text(SPEC.format(
                family=family, base=site.base_url, listing=fam.listing, links=fam.article_links, max_pages=2),
                encoding="utf-8")
        proc = crawl(specs, tmp_path / "out", tmp_path / "items.jsonl")
        assert proc.returncode == 0, proc.stderr[-3000:]
        for family, site in sites.items():
            articles = set(site.family.articles)
            listing = [r for r in site.requests if r.split("?")[0] not in articles and r != "/robots.txt"]
            assert listing == site.family.listing_pages[:2], (family, listing)
    finally:
        for site in sites.values():
            site.close()

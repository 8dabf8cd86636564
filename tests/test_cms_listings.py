"""The listing spider on fixture sites imitating each CMS family (`crawler.demo.cms_sites`),
with specs written the way the README shows: `url`, `article_links`, `max_pages`, nothing
else. One harvest over all families, then a second into the same folder (incremental), run
the way a Scrapy user runs them (`scrapy crawl listing`)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from support import REPO, read_items, run_cli

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


ZERO = """
name = "zero-{family}"
title = "fixture {family}"
homepage = "{base}/"
region = {{ province = "贵州省" }}
{extra}
[[listing]]
url = "{base}{listing}"
max_pages = 10
{entry}
[politeness]
download_delay = 0.0
concurrency = 4
"""


def test_zero_configuration_and_url_template(tmp_path: Path) -> None:
    """No `article_links` at all (same-site links that look like articles), and an EmpireCMS
    listing paged by `pagination = "index_{n}.html"` (a template pages on until a page
    without articles: here page 4 answers 404)."""
    specs = tmp_path / "specs"
    specs.mkdir()
    cases = {"trs": "", "jcms": "", "gkmlpt": "", "dede": "", "hexo": "", "empire": 'pagination = "index_{n}.html"'}
    sites = {f: CmsSite(f, host=f"127.0.0.{60 + n}") for n, f in enumerate(cases)}
    try:
        for family, site in sites.items():
            (specs / f"zero-{family}.toml").write_text(ZERO.format(
                family=family, base=site.base_url, listing=site.family.listing, extra="",
                entry=cases[family] + ("\narticle_links = '/news/\\d{4}-'" if family == "empire" else "")),
                encoding="utf-8")
        items_path = tmp_path / "items.jsonl"
        proc = crawl(specs, tmp_path / "out", items_path)
        assert proc.returncode == 0, proc.stderr[-3000:]
        items = read_items(items_path)
        for family, site in sites.items():
            fam = site.family
            got = {i["url"].removeprefix(site.base_url) for i in items if i["source_name"] == f"zero-{family}"}
            assert set(fam.articles) <= got, (family, set(fam.articles) - got)
            listing = [r for r in site.requests if r.split("?")[0] not in set(fam.articles) | got]
            assert len(listing) <= len(fam.listing_pages) + 1, (family, listing)
        empire = sites["empire"]
        assert [r for r in empire.requests if "index" in r] == [
            "/news/index.html", "/news/index_2.html", "/news/index_3.html", "/news/index_4.html"]
    finally:
        for site in sites.values():
            site.close()


def test_json_and_xml_listings_never_raise(static_sites: Any, tmp_path: Path) -> None:
    """Listing answers that are JSON, XML, broken JSON or a data proxy's XML are read, not
    xpath'ed: the run ends 0 with no spider error, and the articles they list are fetched."""
    article = ("<html><head><title>{t}</title></head><body><h1>{t}</h1><p>" + "县域医共体建设持续推进，"
               "乡镇卫生院服务能力明显提升，群众在家门口就能看病就医。" * 4 + "</p></body></html>")
    pages = {
        "/api/list?page=1": ("application/json", json.dumps(
            {"data": [{"title": "一", "url": "/news/2025/0101/1.html"}], "total": 2, "pageSize": 1}).encode()),
        "/api/list?page=2": ("application/json", b'{"data": [{"title": "\xe4\xba\x8c", "url": "/news/2025/0102/2.html"'),
        "/xml/list": ("text/xml", b"<?xml version='1.0'?><datastore><totalrecord>1</totalrecord><recordset><record>"
                      b"<![CDATA[<li><a href='/news/2025/0103/3.html'>x</a></li>]]></record></recordset></datastore>"),
        "/broken": ("application/json", b"\x00\xff{{{"),
    }
    for n in (1, 2, 3):
        pages[f"/news/2025/010{n}/{n}.html"] = ("text/html; charset=utf-8",
                                               article.format(t=f"医共体建设第{n}篇").encode("utf-8"))
    site = static_sites("127.0.0.1", pages)
    specs = tmp_path / "specs"
    specs.mkdir()
    entries = "".join(f'\n[[listing]]\nurl = "{site.base_url}{p}"\narticle_links = "/news/"\nmax_pages = 3\n'
                      for p in ("/api/list?page=1", "/xml/list", "/broken"))
    (specs / "j.toml").write_text(f'name = "j"\ntitle = "t"\nhomepage = "{site.base_url}/"\n'
                                  f'region = {{ province = "广东省" }}\n{entries}', encoding="utf-8")
    proc = crawl(specs, tmp_path / "out", tmp_path / "items.jsonl")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "Spider error" not in proc.stderr, proc.stderr[-3000:]
    assert "/api/list?page=2" in site.requests                    # paged on from page=1 and total
    got = {i["url"].removeprefix(site.base_url) for i in read_items(tmp_path / "items.jsonl")}
    assert got == {"/news/2025/0101/1.html", "/news/2025/0103/3.html"}   # page 2's JSON is truncated


def test_adhoc_crawl_follows_script_only_pagers(tmp_path: Path) -> None:
    """`healthcrawl crawl URL` reads the same pagination: a TRS listing's pages 2 and 3 exist
    only in its createPageHTML call, a JCMS column's later groups only in dataproxy.jsp, a
    gkmlpt shell's articles only in its JSON API (read, not xpath'ed)."""
    for n, family in enumerate(("trs", "jcms", "gkmlpt")):
        with CmsSite(family, host=f"127.0.0.{80 + n}") as site:
            out = tmp_path / family
            proc = run_cli("crawl", site.base_url + site.family.listing, "--out", str(out), "--max-pages", "80",
                           "--allow-private", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0",
                           "-s", "ROBOTSTXT_OBEY=0", "--workers", "0")
            assert proc.returncode == 0, proc.stdout + proc.stderr
            got = {i["url"].removeprefix(site.base_url) for i in read_items(out / "items.jsonl")}
            assert set(site.family.articles) <= got, (family, set(site.family.articles) - got)


def test_a_spider_error_makes_the_harvest_exit_1(tmp_path: Path) -> None:
    """An XPath that compiles but cannot be evaluated (an unknown function) fails the listing
    in the spider: the run reports it and exits 1 (README "Exit codes")."""
    with CmsSite("wordpress", host="127.0.0.90") as site:
        specs = tmp_path / "specs"
        specs.mkdir()
        (specs / "cms-err.toml").write_text(SPEC.format(
            family="err", base=site.base_url, listing=site.family.listing, links=site.family.article_links,
            max_pages=3).replace("max_pages = 3", "max_pages = 3\nnext_page_xpath = \"//a[nosuch()]/@href\""),
            encoding="utf-8")
        proc = run_cli("harvest", "--sources-dir", str(specs), "--out", str(tmp_path / "out"), "--allow-private",
                       "--workers", "0", "-s", "ROBOTSTXT_OBEY=0")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "spider-error" in proc.stdout


def test_new_article_on_page_one_pages_on_until_nothing_new(tmp_path: Path) -> None:
    """Run 2 after a new TRS article: page 1 changed (200, one new link), page 2 is unchanged
    (304, read from the archive, everything on it stored): pagination stops there."""
    import copy

    with CmsSite("trs", host="127.0.0.91") as site:
        site.family = copy.deepcopy(site.family)          # build() is cached: change a copy
        fam = site.family
        specs = tmp_path / "specs"
        specs.mkdir()
        (specs / "cms-trs.toml").write_text(SPEC.format(family="trs", base=site.base_url, listing=fam.listing,
                                                        links=fam.article_links, max_pages=10), encoding="utf-8")
        first = crawl(specs, tmp_path / "out", tmp_path / "1.jsonl")
        assert first.returncode == 0, first.stderr[-3000:]
        new = "/xwzx/gzdt/202506/t20250620_8869999.html"
        ctype, body = fam.pages[fam.articles[0]]
        fam.pages[new] = (ctype, body.replace("讯 ".encode(), "讯 新消息。".encode(), 1))
        listing_ctype, page1 = fam.pages[fam.listing]
        fam.pages[fam.listing] = (listing_ctype, page1.replace(
            b"<ul>", b'<ul>\n<li><a href="./202506/t20250620_8869999.html">new</a><span>2025-06-20</span></li>', 1))
        site.requests.clear()
        second = crawl(specs, tmp_path / "out", tmp_path / "2.jsonl")
        assert second.returncode == 0, second.stderr[-3000:]
        assert sorted(site.requests) == sorted([fam.listing, "/xwzx/gzdt/index_1.html", new])
        assert site.not_modified == ["/xwzx/gzdt/index_1.html"]
        assert [i["url"].removeprefix(site.base_url) for i in read_items(tmp_path / "2.jsonl")] == [new]


def test_cutoff_days_skips_articles_the_listing_dates_older(tmp_path: Path) -> None:
    """A source's cutoff_days applies to the date each TRS listing row prints: older articles
    are not requested, and the first page whose rows are all older (listings run newest
    first) ends the pagination."""
    import datetime as dt

    with CmsSite("trs", host="127.0.0.92") as site:
        fam = site.family
        rows = {p: {"/xwzx/gzdt/" + h: dt.date.fromisoformat(d) for h, d in re.findall(
            r'<a href="\./([^"]+)"[^>]*>[^<]*</a><span>([\d-]+)</span>', fam.pages[p][1].decode("utf-8"))}
            for p in fam.listing_pages}
        first, second = rows[fam.listing_pages[0]], rows[fam.listing_pages[1]]
        assert (min(first.values()) - max(second.values())).days >= 4       # a gap to put the cutoff in
        threshold = max(second.values()) + (min(first.values()) - max(second.values())) / 2
        cutoff = (dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date() - threshold).days
        specs = tmp_path / "specs"
        specs.mkdir()
        (specs / "cms-trs.toml").write_text(SPEC.format(family="trs", base=site.base_url, listing=fam.listing,
                                                        links=fam.article_links, max_pages=10)
                                            .replace('region = {', f"cutoff_days = {cutoff}\nregion = {{"),
                                            encoding="utf-8")
        proc = crawl(specs, tmp_path / "out", tmp_path / "items.jsonl")
        assert proc.returncode == 0, proc.stderr[-3000:]
        fetched = {r for r in site.requests if r in set(fam.articles)}
        assert fetched == set(first)                                    # page 1's, none older
        assert [r for r in site.requests if r not in fetched] == fam.listing_pages[:2]   # page 3 never asked

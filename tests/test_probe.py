"""`healthcrawl probe` on the CMS fixture sites: a listing URL, a source name, a saved page and
a WARC; what it prints, its exit codes, and that it writes nothing."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from support import REPO

from crawler.demo.cms_sites import CmsSite, build
from crawler.runs.cli import main
from spiders.probe import suggest_article_links


def probe(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["probe", "--delay", "0", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(("family", "name", "scheme"), [
    ("trs", "trs", "createPageHTML"), ("jcms", "jcms", "jcms-dataproxy"), ("gkmlpt", "gkmlpt", "gkmlpt"),
    ("dede", "dedecms", "next-label"), ("empire", "empirecms", "next-label"), ("wordpress", "wordpress", "next-label"),
])
def test_probe_a_listing_url(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             family: str, name: str, scheme: str) -> None:
    monkeypatch.chdir(tmp_path)
    with CmsSite(family) as site:
        fam = site.family
        code, out, _ = probe(capsys, site.base_url + fam.listing, "--allow-private", "--max-pages", "10")
    assert code == 0, out
    assert f"family   {name}" in out and f"scheme   {scheme}" in out
    assert f"articles {len(fam.articles)} distinct" in out or family == "empire"   # + its breadcrumb /news/
    assert f"(matches {len(fam.articles)} of them)" in out
    assert f"follows  {len(fam.listing_pages)} page(s)" in out and "no further page" in out
    for n in range(1, len(fam.listing_pages) + 1):
        assert f"page {n}  " in out
    suggestion = re.search(r"suggest  article_links = '(.+)'  \(", out).group(1)
    assert all(re.search(suggestion, a) for a in fam.articles)
    assert not any(re.search(suggestion, p) for p in fam.listing_pages)
    first = fam.articles[0]
    assert f"article  {site.base_url}{first}" in out
    title = re.search(r"  title    (.+)", out).group(1)
    assert title and title in fam.pages[first][1].decode("gbk" if family == "dede" else "utf-8")
    assert re.search(r"  date     \d{4}-\d{2}-\d{2}T", out)
    assert list(tmp_path.iterdir()) == []                       # writes nothing


def test_probe_a_source_uses_its_entry(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with CmsSite("trs6") as site:
        fam = site.family
        specs = tmp_path / "specs"
        specs.mkdir()
        (specs / "sc-test.toml").write_text(f"""
name = "sc-test"
title = "t"
homepage = "{site.base_url}/"
region = {{ province = "四川省" }}
[[listing]]
url = "{site.base_url}{fam.listing}"
article_links = '{fam.article_links}'
max_pages = 2
""", encoding="utf-8")
        code, out, _ = probe(capsys, "sc-test", "--sources-dir", str(specs), "--allow-private")
    assert code == 0, out
    assert "source   sc-test listing 0" in out and "(verified_offline = false)" in out
    assert "follows  2 page(s) (max_pages 2); next would be" in out
    assert "suggest" not in out                                   # the entry has article_links
    assert "articles 14 distinct" in out


def test_probe_a_saved_page_and_a_warc(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fam = build("dede")
    saved = tmp_path / "list.html"
    saved.write_bytes(fam.pages[fam.listing][1])
    code, out, _ = probe(capsys, str(saved))
    assert code == 0, out
    assert "family   dedecms" in out and "page 1" in out and "articles 7 distinct" in out
    assert "page 2" not in out and "article  " not in out           # offline: the saved page only
    with CmsSite("dede") as site:
        code, out, _ = probe(capsys, str(saved), "--url", site.base_url + fam.listing, "--allow-private")
        assert code == 0 and "articles 18 distinct" in out and "  title    " in out
        specs = tmp_path / "specs"
        specs.mkdir()
        (specs / "d.toml").write_text(f"""name = "d"\ntitle = "t"\nhomepage = "{site.base_url}/"
region = {{ province = "贵州省" }}\n[[listing]]\nurl = "{site.base_url}{fam.listing}"
article_links = '{fam.article_links}'\nmax_pages = 5\n""", encoding="utf-8")
        crawl = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "listing", "-a", f"sources_dir={specs}", "-s",
             f"HEALTHCRAWL_OUT={tmp_path / 'out'}", "-s", "GUARD_ALLOW_PRIVATE=1", "-s", "LOG_LEVEL=ERROR",
             "-s", "EXTRACT_WORKERS=0", "-s", "ROBOTSTXT_OBEY=0"], cwd=REPO, capture_output=True, text=True, timeout=180)
        assert crawl.returncode == 0, crawl.stderr[-2000:]
    # the site is gone: everything comes from the archive
    code, out, _ = probe(capsys, str(tmp_path / "out" / "warc"))
    assert code == 0, out
    assert f"(from {tmp_path / 'out' / 'warc'})" in out
    assert "follows  3 page(s)" in out and "articles 18 distinct" in out and "  title    " in out


def test_probe_exit_codes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert probe(capsys, "no-such-source", "--sources-dir", str(REPO / "spiders/specs"))[0] == 2
    with CmsSite("trs") as site:
        url = site.base_url + site.family.listing
        code, _, err = probe(capsys, url, "--article-links", "(bad")
        assert code == 2 and "not a valid regular expression" in err
        assert probe(capsys, url, "--pagination", "nonsense")[0] == 2
        code, out, _ = probe(capsys, url)                              # loopback without --allow-private
        assert code == 1 and "refused" in out
        code, out, _ = probe(capsys, url, "--allow-private", "--article-links", "/nothing-like-this/")
        assert code == 1 and "no article link found" in out
    # port 1 (tcpmux) has no listener here: the connection is refused (a closed test port may be reused)
    code, out, _ = probe(capsys, "http://127.0.0.1:1/xwzx/gzdt/index.html", "--allow-private", "--timeout", "2")
    assert code == 1 and "unreachable" in out and "stopped: page 1 unreachable" in out and "next would be" not in out


def test_probe_obeys_robots_txt_and_waits_between_requests(capsys: pytest.CaptureFixture[str], static_sites: Any) -> None:
    import time

    fam = build("hexo")
    pages = {"/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /page/\n"), "/": fam.pages["/"]}
    site = static_sites("127.0.0.1", pages)
    started = time.monotonic()
    code = main(["probe", site.base_url + "/", "--allow-private", "--delay", "0.4", "--max-pages", "3"])
    out = capsys.readouterr().out
    assert "page 2  " in out and "disallows it" in out          # /page/2/ is not fetched
    assert site.requests == ["/robots.txt", "/"] + [p for p in site.requests[2:] if not p.startswith("/page/")]
    assert not any(p.startswith("/page/") for p in site.requests)
    assert time.monotonic() - started >= 0.4 * (len(site.requests) - 1)
    assert code == 0                                             # page 1's articles were found


def test_suggestion_generalises_dates_and_ids() -> None:
    urls = ["http://h/xwzx/gzdt/202503/t20250304_8861000.html", "http://h/xwzx/gzdt/202412/t20241230_771.html"]
    assert suggest_article_links(urls, ["http://h/xwzx/gzdt/index_1.html"]) == r"/\d{6}/t\d{8}_\d+\.html$"
    assert suggest_article_links([], []) is None
    assert suggest_article_links(["http://h/news/2025/0304/123.html"]) == r"/\d+/\d+/\d+\.html$"


def test_serve_demo_serves_the_cms_fixtures(capsys: pytest.CaptureFixture[str]) -> None:
    import signal

    from support import free_port

    port = free_port()      # the fixtures take P+1… when free, else any free port
    proc = subprocess.Popen([sys.executable, "-m", "crawler.runs.cli", "serve-demo", "--port", str(port)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(10)]
        listings = dict(re.findall(r"CMS fixture (\w+)\s+listing (\S+)", "".join(lines)))
        assert listings, (lines, proc.stderr.read() if proc.poll() is not None else "still running")
        assert set(listings) == {"trs", "trs6", "jcms", "jcmspage", "dede", "empire", "gkmlpt", "wordpress", "hexo"}
        assert f"demo site (generation 1) at http://127.0.0.1:{port}/" in lines[0]
        assert len({urlsplit(u).port for u in listings.values()} | {port}) == 10
        code, out, _ = probe(capsys, listings["jcms"], "--allow-private", "--max-pages", "5")
        assert code == 0 and f"articles {len(build('jcms').articles)} distinct" in out
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)

"""Articles a sitemap announces are scheduled in batches when Scrapy's scheduler runs empty
(`CRAWL_SITEMAP_BATCH`), not all at once, so a big sitemap does not fill memory with pending
requests; every announced article is still fetched exactly once, links to announced articles
are left to the sitemap, and `CRAWL_SITEMAP_BATCH=0` schedules them all as they are read.

Each crawl runs in a child process (Scrapy's reactor cannot restart) with a probe spider that
records, whenever an article response arrives, how many article requests are scheduled but
not answered yet."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from support import REPO

ARTICLES = 40

PROBE = r'''
import json, sys
from pathlib import Path
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from crawler.runs.config import build_settings
from spiders.news import NewsSpider

class Probe(NewsSpider):
    name = "probe"

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.scheduled, spider.answered, spider.outstanding = [], [], []
        crawler.signals.connect(spider.on_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(spider.on_response, signal=signals.response_received)
        return spider

    def on_scheduled(self, request, spider):
        if "/a/" in request.url:
            self.scheduled.append(request.url)

    def on_response(self, response, request, spider):
        if "/a/" in request.url:
            self.answered.append(request.url)
            self.outstanding.append(len(self.scheduled) - len(self.answered))

url, out, batch = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
settings = build_settings(out, {"GUARD_ALLOW_PRIVATE": True, "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0,
                                "CONCURRENT_REQUESTS": 2, "CRAWL_SITEMAP_BATCH": int(batch),
                                "PROGRESS_ENABLED": False, "EXTRACT_WORKERS": 0, "LOG_LEVEL": "WARNING"})
process = CrawlerProcess(settings)
crawler = process.create_crawler(Probe)
process.crawl(crawler, urls=url)
process.start()
spider = crawler.spider
print(json.dumps({"scheduled": spider.scheduled, "answered": spider.answered,
                  "outstanding": spider.outstanding, "errors": crawler.stats.get_value("log_count/ERROR", 0)}))
'''


def site_pages(base_links: bool) -> dict[str, tuple[str, bytes]]:
    """A home page (linking every article when `base_links`), a sitemap announcing them all,
    and the articles, each linking the next three like a news site's "related" box."""
    html = "text/html; charset=utf-8"
    paragraph = "县域医共体建设持续推进，乡镇卫生院服务能力明显提升，群众在家门口就能看病就医。" * 3
    pages: dict[str, tuple[str, bytes]] = {}
    for i in range(ARTICLES):
        related = "".join(f"<a href='/a/{(i + k) % ARTICLES}.html'>相关</a>" for k in (1, 2, 3))
        pages[f"/a/{i}.html"] = (html, (f"<html><head><meta charset='utf-8'><title>第{i}篇</title></head><body>"
                                        f"<h1>第{i}篇</h1><p>{paragraph}</p><p>{i}</p>{related}</body></html>").encode())
    links = "".join(f"<a href='/a/{i}.html'>文章</a>" for i in range(ARTICLES)) if base_links else ""
    pages["/"] = (html, f"<html><body>{links}</body></html>".encode())
    return pages


def crawl(static_sites: Any, tmp_path: Path, host: str, batch: int, *, base_links: bool = False) -> dict[str, Any]:
    site = static_sites(host, site_pages(base_links))
    body = "".join(f"<url><loc>{site.base_url}/a/{i}.html</loc></url>" for i in range(ARTICLES))
    site.pages["/sitemap.xml"] = ("application/xml", (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{body}</urlset>").encode())
    proc = subprocess.run([sys.executable, "-c", PROBE, site.base_url + "/", str(tmp_path / "out"), str(batch)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["requests"] = [p for p in site.requests if p.startswith("/a/")]
    return result


def test_sitemap_articles_are_scheduled_in_batches(static_sites: Any, tmp_path: Path) -> None:
    got = crawl(static_sites, tmp_path, "127.0.0.11", batch=4)
    assert got["errors"] == 0
    # every announced article fetched, once
    assert sorted(got["requests"]) == sorted(f"/a/{i}.html" for i in range(ARTICLES))
    assert len(got["answered"]) == ARTICLES
    # never more than one batch (+ the links of the pages being answered) waiting at once
    assert max(got["outstanding"]) <= 4 + 2 * 3, got["outstanding"]


def test_links_to_announced_articles_are_left_to_the_sitemap() -> None:
    """A followed link to an article waiting in a sitemap batch is not scheduled again (it
    would sit in the scheduler until fetched); a link to anything else is."""
    from scrapy.http import HtmlResponse, Request, XmlResponse
    from scrapy.utils.test import get_crawler

    from spiders.news import NewsSpider

    base = "http://127.0.0.14:8000"
    crawler = get_crawler(NewsSpider, {"CRAWL_SITEMAP_BATCH": 5})
    spider = NewsSpider.from_crawler(crawler, urls=base + "/")
    spider.sources = spider.load_sources()
    spec = spider.sources[0]
    sitemap = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
               + "".join(f"<url><loc>{base}/a/{i}.html</loc></url>" for i in range(3)) + "</urlset>").encode()
    meta = spider.spec_meta(spec, "sitemap")
    out = list(spider.parse_sitemap(XmlResponse(base + "/sitemap.xml", body=sitemap,
                                                request=Request(base + "/sitemap.xml", meta=meta))))
    assert out == [] and spider.announced_waiting() == 3       # waiting as URLs, nothing scheduled yet
    page = "".join(f"<a href='/a/{i}.html'>x</a>" for i in (0, 1, 7)).encode()
    followed = [r.url for r in spider.parse_adhoc(HtmlResponse(
        base + "/", body=b"<html><body>" + page + b"</body></html>", encoding="utf-8",
        request=Request(base + "/", meta=spider.spec_meta(spec, "listing")))) if isinstance(r, Request)]
    assert followed == [base + "/a/7.html"]


def test_batch_zero_schedules_the_whole_sitemap_at_once(static_sites: Any, tmp_path: Path) -> None:
    got = crawl(static_sites, tmp_path, "127.0.0.13", batch=0)
    assert sorted(got["requests"]) == sorted(f"/a/{i}.html" for i in range(ARTICLES))
    assert got["outstanding"][0] >= ARTICLES - 3  # everything announced was pending before the first answer

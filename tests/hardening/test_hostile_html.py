"""Broken HTML: an empty body, NUL bytes, 50,000-deep nesting, a 50 MB text node, no `<body>` —
no crash, every page archived (a response record in the WARC), every non-article skipped with
a reason counted as `extract/rejected/<reason>` and listed in the run report."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.hardening import crawl, items, run_report
from support.servers import PARAGRAPH, HostileServer, Reply, article_routes, index_page

from archive.reader import ArchivedRecord, iter_records

HTML = {"Content-Type": "text/html; charset=utf-8"}
BROKEN = {
    "empty": b"",
    "nul": b"<html><body>\x00\x00<p>\x00" + "短".encode() + b"\x00</p>\x00</body></html>",
    "deep": b"<html><body>" + b"<div>" * 50_000 + "深".encode() + b"</div>" * 50_000 + b"</body></html>",
    "huge": b"<html><body><p>" + b"A" * (50 * 1024 * 1024) + b"</p></body></html>",
    "nobody": b"<html><head><title>t</title></head></html>",
    "binary": bytes(range(256)) * 100,
}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Any, HostileServer]]:
    routes = article_routes(2)
    for name, body in BROKEN.items():
        routes[f"/broken/{name}.html"] = Reply(headers=HTML, body=body)
    # no <body> element, but an article: must still be read
    routes["/broken/nobody-article.html"] = Reply(headers=HTML, body=(
        "<html><head><meta charset='utf-8'><title>卫生健康新闻无body</title></head>"
        + "".join(f"<p>{PARAGRAPH}无body第{i}段。</p>" for i in range(5)) + "</html>").encode())
    routes["/"] = index_page([f"/broken/{n}.html" for n in BROKEN] + ["/broken/nobody-article.html",
                                                                       "/good/0.html", "/good/1.html"])
    out = tmp_path_factory.mktemp("html") / "out"
    with HostileServer(routes) as srv:
        res = crawl(out, srv.url("/"), extra=["-s", f"DOWNLOAD_MAXSIZE={60 * 1024 * 1024}"], timeout=120)
        yield out, res, srv


def _stats(stderr: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r"'(extract/[^']+)': (\d+)", stderr)}


def test_no_crash_and_crawl_goes_on(crawled: Any) -> None:
    out, res, _ = crawled
    assert res.code == 0, res.output[-3000:]
    assert "Traceback" not in res.stderr, res.stderr[-5000:]
    assert _stats(res.stderr).get("extract/errors", 0) == 0
    names = {i["url"].rsplit("/", 1)[-1] for i in items(out)}
    assert {"0.html", "1.html", "nobody-article.html"} <= names, names


def test_every_broken_page_archived(crawled: Any) -> None:
    out, _, srv = crawled
    responses = {r.url: r for path in (out / "warc").glob("*.warc.gz")
                 for r in iter_records(path, max_body=64 * 1024 * 1024)
                 if isinstance(r, ArchivedRecord) and r.rec_type == "response"}
    for name, body in BROKEN.items():
        record = responses.get(srv.url(f"/broken/{name}.html"))
        assert record is not None, f"/broken/{name}.html has no response record"
        assert record.payload == body


def test_every_broken_page_skipped_with_reason(crawled: Any) -> None:
    out, res, srv = crawled
    report = run_report(out)
    rejected = {k.rsplit("/", 1)[-1]: v for k, v in report["guards"].items() if k.startswith("extract/rejected/")}
    assert sum(rejected.values()) >= len(BROKEN), (rejected, res.stderr[-3000:])
    assert rejected == {k.rsplit("/", 1)[-1]: v for k, v in _stats(res.stderr).items()
                        if k.startswith("extract/rejected/")}
    failures = report["sources"]["127-0-0-1"]["failures"]
    listed = {url for kind, info in failures.items() if kind.startswith("extract:") for url in info["examples"]}
    kinds = {kind.split(":", 1)[1] for kind in failures if kind.startswith("extract:")}
    assert kinds <= set(rejected), (kinds, rejected)
    assert srv.url("/broken/empty.html") in listed
    assert "empty-body" in rejected
    stored = (out / "items.jsonl").read_text(encoding="utf-8")
    for name in BROKEN:
        assert f"/broken/{name}.html" not in stored

"""Network-level failures (support.servers.NetFaultServer): connection closed mid-body, a Content-Length longer
than the body, bad chunking, `Content-Encoding: gzip` on a plain body, HTTP/0.9, garbage.
Each is counted per source and kind in the run report with its URL as an example; what was
received is in the WARC (`WARC-Truncated: length` for a body cut short, as sent for a body that
does not decode), or the report says why not. The good pages of the site are still stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.faults import crawl, item_lines, last_report
from support.servers import NetFaultServer

from archive.reader import ArchivedRecord, iter_records

EXPECTED = {
    "/net/short-body": "network:data-loss",
    "/net/cut-chunked": "network:data-loss",
    "/net/bad-chunking": "network:data-loss",    # Scrapy delivers what arrived before the bad chunk size
    "/net/gzip-plain": "network:bad-content-encoding",
    "/net/http09": "network:bad-response",
    "/net/garbage": "network:bad-response",
}


@pytest.mark.parametrize("retries", [0, 1])
def test_network_failures_are_counted_archived_or_explained(tmp_path: Path, retries: int) -> None:
    out = tmp_path / "out"
    with NetFaultServer() as srv:
        code, stdout, stderr = crawl(out, srv.url("/"), "-s", f"RETRY_TIMES={retries}")
    assert code == 0, stdout[-2000:] + stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    failures = {kind: info for row in last_report(out)["sources"].values() for kind, info in row["failures"].items()}
    for path, kind in EXPECTED.items():
        url = srv.url(path)
        assert kind in failures and url in failures[kind]["examples"], (path, failures)
        assert failures[kind]["archive"]
    counted = {kind: sum(1 for p, k in EXPECTED.items() if k == kind) for kind in set(EXPECTED.values())}
    assert {k: failures[k]["count"] for k in counted} == counted   # once per URL, retries or not
    responses = {r.url: r for p in (out / "warc").glob("*.warc.gz")
                 for r in iter_records(p) if isinstance(r, ArchivedRecord) and r.rec_type == "response"}
    for path in ("/net/short-body", "/net/cut-chunked"):
        record = responses[srv.url(path)]
        assert record.warc_header("WARC-Truncated") == "length" and len(record.payload) == 300
    assert responses[srv.url("/net/gzip-plain")].warc_header("WARC-Truncated") is None
    stored = {i["url"] for i in item_lines(out)}
    assert {srv.url("/good/1.html"), srv.url("/good/2.html")} <= stored
    assert not any("/net/" in url for url in stored)   # a broken exchange is never an item

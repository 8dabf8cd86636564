"""robots.txt per RFC 9309 (`crawler.middlewares.robots.RobotsPolicyMiddleware`): 5xx, timeout or no
server = the host is disallowed for the run (logged, `robotstxt/host_disallowed_5xx`, in the run
report); 4xx = allow all; 10 MB of junk or binary = parsed leniently within 500 KiB, no crash."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from support.hardening import crawl, items, run_report
from support.servers import HostileServer, Reply, article_routes, index_page

from crawler.middlewares.robots import cap_robots_body


def site(robots: str) -> HostileServer:
    routes = article_routes(2)
    routes["/private/secret.html"] = Reply(body=b"<html><body>private</body></html>")
    routes["/"] = index_page(["/good/0.html", "/good/1.html", "/private/secret.html"])
    return HostileServer(routes, robots=robots)


def stat(stderr: str, key: str) -> int:
    match = re.search(rf"'{re.escape(key)}': (\d+)", stderr)
    return int(match.group(1)) if match else 0


@pytest.mark.parametrize("mode", ["500", "503", "timeout"])
def test_unreachable_robots_disallows_the_host(tmp_path: Path, mode: str) -> None:
    out = tmp_path / "out"
    with site(mode) as srv:
        res = crawl(out, srv.url("/"), extra=["-s", "DOWNLOAD_TIMEOUT=1"])
        fetched = srv.paths()
    assert set(fetched) == {"/robots.txt"}, f"fetched past an unreachable robots.txt: {fetched}"
    assert stat(res.stderr, "robotstxt/host_disallowed_5xx") == 1, res.stderr[-3000:]
    assert any("robots.txt" in line and "host disallowed" in line for line in res.stderr.splitlines())
    report = run_report(out)
    assert report["guards"]["robotstxt/host_disallowed_5xx"] == 1
    failures = report["sources"]["127-0-0-1"]["failures"]
    assert failures["robots-unreachable"]["examples"] == [srv.url("/robots.txt")]
    assert items(out) == []


def test_no_server_at_all_disallows_the_host(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    res = crawl(tmp_path / "out", f"http://127.0.0.1:{port}/")
    assert stat(res.stderr, "robotstxt/host_disallowed_5xx") == 1, res.stderr[-3000:]
    assert res.code == 1  # nothing reachable: a person must look


@pytest.mark.parametrize("mode", ["404", "403"])
def test_4xx_robots_allows_all(tmp_path: Path, mode: str) -> None:
    out = tmp_path / "out"
    with site(mode) as srv:
        res = crawl(out, srv.url("/"))
        fetched = srv.paths()
    assert res.code == 0, res.output[-3000:]
    assert "/private/secret.html" in fetched and "/good/0.html" in fetched
    assert stat(res.stderr, "robotstxt/allow_all_4xx") == 1
    assert len(items(out)) == 2


def test_10mb_junk_robots_is_capped_and_parsed_leniently(tmp_path: Path) -> None:
    """The junk file starts with `Disallow: /private/` and ends (past 500 KiB) with `Disallow: /`:
    the first rule holds, the one beyond the cap is ignored, nothing crashes."""
    out = tmp_path / "out"
    with site("junk") as srv:
        res = crawl(out, srv.url("/"))
        fetched = srv.paths()
    assert res.code == 0, res.output[-3000:]
    assert "/private/secret.html" not in fetched
    assert {"/good/0.html", "/good/1.html"} <= set(fetched)
    assert stat(res.stderr, "robotstxt/truncated") == 1
    assert "Traceback" not in res.stderr


def test_binary_robots_is_no_crash(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with site("binary") as srv:
        res = crawl(out, srv.url("/"))
    assert res.code == 0, res.output[-3000:]
    assert "Traceback" not in res.stderr
    assert len(items(out)) == 2


def test_cap_cuts_at_a_line_end() -> None:
    body = b"User-agent: *\nDisallow: /a/\nDisallow: /b/\n"
    assert cap_robots_body(body, 1000) == body
    assert cap_robots_body(body, 20) == b"User-agent: *\n"
    assert cap_robots_body(b"x" * 50, 20) == b""

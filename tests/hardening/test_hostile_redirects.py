"""Redirects: loops and over-long chains, redirects to `file:`, `ftp:` and `data:` — stopped with a
warning that names the URL, counted in `guard/redirect_*`, and the crawl goes on. Credentials:
an `Authorization` header never follows a redirect to another origin (host or port), however
it was set, and never reaches a WARC request record."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.hardening import crawl, items, warc_bytes
from support.servers import HostileServer, Reply, article_html, article_routes, index_page

from crawler.middlewares.auth import origin

HOSTILE_TARGETS = {"file": "file:///etc/passwd", "ftp": "ftp://127.0.0.1/pub/x", "data": "data:text/html,<p>hi</p>"}


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status, {"Location": location, "Content-Type": "text/html"}, b"moved")


def chain(handler: Any) -> Reply:
    n = int(handler.path.rsplit("/", 1)[-1])
    return redirect(f"/redirect/chain/{n + 1}")


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    routes = article_routes(2)
    routes["/redirect/loop"] = redirect("/redirect/loop-b")
    routes["/redirect/loop-b"] = redirect("/redirect/loop", 301)
    for n in range(100):
        routes[f"/redirect/chain/{n}"] = chain
    for name, target in HOSTILE_TARGETS.items():
        routes[f"/redirect/{name}"] = redirect(target)
    routes["/"] = index_page(["/redirect/loop", "/redirect/chain/0", "/redirect/file", "/redirect/ftp",
                              "/redirect/data", "/good/0.html", "/good/1.html"])
    with HostileServer(routes) as srv:
        yield srv


@pytest.fixture(scope="module")
def result(server: HostileServer, tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("redirects") / "out"
    return out, crawl(out, server.url("/"), extra=["-s", "REDIRECT_MAX_TIMES=5"])


def test_loop_stopped_and_logged(server: HostileServer, result: Any) -> None:
    _, res = result
    assert server.paths().count("/redirect/loop") == 1  # not re-requested round and round
    assert any("redirect loop" in line and "/redirect/loop" in line for line in res.stderr.splitlines()), \
        res.stderr[-3000:]


def test_long_chain_stopped_at_max_and_logged(server: HostileServer, result: Any) -> None:
    _, res = result
    hops = [p for p in server.paths() if p.startswith("/redirect/chain/")]
    assert len(hops) == 6  # the first request + REDIRECT_MAX_TIMES redirects
    assert any("redirect stopped" in line and "REDIRECT_MAX_TIMES" in line for line in res.stderr.splitlines()), res.stderr[-3000:]


@pytest.mark.parametrize("scheme", sorted(HOSTILE_TARGETS))
def test_redirect_to_other_scheme_refused(result: Any, scheme: str) -> None:
    out, res = result
    lines = [line for line in res.stderr.splitlines() if f"/redirect/{scheme}" in line and "refused" in line]
    assert lines, res.stderr[-3000:]
    assert f"scheme '{scheme}'" in lines[0]
    assert "root:x:0:0" not in (out / "items.jsonl").read_text(encoding="utf-8")


def test_crawl_goes_on(result: Any) -> None:
    out, res = result
    assert res.code == 0, res.output[-3000:]
    assert {i["url"].rsplit("/", 1)[-1] for i in items(out)} >= {"0.html", "1.html"}


# ------------------------------------------------------------------ credentials
SECRET = base64.b64encode(b"crawler:s3cr3t-pass").decode()


@pytest.fixture
def two_origins() -> Iterator[tuple[HostileServer, HostileServer]]:
    """`a` redirects /auth/away to `b` (same host, other port) and /auth/here within itself."""
    with HostileServer(article_routes(1)) as b, HostileServer() as a:
        a.routes["/auth/away"] = redirect(b.url("/good/0.html"))
        a.routes["/auth/here"] = redirect("/auth/landing.html")
        a.routes["/auth/landing.html"] = Reply(body=article_html(5))
        yield a, b


def _authorization(server: HostileServer, path: str) -> list[str | None]:
    return [headers.get("authorization") for _, p, headers in server.requests if p == path]


@pytest.mark.parametrize("how", ["default-headers", "http-auth"])
def test_authorization_never_follows_redirect_to_other_origin(two_origins: tuple[HostileServer, HostileServer],
                                                              tmp_path: Path, how: str) -> None:
    a, b = two_origins
    extra = (["-s", f'DEFAULT_REQUEST_HEADERS={{"Authorization": "Basic {SECRET}"}}'] if how == "default-headers"
             else ["-s", "HTTPAUTH_USER=crawler", "-s", "HTTPAUTH_PASS=s3cr3t-pass", "-s", "HTTPAUTH_DOMAIN="])  # empty: every request
    out = tmp_path / "out"
    res = crawl(out, a.url("/auth/away"), a.url("/auth/here"), extra=extra + ["-s", "ROBOTSTXT_OBEY=False"])
    assert res.code == 0, res.output[-3000:]
    assert _authorization(a, "/auth/away") == [f"Basic {SECRET}"]  # the header really was sent
    assert _authorization(a, "/auth/landing.html") == [f"Basic {SECRET}"]  # same origin keeps it
    assert _authorization(b, "/good/0.html") == [None], "credentials leaked to another origin"
    warc = warc_bytes(out)
    assert b"/auth/away" in warc and SECRET.encode() not in warc
    assert b"authorization:" not in warc.lower()


def test_origin_includes_scheme_and_default_port() -> None:
    assert origin("http://a.cn/x") == origin("HTTP://A.cn:80/y")
    assert origin("http://a.cn/x") != origin("https://a.cn/x")
    assert origin("http://a.cn:8080/x") != origin("http://a.cn/x")

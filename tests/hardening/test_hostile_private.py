"""Private and loopback addresses are refused by default (IP literals by
`PrivateAddressMiddleware`, resolved names by `GuardedResolver`); `--allow-private` lifts it.
`file:` and `data:` URLs are neither crawled nor downloadable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.hardening import crawl, items, run_cli
from support.servers import HostileServer, article_routes, index_page
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.test import get_crawler
from twisted.internet import defer
from twisted.internet.base import ThreadedResolver
from twisted.internet.error import DNSLookupError

from crawler.security.guard import GuardedResolver, is_forbidden_ip
from crawler.middlewares.guard import PrivateAddressMiddleware
from crawler.runs.config import build_settings


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    routes = article_routes(1)
    routes["/"] = index_page(["/good/0.html"])
    with HostileServer(routes) as srv:
        yield srv


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_refused_by_default(server: HostileServer, tmp_path: Path, host: str) -> None:
    before = len(server.requests)
    res = crawl(tmp_path / "out", server.url("/", host=host), allow_private=False)
    assert server.requests[before:] == [], "the crawler reached a loopback server without --allow-private"
    assert "--allow-private" in res.stderr and ("loopback" in res.stderr or "private" in res.stderr), \
        res.stderr[-3000:]
    assert res.code == 1
    assert items(tmp_path / "out") == []


def test_allow_private_lifts_it(server: HostileServer, tmp_path: Path) -> None:
    res = crawl(tmp_path / "out", server.url("/"), allow_private=True)
    assert res.code == 0, res.output[-3000:]
    assert "/good/0.html" in server.paths()
    assert len(items(tmp_path / "out")) == 1


def test_file_start_url_refused_by_cli(tmp_path: Path) -> None:
    res = run_cli("crawl", "file:///etc/passwd", "--out", str(tmp_path / "out"), "--allow-private")
    assert res.code == 2
    assert "file:///etc/passwd" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()  # nothing started
    assert "root:" not in res.output


def test_file_data_ftp_handlers_disabled() -> None:
    handlers = build_settings(Path("unused")).getdict("DOWNLOAD_HANDLERS")
    assert all(handlers.get(scheme, "missing") is None for scheme in ("file", "data", "ftp", "s3"))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "data:text/plain,hi", "ftp://example.cn/x"])
def test_guard_refuses_other_schemes_even_when_private_allowed(url: str) -> None:
    crawler = get_crawler(settings_dict={"GUARD_ALLOW_PRIVATE": True})
    with pytest.raises(IgnoreRequest, match="only http/https"):
        PrivateAddressMiddleware(crawler).process_request(Request(url))


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "::1",
                                     "::ffff:127.0.0.1", "0.0.0.0", "fc00::1", "224.0.0.1"])
def test_forbidden_addresses(address: str) -> None:
    assert is_forbidden_ip(address)


def test_public_addresses_allowed() -> None:
    assert not is_forbidden_ip("61.135.169.125")
    assert not is_forbidden_ip("example.cn")


def _resolver(monkeypatch: pytest.MonkeyPatch, answer: str, allow: bool) -> GuardedResolver:
    """A GuardedResolver whose underlying lookup answers `answer` for any name (no DNS)."""
    def fake(self: Any, name: str, timeout: Any = ()) -> defer.Deferred[str]:
        return defer.succeed(answer)

    monkeypatch.setattr(ThreadedResolver, "getHostByName", fake)
    from twisted.internet import reactor

    crawler = get_crawler(settings_dict={"GUARD_ALLOW_PRIVATE": allow})
    return GuardedResolver.from_crawler(crawler, reactor)


def _outcome(d: defer.Deferred[str]) -> Any:
    box: list[Any] = []
    d.addBoth(box.append)
    return box[0]


def test_resolver_refuses_public_name_resolving_to_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    failure = _outcome(_resolver(monkeypatch, "127.0.0.1", allow=False).getHostByName("evil-rebind.example.cn"))
    assert failure.check(DNSLookupError)
    assert "127.0.0.1" in str(failure.value) and "--allow-private" in str(failure.value)


def test_resolver_allows_when_configured_or_public(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _outcome(_resolver(monkeypatch, "127.0.0.1", allow=True).getHostByName("intranet.example.cn")) \
        == "127.0.0.1"
    assert _outcome(_resolver(monkeypatch, "61.135.169.125", allow=False).getHostByName("www.example.cn")) \
        == "61.135.169.125"

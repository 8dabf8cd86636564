"""Every local server the tests use, on loopback addresses only.

- `StaticSite(host, pages)`: a tiny static site on 127.0.0.X with a request log (several of
  them on different loopback addresses are different hosts);
- `DemoServer` and `CmsSite`: the bundled demo site and the CMS fixture sites (`crawler.demo`,
  served by `healthcrawl serve-demo` too);
- `NetFaultServer`: a raw-socket server for network-level faults (at the end of this module);
- `HostileServer`, below.

The hostile fixture web server for the hardening tests (127.0.0.1, port 0, one thread per
request). It serves a few good article pages — so a test can check that a crawl goes on —
and, by path, the broken or malicious responses the crawler must survive:

- `/bomb/{gzip,deflate,br,zstd}`: `Content-Encoding` decompression bombs (`BOMB_SIZE` zeros);
- `/sitemap.xml` (mode `sitemap`): a gzipped sitemap bomb, an XXE or billion-laughs sitemap;
- `/redirect/loop`, `/redirect/chain/N`, `/redirect/file`, `/redirect/ftp`, `/redirect/data`;
- `/auth/start` -> cross-host redirect (to `other_host`) and same-host redirect;
- `/broken/{empty,nul,deep,huge,nobody}`: broken HTML;
- `/robots.txt` by `robots` mode: allow, 500, 503, 404, timeout, junk, binary.

Every request is recorded in `requests` (method, path, headers) so tests can check what the
crawler did (or did not) fetch. Use `HostileServer(...)` as a context manager.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from crawler.demo.cms_sites import CmsSite  # noqa: F401 - re-exported: every local server from one module
from crawler.demo.loopback import LoopbackServer
from crawler.demo.server import DemoServer  # noqa: F401 - re-exported

BOMB_SIZE = 256 * 1024 * 1024
PARAGRAPH = ("市卫生健康委员会今天召开新闻发布会，通报了全市基层医疗卫生服务能力提升工作的最新进展，"
             "并就居民关心的家庭医生签约、慢性病管理和疫苗接种等问题回答了记者提问。")


def article_html(n: int, extra_links: str = "") -> bytes:
    paras = "".join(f"<p>{PARAGRAPH}第{n}篇第{i}段。</p>" for i in range(6))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>卫生健康新闻{n}</title></head>"
            f"<body><div class='nav'><a href='/'>首页</a></div><div class='article'><h1>卫生健康新闻{n}</h1>"
            f"<div class='info'>发布时间：2024-05-0{1 + n % 9} 10:00 来源：市卫生健康委</div>{paras}</div>"
            f"{extra_links}</body></html>").encode("utf-8")


@lru_cache(maxsize=None)
def bomb(encoding: str, size: int = BOMB_SIZE) -> bytes:
    """`size` zero bytes compressed with `encoding` (cached: built once per test session)."""
    chunk = b"\0" * (1 << 20)
    if encoding in ("gzip", "deflate"):
        comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS)
        parts = [comp.compress(chunk) for _ in range(size // len(chunk))]
        return b"".join(parts) + comp.flush()
    if encoding == "br":
        import brotli

        comp = brotli.Compressor(quality=5)
        parts = [comp.process(chunk) for _ in range(size // len(chunk))]
        return b"".join(parts) + comp.finish()
    if encoding == "zstd":
        try:
            from compression import zstd  # type: ignore[import-not-found]
        except ImportError:
            from backports import zstd  # type: ignore[import-not-found,no-redef]
        comp = zstd.ZstdCompressor()
        parts = [comp.compress(chunk) for _ in range(size // len(chunk))]
        return b"".join(parts) + comp.flush()
    raise ValueError(encoding)


ROBOTS_ALLOW = b"User-agent: *\nDisallow: /private/\n"


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})
    body: bytes = b""
    delay: float = 0.0


class HostileServer:
    """The server; `routes` maps a path to a `Reply` or a callable(handler) -> Reply."""

    def __init__(self, routes: dict[str, Reply | Callable[[Any], Reply]] | None = None, *,
                 robots: str = "allow", host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Reply | Callable[[Any], Reply]] = dict(routes or {})
        self.robots = robots
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def do_GET(self) -> None:
                with server._lock:
                    server.requests.append(("GET", self.path, {k.lower(): v for k, v in self.headers.items()}))
                reply = server.reply_for(self)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    headers = dict(reply.headers)
                    headers.setdefault("Content-Length", str(len(reply.body)))
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> "HostileServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        with self._lock:
            return [p for _, p, _ in self.requests]

    # ------------------------------------------------------------------ replies
    def reply_for(self, handler: BaseHTTPRequestHandler) -> Reply:
        path = handler.path.split("?", 1)[0]
        if path == "/robots.txt":
            return self.robots_reply()
        route = self.routes.get(path)
        if route is None:
            return Reply(404, body=b"<html><body>not found</body></html>")
        return route(handler) if callable(route) else route

    def robots_reply(self) -> Reply:
        text = {"Content-Type": "text/plain"}
        mode = self.robots
        if mode == "allow":
            return Reply(200, text, ROBOTS_ALLOW)
        if mode in ("500", "503", "404", "403"):
            return Reply(int(mode), text, b"error")
        if mode == "timeout":
            return Reply(200, text, ROBOTS_ALLOW, delay=5.0)
        if mode == "junk":  # 10 MB of junk lines, with a real rule at the start and one far past 500 KiB
            head = b"User-agent: *\nDisallow: /private/\n"
            junk = (b"\x01\x02 no colon here \xff\xfe ~~~~ " * 64 + b"\n") * (10 * 1024 * 1024 // 2177)
            return Reply(200, text, head + junk + b"User-agent: *\nDisallow: /\n")
        if mode == "binary":
            return Reply(200, {"Content-Type": "application/octet-stream"},
                         gzip.compress(bytes(range(256)) * 64) + b"\0\0\xff" * 1000)
        raise ValueError(f"unknown robots mode {mode}")


def article_routes(count: int = 3) -> dict[str, Reply | Callable[[Any], Reply]]:
    """`/good/N.html` article pages and an index `/` linking to them."""
    routes: dict[str, Reply | Callable[[Any], Reply]] = {
        f"/good/{n}.html": Reply(body=article_html(n)) for n in range(count)
    }
    return routes


def index_page(links: list[str]) -> Reply:
    anchors = "".join(f"<li><a href='{href}'>链接{i}</a></li>" for i, href in enumerate(links))
    return Reply(body=f"<html><head><meta charset='utf-8'><title>首页</title></head><body><ul>{anchors}</ul>"
                      f"</body></html>".encode("utf-8"))


class StaticSite(LoopbackServer):
    """A tiny static site on 127.0.0.X:port (pages: path -> (content type, bytes)), with a
    request log. Several of them on different loopback addresses are different hosts."""

    def __init__(self, host: str, pages: dict[str, tuple[str, bytes]]) -> None:
        site = self
        self.pages = dict(pages)
        self.requests: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                site.requests.append(self.path)
                found = site.pages.get(self.path)
                if found is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                ctype, body = found
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(Handler, host)


# -- network-level faults ------------------------------------------------------------
# A raw-socket HTTP server for network-level faults (127.0.0.1, port 0, one thread per
# connection): it writes bytes as given, so it can break HTTP where `http.server` cannot.
# 
# Paths (`FAULTS`): `/net/short-body` (Content-Length longer than the body, then close),
# `/net/cut-chunked` (chunked, closed before the last chunk), `/net/bad-chunking` (a chunk size
# that is not hex), `/net/gzip-plain` (`Content-Encoding: gzip` on a plain body), `/net/http09`
# (no status line: a bare body, HTTP/0.9 style), `/net/garbage` (binary noise), plus `/`
# (an index linking to all of them and to `/good/N.html`) and good articles.

PAGE = ("<!doctype html>\n<html><head><meta charset='utf-8'><title>卫生健康新闻{n}</title></head><body>\n"
        "<div class='article'><h1>卫生健康新闻{n}</h1><div class='info'>发布时间：2024-05-0{d} 10:00</div>\n"
        + "<p>市卫生健康委员会今天召开新闻发布会，通报了全市基层医疗卫生服务能力提升工作的最新进展，"
          "并就居民关心的家庭医生签约、慢性病管理和疫苗接种等问题回答了记者提问。第{n}篇。</p>" * 6
        + "</div></body></html>")

FAULTS = {
    "/net/short-body": "data-loss",
    "/net/cut-chunked": "data-loss",
    "/net/bad-chunking": "bad-chunking",
    "/net/gzip-plain": "bad-content-encoding",
    "/net/http09": "bad-response",
    "/net/garbage": "bad-response",
}


def _ok(body: bytes, extra: str = "") -> bytes:
    return (f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
            f"{extra}Connection: close\r\n\r\n").encode() + body


def reply(path: str) -> bytes:
    """The bytes sent for `path` (the connection is closed after them)."""
    body = PAGE.format(n=path.rsplit("/", 1)[-1], d=3).encode("utf-8")
    if path == "/":
        links = "".join(f"<a href='{p}'>{p}</a>" for p in [*FAULTS, "/good/1.html", "/good/2.html"])
        return _ok(f"<html><body>{links}</body></html>".encode())
    if path.startswith("/good/"):
        return _ok(body)
    head = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
    if path == "/net/short-body":
        return (head + f"Content-Length: {len(body) + 5000}\r\n\r\n").encode() + body[:300]
    if path == "/net/cut-chunked":
        return (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + b"%x\r\n" % 300 + body[:300] + b"\r\n"
    if path == "/net/bad-chunking":
        return (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + b"zz\r\n" + body[:300] + b"\r\n0\r\n\r\n"
    if path == "/net/gzip-plain":
        return _ok(body, "Content-Encoding: gzip\r\n")
    if path == "/net/http09":
        return body
    if path == "/net/garbage":
        return bytes(range(256)) * 8
    if path == "/robots.txt":
        return _ok(b"User-agent: *\nAllow: /\n")
    return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class NetFaultServer:
    """`with NetFaultServer() as srv: srv.url("/")`."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.requests: list[str] = []
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            conn.settimeout(5)
            try:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                path = data.split(b" ", 2)[1].decode("latin-1")
                self.requests.append(path)
                conn.sendall(reply(path))
                conn.shutdown(socket.SHUT_WR)
            except OSError:
                return

    def __enter__(self) -> "NetFaultServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop = True
        self.sock.close()

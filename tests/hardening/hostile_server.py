"""A hostile fixture web server for the hardening tests (127.0.0.1, port 0, one thread per
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
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

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

"""A raw-socket HTTP server for network-level faults (127.0.0.1, port 0, one thread per
connection): it writes bytes as given, so it can break HTTP where `http.server` cannot.

Paths (`FAULTS`): `/net/short-body` (Content-Length longer than the body, then close),
`/net/cut-chunked` (chunked, closed before the last chunk), `/net/bad-chunking` (a chunk size
that is not hex), `/net/gzip-plain` (`Content-Encoding: gzip` on a plain body), `/net/http09`
(no status line: a bare body, HTTP/0.9 style), `/net/garbage` (binary noise), plus `/`
(an index linking to all of them and to `/good/N.html`) and good articles.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

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

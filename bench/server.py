"""Local HTTP server for the benchmarks: serves a generated `bench.pages.Site` from memory.

`BenchServer(site)` listens on 127.0.0.1, port 0 (the OS picks one), in a background thread
pool (`ThreadingHTTPServer`, HTTP/1.1 keep-alive, no request logging) so the crawler, not the
server, is what a benchmark measures. `{BASE}` in a body (sitemap, robots.txt) is replaced by
the server's base URL once, at start. Unknown paths get 404. Use it as a context manager:

    with BenchServer(generate_site(2000)) as server:
        crawl(server.base_url + "/")

`python bench/server.py --pages 2000` serves a site until interrupted.
"""

from __future__ import annotations

import argparse
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pages import Site, generate_site  # noqa: E402

__all__ = ["BenchServer"]

NOT_FOUND = b"<html><body><h1>404 Not Found</h1></body></html>"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bench/1"
    files: dict[str, tuple[str, bytes]] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(send_body=False)

    def _answer(self, *, send_body: bool) -> None:
        path = urlsplit(self.path).path or "/"
        found = self.files.get(path)
        status, ctype, body = (200, *found) if found else (404, "text/html; charset=utf-8", NOT_FOUND)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


class BenchServer:
    """Serves `site` on 127.0.0.1:<free port> from a background thread."""

    def __init__(self, site: Site, host: str = "127.0.0.1", port: int = 0) -> None:
        self.site = site
        handler = type("Handler", (_Handler,), {"files": {}})
        self._httpd = _Server((host, port), handler)
        self.port = self._httpd.server_address[1]
        self.base_url = f"http://{host}:{self.port}"
        base = self.base_url.encode()
        handler.files = {path: (ctype, body.replace(b"{BASE}", base)) for path, (ctype, body) in site.files.items()}
        self._thread: threading.Thread | None = None

    def start(self) -> "BenchServer":
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="bench-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "BenchServer":
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a generated benchmark site on 127.0.0.1.")
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    with BenchServer(generate_site(args.pages, args.seed), port=args.port) as server:
        print(f"serving {args.pages} articles at {server.base_url}/ (Ctrl-C stops)", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

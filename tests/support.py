"""Helpers shared by the test modules: the repository root, running the CLI in a subprocess
(Scrapy's reactor cannot restart inside one process), free ports, item readers, static sites
on loopback addresses. Fixtures that use them are in conftest.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


REPO = Path(__file__).resolve().parents[1]


def run_cli(*args: str, timeout: float = 240, env: dict[str, str] | None = None,
            check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `python -m crawler.runs.cli ARGS` from the repository root; returns the completed process."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env.setdefault("PYTHONUNBUFFERED", "1")
    proc = subprocess.run([sys.executable, "-m", "crawler.runs.cli", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, env=full_env)
    if check and proc.returncode != 0:
        raise AssertionError(f"healthcrawl {' '.join(args)} exited {proc.returncode}\n"
                             f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}")
    return proc


def unavailable(message: str) -> None:
    """A program or data set a test needs is missing: skip with the reason locally, fail under
    CI (`CI` set), where `.ci/run` installs everything and nothing may skip."""
    import pytest

    if os.environ.get("CI"):
        pytest.fail(f"required under CI: {message}")
    pytest.skip(message)


def free_port() -> int:
    """A port nothing listens on right now (for `healthcrawl demo --port`)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def families(items: list[dict[str, Any]]) -> set[frozenset[str]]:
    """Repost families as sets of ids (a canonical item and everything linked to it)."""
    groups: dict[str, set[str]] = {}
    for item in items:
        groups.setdefault(item["duplicate_of"] or item["id"], set()).add(item["id"])
    return {frozenset(g) for g in groups.values()}


def read_items(path: Path) -> list[dict[str, Any]]:
    """The items of a JSON-lines file in file order, with their current ``duplicate_of``: relink
    records (`crawler.dedup.links`) are applied and left out."""
    from crawler.dedup.links import apply_links, read_relinks

    if not path.exists():
        return []
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return list(apply_links(lines, read_relinks([path])))



class StaticSite:
    """A tiny static site on 127.0.0.X:port (pages: path -> (content type, bytes)), with a
    request log. Several of them on different loopback addresses are different hosts."""

    def __init__(self, host: str, pages: dict[str, tuple[str, bytes]]) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


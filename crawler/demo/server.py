"""Serve the bundled demo site on a loopback port, for tests, benchmarks and ``serve-demo``.

The site (``site/`` plus the overlays ``site_genN/`` and ``generations.json`` written by
``build_site``) is read into memory once. A *generation* picks what is served: generation N is
``site/`` with the overlays 2..N laid over it and the paths each removes answered with 404, so
an incremental harvest can be tested by switching generation between two runs.

Behaviour: ``Content-Type`` with the charset of each file (the ``/county/`` pages are GBK and say
``gb2312``); gzip when the client accepts it and the server was built with ``gzip=True``; a
strong ``ETag`` (hash of the body) and ``Last-Modified`` (the date of the generation that last
changed the file) with 304 answers to ``If-None-Match`` / ``If-Modified-Since``; HEAD; ``{{BASE}}``
in a file replaced by the server's base URL; 404 (the site's 404 page) for anything missing or
resolving outside the site; a 301 adding the slash to a folder path. Every request is recorded
in ``DemoServer.requests``. No settings: everything is an argument.
"""

from __future__ import annotations

import gzip as gziplib
import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from types import TracebackType
from urllib.parse import unquote, urlsplit

from crawler.demo.stories import GENERATION_DATES, stories_in

DEMO_DIR = Path(__file__).parent
MANIFEST_FILE = DEMO_DIR / "generations.json"
BASE_PLACEHOLDER = b"{{BASE}}"
NOT_FOUND_PAGE = "/404.html"
GBK_PREFIXES = ("/county/",)
COMPRESSIBLE = frozenset({".html", ".xml", ".txt"})
CONTENT_TYPES = {
    ".html": "text/html",
    ".xml": "application/xml",
    ".txt": "text/plain",
}
FEED_PATHS = frozenset({"/feed.xml"})


@dataclass(frozen=True)
class RequestLogEntry:
    """One request the demo server answered."""

    path: str  # as requested, query included
    method: str
    status: int
    if_none_match: str | None
    if_modified_since: str | None
    accept_encoding: str | None
    authorization: bool  # an Authorization header was present (its value is not kept)
    user_agent: str | None
    content_encoding: str | None  # "gzip" when the body was sent compressed


@dataclass(frozen=True)
class SiteFile:
    body: bytes  # as stored, before {{BASE}} substitution
    last_modified: datetime


def _read_tree(root: Path) -> dict[str, bytes]:
    if not root.is_dir():
        raise FileNotFoundError(f"demo site folder {root} is missing; run python -m crawler.demo.build_site")
    return {
        "/" + f.relative_to(root).as_posix(): f.read_bytes() for f in root.rglob("*") if f.is_file()
    }


@cache
def _manifest() -> dict[int, dict[str, object]]:
    try:
        data = json.loads(MANIFEST_FILE.read_text(encoding="utf-8"))
        return {int(g): spec for g, spec in data["generations"].items()}
    except (OSError, ValueError, KeyError) as exc:
        raise RuntimeError(f"{MANIFEST_FILE}: unreadable demo manifest ({exc})") from exc


def max_generation() -> int:
    return max(_manifest())


@cache
def site_files(generation: int) -> dict[str, SiteFile]:
    """The files served in one generation: site path → body and Last-Modified."""
    manifest = _manifest()
    if generation not in manifest:
        raise ValueError(f"demo generation {generation} does not exist (have {sorted(manifest)})")
    files: dict[str, SiteFile] = {}
    for g in range(1, generation + 1):
        spec = manifest[g]
        stamp = GENERATION_DATES[g]
        for path in spec.get("removed", []):  # type: ignore[union-attr]
            files.pop(str(path), None)
        for path, body in _read_tree(DEMO_DIR / str(spec["overlay"])).items():
            files[path] = SiteFile(body, stamp)
    return files


def article_paths(generation: int = 1) -> list[str]:
    """URL paths of every article page in a generation, newest first."""
    if generation not in _manifest():
        raise ValueError(f"demo generation {generation} does not exist (have {sorted(_manifest())})")
    return [s.path for s in stories_in(generation)]


def content_type(path: str) -> str:
    suffix = PurePosixPath(path).suffix
    if path in FEED_PATHS:
        return "application/rss+xml; charset=utf-8"
    mime = CONTENT_TYPES.get(suffix, "application/octet-stream")
    if path.startswith(GBK_PREFIXES) and suffix == ".html":
        return f"{mime}; charset=gb2312"
    return f"{mime}; charset=utf-8"


def resolve(raw_path: str) -> str | None:
    """Map a request target to a site path, or None when it is malformed or leaves the site.

    ``..`` and ``.`` segments (also percent-encoded), backslashes and NULs are refused outright
    rather than normalised, so nothing can resolve outside the site.
    """
    path = unquote(urlsplit(raw_path).path)
    if not path.startswith("/") or "\\" in path or "\x00" in path:
        return None
    if any(seg in ("..", ".") for seg in path.split("/")):
        return None
    return path + "index.html" if path.endswith("/") else path


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    wanted = etag.strip('"').removesuffix("-gz")
    for tag in header.split(","):
        tag = tag.strip().removeprefix("W/").strip('"').removesuffix("-gz")
        if tag == wanted:
            return True
    return False


class DemoServer:
    """The demo site on ``host:port`` (port 0: any free port), served from a daemon thread."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, generation: int = 1, gzip: bool = True
    ) -> None:
        self._host = host
        self._port = port
        self._gzip = gzip
        self._lock = threading.Lock()
        self._requests: list[RequestLogEntry] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._files: dict[str, SiteFile] = {}
        self.set_generation(generation)

    # ── lifecycle ──
    def start(self) -> DemoServer:
        if self._httpd is not None:
            raise RuntimeError("demo server already started")
        handler = type("DemoRequestHandler", (_DemoRequestHandler,), {"demo": self})
        self._httpd = ThreadingHTTPServer((self._host, self._port), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name=f"demo-server-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ── state ──
    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("demo server not started")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def requests(self) -> list[RequestLogEntry]:
        """A copy of the request log, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def set_generation(self, n: int) -> None:
        """Serve generation ``n`` from the next request on (ValueError if it does not exist)."""
        files = site_files(n)
        with self._lock:
            self._generation = n
            self._files = files

    def url(self, path: str) -> str:
        return self.base_url + path

    # ── used by the handler ──
    def _record(self, entry: RequestLogEntry) -> None:
        with self._lock:
            self._requests.append(entry)

    def _lookup(self, path: str) -> SiteFile | None:
        with self._lock:
            return self._files.get(path)

    def _body(self, site_file: SiteFile) -> bytes:
        return site_file.body.replace(BASE_PLACEHOLDER, self.base_url.encode("ascii"))


class _DemoRequestHandler(BaseHTTPRequestHandler):
    demo: DemoServer  # set on the per-server subclass
    protocol_version = "HTTP/1.1"
    server_version = "healthcrawl-demo/1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Silent: the request log is ``DemoServer.requests``."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._serve(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(send_body=False)

    def _serve(self, *, send_body: bool) -> None:
        demo = self.demo
        path = resolve(self.path)
        site_file = demo._lookup(path) if path else None
        status = 200
        if site_file is None and path and not path.endswith("/index.html"):
            if demo._lookup(path + "/index.html") is not None:  # a folder without its slash
                self._respond(301, b"", {"Location": path + "/"}, send_body, None)
                return
        if site_file is None or path is None:
            status = 404
            path = NOT_FOUND_PAGE
            site_file = demo._lookup(NOT_FOUND_PAGE) or SiteFile(b"not found", GENERATION_DATES[1])
        body = demo._body(site_file)
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {
            "Content-Type": content_type(path),
            "Last-Modified": format_datetime(site_file.last_modified, usegmt=True),
        }
        compressible = PurePosixPath(path).suffix in COMPRESSIBLE
        if status == 200:
            headers["ETag"] = etag
            if self._not_modified(etag, site_file.last_modified):
                self._respond(304, b"", headers, send_body, None)
                return
        encoding = None
        if compressible:
            headers["Vary"] = "Accept-Encoding"
            if demo._gzip and self._accepts_gzip():
                body = gziplib.compress(body, mtime=0)
                encoding = "gzip"
                headers["Content-Encoding"] = "gzip"
                if "ETag" in headers:
                    headers["ETag"] = etag[:-1] + '-gz"'
        self._respond(status, body, headers, send_body, encoding)

    def _accepts_gzip(self) -> bool:
        header = self.headers.get("Accept-Encoding", "")
        for part in header.split(","):
            name, _, params = part.strip().partition(";")
            if name.strip().lower() in ("gzip", "x-gzip", "*"):
                q = params.strip()
                if not q.startswith("q="):
                    return True
                try:
                    return float(q[2:]) > 0
                except ValueError:
                    return False
        return False

    def _not_modified(self, etag: str, last_modified: datetime) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return _etag_matches(inm, etag)
        ims = self.headers.get("If-Modified-Since")
        if ims is not None:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=timezone.utc)
            return last_modified <= since
        return False

    def _respond(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str],
        send_body: bool,
        encoding: str | None,
    ) -> None:
        # recorded before the first byte goes out, so a client that has its answer sees it logged
        self.demo._record(
            RequestLogEntry(
                path=self.path,
                method=self.command,
                status=status,
                if_none_match=self.headers.get("If-None-Match"),
                if_modified_since=self.headers.get("If-Modified-Since"),
                accept_encoding=self.headers.get("Accept-Encoding"),
                authorization="Authorization" in self.headers,
                user_agent=self.headers.get("User-Agent"),
                content_encoding=encoding,
            )
        )
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and status != 304:
            self.wfile.write(body)


def serve_forever(port: int, host: str = "127.0.0.1", *, generation: int = 1) -> None:
    """Serve the demo site until Ctrl-C (``healthcrawl serve-demo --port P``), and the CMS
    fixture sites of ``crawler.demo.cms_sites`` next to it, family i on port P+1+i (a free
    port when that one is taken or P is 0), for ``healthcrawl probe`` and ``healthcrawl crawl``."""
    from crawler.demo.cms_sites import FAMILIES, CmsSite

    server = DemoServer(host, port, generation=generation).start()
    print(f"demo site (generation {generation}) at {server.base_url}/", flush=True)
    sites = []
    for n, family in enumerate(FAMILIES):
        try:
            sites.append(CmsSite(family, host, port + 1 + n if port else 0))
        except OSError:   # that port is taken: any free one (the printed URL says which)
            sites.append(CmsSite(family, host, 0))
    for site in sites:
        print(f"  CMS fixture {site.family.name:<10} listing {site.base_url}{site.family.listing}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        for site in sites:
            site.close()
        server.stop()

"""`healthcrawl probe URL_OR_SOURCE`: check a real source before trusting its spec.

The target is a listing URL, the name of a source spec (each of its `[[listing]]` entries is
probed with the entry's `article_links`, `pagination` and `max_pages`), a saved listing page
(`--url` gives the URL it was fetched from) or a WARC file / folder of WARCs (pages are read
from the archive; `--url` picks the listing, default the first archived HTML page). For each
listing it prints what `spiders.pagination.discover` reads — the detected CMS family, the
pagination scheme, the article links found on each page, the pages it would follow — and the
first article's title, date and the start of its text (the same extraction as a harvest),
and suggests an `article_links` regex when none is given.

It follows up to `--max-pages` listing pages (default: the entry's `max_pages`, else 3) one
at a time like the spider, with plain GET requests, an honest User-Agent, the host's
robots.txt, `--delay` seconds between requests (default: the source's `download_delay`, else
1), `--timeout` seconds per request and the crawler's address guard (`--allow-private` to
reach private/loopback addresses). It writes nothing. Exit codes: 0 articles found, 1 the listing is unreachable or
shows no article link (a person must look), 2 bad arguments or an unknown source.
"""

from __future__ import annotations

import re
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from w3lib.encoding import html_to_unicode

from crawler import __version__
from spiders.pagination import Listing, discover

EXIT_OK, EXIT_FAILURES, EXIT_USAGE = 0, 1, 2
MAX_BODY = 20 * 1024 * 1024
SHOWN_LINKS = 5


class ProbeError(Exception):
    """A bad argument: one line, exit 2."""


@dataclass
class Page:
    url: str
    status: int
    content_type: str
    body: bytes


Fetch = Callable[[str], Page]


# ── where pages come from ────────────────────────────────────────────────────────────────────

class _Guard(urllib.request.HTTPRedirectHandler):
    def __init__(self, check: Callable[[str], None]) -> None:
        self.check = check

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        self.check(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class RobotsDisallowed(urllib.error.URLError):
    """robots.txt forbids the URL for our User-Agent."""


def web_fetcher(*, allow_private: bool, timeout: float, user_agent: str, delay: float = 1.0) -> Fetch:
    """GET over the network the way the crawler would: its address rule
    (`crawler.security.guard`), the host's robots.txt (Protego, Scrapy's default parser) and
    `delay` seconds between two requests."""
    from protego import Protego

    from crawler.security.guard import is_forbidden_ip

    robots: dict[str, Protego | None] = {}
    last = [0.0]

    def check(url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise urllib.error.URLError(f"not an http(s) URL: {url}")
        if allow_private:
            return
        try:
            addresses = {a[4][0] for a in socket.getaddrinfo(parts.hostname, parts.port or 80)}
        except OSError as exc:
            raise urllib.error.URLError(f"{parts.hostname}: {exc}") from exc
        bad = sorted(a for a in addresses if is_forbidden_ip(a))
        if bad or parts.hostname.lower() in ("localhost", "localhost.localdomain"):
            raise urllib.error.URLError(f"{parts.hostname} resolves to private address "
                                        f"{(bad or ['127.0.0.1'])[0]}: refused (--allow-private to allow)")

    opener = urllib.request.build_opener(_Guard(check))

    def get(url: str) -> Page:
        check(url)
        wait = last[0] + delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        request = urllib.request.Request(url, headers={"User-Agent": user_agent, "Accept-Encoding": "identity"})
        try:
            with opener.open(request, timeout=timeout) as answer:
                return Page(answer.geturl(), answer.status, answer.headers.get("Content-Type", ""),
                            answer.read(MAX_BODY))
        except urllib.error.HTTPError as exc:
            return Page(url, exc.code, exc.headers.get("Content-Type", "") if exc.headers else "", b"")
        finally:
            last[0] = time.monotonic()

    def fetch(url: str) -> Page:
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        if root not in robots:
            answer = get(root + "/robots.txt")
            robots[root] = Protego.parse(answer.body.decode("utf-8-sig", "ignore")) if answer.status == 200 else None
        rules = robots[root]
        if rules is not None and not rules.can_fetch(url, user_agent):
            raise RobotsDisallowed(f"robots.txt of {root} disallows it for {user_agent!r}")
        return get(url)

    return fetch


def archive_fetcher(paths: list[Path]) -> tuple[Fetch, list[str]]:
    """Pages from WARC files (the latest 200 response of each URL); also the archived HTML
    URLs in capture order."""
    from archive.reader import ArchivedRecord, iter_records, iter_warc_paths

    pages: dict[str, Page] = {}
    order: list[str] = []
    for warc in iter_warc_paths(paths):
        for record in iter_records(warc):
            if not isinstance(record, ArchivedRecord) or record.rec_type != "response" or record.http_status != 200:
                continue
            ctype = record.http_header("Content-Type") or ""
            pages[record.url] = Page(record.url, 200, ctype, record.payload)
            if "html" in ctype.lower() and record.url not in order and not record.url.endswith("/robots.txt"):
                order.append(record.url)

    def fetch(url: str) -> Page:
        return pages.get(url) or Page(url, 404, "", b"")

    return fetch, order


# ── what the probe reports ───────────────────────────────────────────────────────────────────

def _digits(runs: list[str]) -> str:
    """`\\d{n}` for date-like runs of one length (years, yyyymm, yyyymmdd), else `\\d+`."""
    lengths = {len(r) for r in runs}
    if len(lengths) == 1 and lengths <= {4, 6, 8} and all(re.match(r"(19|20)\d\d", r) for r in runs):
        return rf"\d{{{lengths.pop()}}}"
    return r"\d+"


def _segment(values: list[str]) -> str:
    if len(set(values)) == 1:
        return re.escape(values[0])
    if all(v.isdigit() for v in values):
        return _digits(values)
    skeletons = {re.sub(r"\d+", "0", v) for v in values}
    if len(skeletons) == 1:
        runs = [re.findall(r"\d+", v) for v in values]
        literal = re.split(r"\d+", values[0])
        out = re.escape(literal[0])
        for n, column in enumerate(zip(*runs)):
            out += re.escape(column[0]) if len(set(column)) == 1 else _digits(list(column))
            out += re.escape(literal[n + 1])
        return out
    return r"[\w.-]+" if all(re.fullmatch(r"[\w.-]+", v) for v in values) else r"[^/]+"


def suggest_article_links(articles: list[str], listings: list[str] | None = None) -> str | None:
    """A regex for the commonest shape of the candidate article URLs, path segment by path
    segment (equal parts kept, digit runs as `\\d+` or date-like `\\d{n}`), from the first
    segment that varies to the end, matching none of the listing pages; None without articles."""
    groups: dict[int, list[list[str]]] = {}
    for url in articles:
        segments = urlsplit(url).path.split("/")
        groups.setdefault(len(segments), []).append(segments)
    if not groups:
        return None
    group = max(groups.values(), key=len)
    if len(group) == 1:     # one link shows nothing varying: take its digit runs as the varying parts
        parts = [re.sub(r"\d+", lambda m: r"\d+", re.escape(seg)) for seg in group[0]]
        varying = next((n for n, seg in enumerate(group[0]) if re.search(r"\d", seg)), len(parts) - 1)
    else:
        parts = [_segment(list(column)) for column in zip(*group)]
        varying = next((n for n, column in enumerate(zip(*group)) if len(set(column)) > 1), len(parts) - 1)
    paths = ["/".join(g) for g in group]
    listing_paths = [urlsplit(u).path for u in listings or []]
    for candidate in ("/" + "/".join(parts[varying:]) + "$", "/".join(parts) + "$"):
        pattern = re.compile(candidate)
        if all(pattern.search(p) for p in paths) and not any(pattern.search(p) for p in listing_paths):
            return candidate
    return None


def _decode(page: Page) -> str:
    return html_to_unicode(page.content_type, page.body)[1] if page.body else ""


def _article_summary(page: Page) -> dict[str, str] | str:
    """Title, date and start of text of an article page (the harvest's extraction), or why not."""
    from crawler.items import Article
    from crawler.pages.process import CapturedPage, fetched_at
    from crawler.pages.sequence import StageSequence

    captured = CapturedPage(url=page.url, status=page.status, headers={"content-type": page.content_type},
                            body=page.body, fetched_at=fetched_at())
    result = StageSequence.from_defaults().extract(captured)
    if not isinstance(result, Article):
        reason, message = result
        return f"no article ({reason}: {message})"
    text = " ".join(result.text.split("\n"))
    return {"title": result.title, "date": str(result.published or "(none)"), "text": text[:160]}


def probe_listing(url: str, fetch: Fetch, *, article_links: str | None, pagination: str | None,
                  max_pages: int, out: TextIO, show_article: bool = True) -> int:
    """Walk one listing like the spider and print what it finds; the exit code."""
    host = urlsplit(url).hostname

    def in_scope(link: str) -> bool:
        h = urlsplit(link).hostname or ""
        return h == host or h.endswith("." + (host or ""))

    visited: list[str] = []
    found: list[str] = []
    results: list[Listing] = []
    next_url: str | None = url
    stopped = ""
    size = None
    page_no = 0
    while next_url and page_no < max_pages:
        page_no += 1
        visited.append(next_url)
        try:
            page = fetch(next_url)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            why = "not fetched" if isinstance(exc, RobotsDisallowed) else "unreachable"
            print(f"page {page_no}  {next_url}: {why}: {getattr(exc, 'reason', exc)}", file=out)
            stopped, next_url = f"page {page_no} {why}", None
            break
        if page.status != 200:
            print(f"page {page_no}  {next_url}: HTTP {page.status}", file=out)
            stopped, next_url = f"page {page_no} answered HTTP {page.status}", None
            break
        listing = discover(page.url, _decode(page), content_type=page.content_type, article_links=article_links,
                           pagination=pagination, entry_url=url, page=page_no, in_scope=in_scope,
                           visited=visited, page_size=size)
        size = size or listing.page_size
        results.append(listing)
        if page_no == 1:
            print(f"family   {listing.family}", file=out)
            print(f"scheme   {listing.scheme}" + (f" ({listing.total_pages} pages)" if listing.total_pages else ""),
                  file=out)
        print(f"page {page_no}  {page.url}  [{listing.kind}, HTTP {page.status}]: "
              f"{len(listing.articles)} article links", file=out)
        for link in listing.articles[:SHOWN_LINKS]:
            print(f"           {link}", file=out)
        if len(listing.articles) > SHOWN_LINKS:
            print(f"           … {len(listing.articles) - SHOWN_LINKS} more", file=out)
        for problem in listing.problems:
            print(f"           problem: {problem}", file=out)
        found += [a for a in listing.articles if a not in found]
        next_url = listing.next_url
        if listing.scheme == "template" and not listing.articles:
            break
    known = [p for r in results for p in r.pages if p not in visited]
    print(f"follows  {len(visited)} page(s) (max_pages {max_pages})"
          + (f"; next would be {next_url}" if next_url else f"; stopped: {stopped}" if stopped else "; no further page"),
          file=out)
    if known:
        print(f"known    {len(dict.fromkeys(known))} further page(s): " + ", ".join(list(dict.fromkeys(known))[:4])
              + (" …" if len(dict.fromkeys(known)) > 4 else ""), file=out)
    print(f"articles {len(found)} distinct", file=out)
    if article_links is None and found:
        suggestion = suggest_article_links(found, visited)
        if suggestion:
            matching = [a for a in found if re.search(suggestion, urlsplit(a).path)]
            print(f"suggest  article_links = '{suggestion}'  (matches {len(matching)} of them)", file=out)
            found = matching + [a for a in found if a not in matching]
    if not found:
        print("no article link found: check article_links / the listing URL", file=out)
        return EXIT_FAILURES
    if show_article:
        try:
            page = fetch(found[0])
        except (urllib.error.URLError, OSError, ValueError) as exc:
            why = "not fetched" if isinstance(exc, RobotsDisallowed) else "unreachable"
            print(f"article  {found[0]}: {why}: {getattr(exc, 'reason', exc)}", file=out)
            return EXIT_OK
        summary = _article_summary(page) if page.status == 200 else f"HTTP {page.status}"
        print(f"article  {found[0]}", file=out)
        if isinstance(summary, str):
            print(f"           {summary}", file=out)
        else:
            print(f"  title    {summary['title']}", file=out)
            print(f"  date     {summary['date']}", file=out)
            print(f"  text     {summary['text']}…", file=out)
    return EXIT_OK


def run_probe(target: str, *, url: str | None = None, article_links: str | None = None,
              pagination: str | None = None, max_pages: int | None = None, sources_dir: Path | None = None,
              allow_private: bool = False, timeout: float = 20.0, user_agent: str | None = None,
              delay: float | None = None, out: TextIO | None = None) -> int:
    """Probe a listing URL, a source, a saved page or a WARC; prints the findings (to `out`,
    default stdout), returns the exit code. Raises ProbeError for bad arguments."""
    out = out or sys.stdout
    from spiders.spec import ListingEntry, SpecError, load_specs
    from pydantic import ValidationError

    if article_links is not None:
        try:
            re.compile(article_links)
        except re.error as exc:
            raise ProbeError(f"--article-links {article_links!r}: not a valid regular expression: {exc}") from None
    if pagination is not None:
        try:
            ListingEntry(url="http://x/", pagination=pagination)
        except ValidationError as exc:
            raise ProbeError(f"--pagination {pagination!r}: {exc.errors()[0]['msg']}") from None
    agent = user_agent or f"healthcrawl/{__version__} (archival crawler for research; probe)"
    web = web_fetcher(allow_private=allow_private, timeout=timeout, user_agent=agent,
                      delay=1.0 if delay is None else delay)
    path = Path(target)
    if target.startswith(("http://", "https://")):
        print(f"listing  {target}", file=out)
        return probe_listing(target, web, article_links=article_links, pagination=pagination,
                             max_pages=max_pages or 3, out=out)
    if path.exists():
        if path.is_dir() or ".warc" in path.name:
            fetch, order = archive_fetcher([path])
            start = url or (order[0] if order else None)
            if start is None:
                print(f"{target}: no archived HTML response", file=out)
                return EXIT_FAILURES
            print(f"listing  {start}  (from {target})", file=out)
            return probe_listing(start, fetch, article_links=article_links, pagination=pagination,
                                 max_pages=max_pages or 3, out=out)
        start = url or path.resolve().as_uri().replace("file://", "http://saved.invalid")
        saved = Page(start, 200, "text/html", path.read_bytes())

        def from_file(wanted: str) -> Page:
            if wanted == start:
                return saved
            if url:
                return web(wanted)
            return Page(wanted, 404, "", b"")

        print(f"listing  {start}  (saved page {target})", file=out)
        return probe_listing(start, from_file, article_links=article_links, pagination=pagination,
                             max_pages=max_pages or (3 if url else 1), out=out, show_article=bool(url))
    try:
        specs = load_specs(sources_dir)
    except SpecError as exc:
        raise ProbeError(str(exc)) from None
    if target not in specs:
        raise ProbeError(f"{target!r} is no URL, file or source (known sources: {', '.join(sorted(specs))})")
    spec = specs[target]
    if delay is None:   # the source's own politeness
        web = web_fetcher(allow_private=allow_private, timeout=timeout, user_agent=agent,
                          delay=spec.politeness.download_delay)
    if not spec.listing:
        print(f"source   {spec.name}: no [[listing]] entry (sitemaps and feeds are not probed)", file=out)
        return EXIT_OK
    code = EXIT_OK
    for n, entry in enumerate(spec.listing):
        print(f"source   {spec.name} listing {n}: {entry.url}" + ("" if spec.verified_offline else
                                                                   "  (verified_offline = false)"), file=out)
        code = max(code, probe_listing(entry.url, web, article_links=article_links or entry.article_links,
                                       pagination=pagination or entry.pagination,
                                       max_pages=max_pages or entry.max_pages, out=out))
    return code

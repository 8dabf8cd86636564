"""The `healthcrawl` command.

    healthcrawl demo [--out DIR]                 crawl the bundled offline demo site (a harvest)
    healthcrawl serve-demo [--port P]            serve the demo site alone
    healthcrawl crawl URL… [--out DIR] [--max-pages N]   archive + extract one site, no spec
    healthcrawl harvest [--sources A,B] [--out DIR]      all enabled sources, incrementally (cron)
    healthcrawl extract FILE|- [--url URL] [--format json|txt|markdown]   the item for one saved page
    healthcrawl replay WARC_OR_DIR… --out DIR    re-extract archived responses
    healthcrawl export --format parquet|csv|sqlite ITEMS… --out FILE
    healthcrawl wacz WARC_DIR --out FILE.wacz    package WARCs for ReplayWeb.page
    healthcrawl dedup-report [--out DIR]         repost clusters
    healthcrawl sources [--sources-dir DIR]      validate and list source specs
    healthcrawl runs [--out DIR] [--last N]      the run history (runs.jsonl)
    healthcrawl status DIR                       run in progress? the last run, what failed (exit: its code)
    healthcrawl probe URL_OR_SOURCE              what a listing's pagination and articles look like

demo, crawl and harvest take `--redis-url URL --workers N`: N crawler processes share one crawl
through Redis (`crawler.distributed`), each writing into OUT/workers/<worker id>/; `--config
FILE` (default OUT/healthcrawl.toml, `crawler.runs.config`), `--wacz [FILE]` (a WACZ of the
run's WARCs afterwards), `-L LEVEL` and `--logfile FILE`. `healthcrawl --version`.
A missing extra (`[export]` for parquet, `[redis]` for --redis-url) is named, exit 2.

Exit codes: 0 done (also "skipped" when another run holds the output folder), 1 failures a
person must look at, 2 bad arguments or bad spec (nothing started), 3 interrupted.
"""

from __future__ import annotations

import os
import signal


def _stop_during_start_up(signum: int, _frame: object) -> None:
    """SIGTERM/SIGINT before a command has started anything: exit 3 at once, nothing to close
    (a crawl's own handlers take over in `crawler.runs.harvest.run_crawl`)."""
    os.write(2, f"healthcrawl: interrupted during start-up ({signal.Signals(signum).name})\n".encode())
    os._exit(3)


if __name__ == "__main__":  # before the heavy imports below
    for _signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(_signum, _stop_during_start_up)

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import sys  # noqa: E402
from pathlib import Path
from typing import Any

from crawler.items import Article
from crawler.runs.harvest import EXIT_FAILURES, EXIT_OK, EXIT_USAGE, RunOutcome
from crawler.exceptions import UsageError


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        raise UsageError(f"{self.prog}: {message}")


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {value!r}")
    return number


def _port(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 1-65535, got {value!r}")
    return number


def _port_or_zero(value: str) -> int:
    return 0 if value.strip() == "0" else _port(value)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def require_extra(module: str, extra: str, what: str) -> None:
    """Raise UsageError naming the `[extra]` to install when `module` cannot be imported."""
    import importlib

    try:
        importlib.import_module(module)
    except ImportError as exc:
        missing = getattr(exc, "name", None) or module
        raise UsageError(f"{what} needs the [{extra}] extra (module {missing!r} is missing): "
                         f"pip install 'healthcrawl[{extra}]'") from None


def _common_crawl(p: argparse.ArgumentParser, default_out: str) -> None:
    p.add_argument("--out", type=Path, default=None,
                   help=f"output folder (default: the config's `out`, else {default_out})")
    p.set_defaults(default_out=Path(default_out))
    p.add_argument("--config", type=Path, default=None,
                   help="config file (default: healthcrawl.toml in the output folder, if there): contact, "
                        "sources_dir, out, [politeness] caps, [settings]")
    p.add_argument("--allow-private", action="store_true",
                   help="allow connections to private/loopback addresses (off by default)")
    p.add_argument("--workers", type=int, default=None,
                   help="extraction worker processes (default: setting EXTRACT_WORKERS); with --redis-url: crawler processes")
    p.add_argument("--redis-url", default=None, help="share the crawl through Redis (scrapy-redis)")
    p.add_argument("--wacz", nargs="?", const="", default=None, metavar="FILE.wacz",
                   help="afterwards, package the run's WARCs as a WACZ (default: OUT/<folder name>.wacz)")
    _settings_option(p)


def _settings_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override a setting (any of crawler/settings.py or Scrapy's)")
    p.add_argument("-L", "--loglevel", type=str.upper, choices=LOG_LEVELS, default=None,
                   help="log level (default: setting LOG_LEVEL, WARNING; INFO shows Scrapy's own log)")
    p.add_argument("--logfile", type=Path, default=None,
                   help="write the log to this file (appended; its folder is created) instead of stderr")


def build_parser() -> argparse.ArgumentParser:
    from crawler import __version__

    parser = _Parser(prog="healthcrawl", description="Archival crawler for regional Chinese health news.")
    parser.add_argument("--version", action="version", version=f"healthcrawl {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("demo", help="crawl the bundled offline demo site")
    _common_crawl(p, "demo-output")
    p.add_argument("--port", type=_port, default=None,
                   help="port of the demo server (default: the one remembered in the output folder, else 8765 "
                        "or a free one); URLs, and with them the seen-store, depend on it")
    p.add_argument("--generation", type=int, default=1, help=argparse.SUPPRESS)

    p = sub.add_parser("serve-demo", help="serve the demo site on 127.0.0.1")
    p.add_argument("--port", type=_port_or_zero, default=8765, help="port (default 8765; 0: a free one)")
    p.add_argument("--generation", type=int, default=1)

    p = sub.add_parser("crawl", help="archive and extract a site from start URLs")
    p.add_argument("urls", nargs="+")
    p.add_argument("--max-pages", type=_positive, default=200)
    _common_crawl(p, "output")

    p = sub.add_parser("harvest", help="harvest all enabled sources incrementally")
    p.add_argument("--sources", default=None, help="comma-separated source names (default: all enabled)")
    p.add_argument("--sources-dir", type=Path, default=None)
    _common_crawl(p, "output")

    p = sub.add_parser("extract", help="print the item for one saved page")
    p.add_argument("file", help="saved page; - reads standard input")
    p.add_argument("--url", default=None,
                   help="URL the page was fetched from (default: its canonical/og:url, else the file)")
    p.add_argument("--format", choices=("json", "txt", "markdown"), default="json",
                   help="json: the whole item (default); txt: the text only; markdown: headline, facts, text")
    _settings_option(p)

    p = sub.add_parser("replay", help="re-extract archived responses from WARC files")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--workers", type=int, default=None,
                   help="extraction processes (default: setting EXTRACT_WORKERS, -1 = one per CPU; 0: in this process)")
    p.add_argument("--max-body", type=_positive, default=None, metavar="BYTES",
                   help="cap on a decompressed archived body (default: setting DOWNLOAD_MAXSIZE, 50 MiB)")
    _settings_option(p)

    p = sub.add_parser("export", help="export items to parquet, csv or sqlite")
    p.add_argument("items", nargs="+", type=Path)
    p.add_argument("--format", choices=["parquet", "csv", "sqlite"], required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--since", type=_date, default=None, metavar="YYYY-MM-DD",
                   help="only items published on or after this date (items without a date are left out)")
    p.add_argument("--source", default=None, metavar="A,B", help="only items of these sources (source_name or site)")
    p.add_argument("--no-reposts", action="store_true", help="leave out items that are reposts (duplicate_of set)")
    p.add_argument("--bom", action="store_true", help="csv: start with a UTF-8 byte order mark (for Excel)")

    p = sub.add_parser("wacz", help="package a crawl's WARCs as a WACZ for ReplayWeb.page")
    p.add_argument("warc_dir", type=Path, nargs="+", help="WARC folders (several: the workers of one crawl)")
    p.add_argument("--out", type=Path, required=True, help="the .wacz file to write")
    p.add_argument("--title", default="healthcrawl crawl")

    p = sub.add_parser("dedup-report", help="print repost clusters")
    p.add_argument("--out", type=Path, default=Path("output"))

    p = sub.add_parser("runs", help="the run history of an output folder (runs.jsonl)")
    p.add_argument("--out", type=Path, default=Path("output"), help="output folder (default: output)")
    p.add_argument("--last", type=_positive, default=None, metavar="N", help="only the last N runs")

    p = sub.add_parser("status", help="is a run in progress, how did the last one end, what failed")
    p.add_argument("out", type=Path, help="output folder")

    p = sub.add_parser("sources", help="validate and list source specs")
    p.add_argument("--sources-dir", type=Path, default=None)

    p = sub.add_parser("probe", help="check a listing (URL, source, saved page or WARC) before trusting it")
    p.add_argument("target", help="listing URL, source name, saved page or WARC file/folder")
    p.add_argument("--url", default=None, help="the URL a saved page came from / the listing to pick in a WARC")
    p.add_argument("--article-links", default=None, help="regex an article URL must match (default: the spec's)")
    p.add_argument("--pagination", default=None, help="family or URL template (default: the spec's, else auto)")
    p.add_argument("--max-pages", type=_positive, default=None, help="listing pages to follow (default: spec's, else 3)")
    p.add_argument("--sources-dir", type=Path, default=None)
    p.add_argument("--timeout", type=float, default=20.0, help="seconds per request")
    p.add_argument("--delay", type=float, default=None, help="seconds between requests (default: the source's, else 1)")
    p.add_argument("--allow-private", action="store_true",
                   help="allow connections to private/loopback addresses (off by default)")
    return parser


def _configure(args: argparse.Namespace) -> None:
    """Resolve `--config` / `OUT/healthcrawl.toml`: the output folder, the sources folder and
    the config's settings (`args.config_settings`, below `-s` in `_overrides`)."""
    from crawler.runs.config import find_config

    if not hasattr(args, "config"):
        return
    config = find_config(args.config, args.out or args.default_out)
    args.out = args.out or config.out or args.default_out
    args.config_settings = config.settings
    if getattr(args, "sources_dir", "absent") is None and "SOURCES_DIR" in config.settings:
        args.sources_dir = Path(config.settings["SOURCES_DIR"])


def _warn_placeholder_contact(overrides: dict[str, Any]) -> None:
    from crawler.runs.config import placeholder_contact

    contact = overrides.get("HEALTHCRAWL_CONTACT") or placeholder_contact()
    if contact == placeholder_contact():
        print(f"healthcrawl: warning: the operator contact is still the placeholder {contact}: set `contact` in "
              f"healthcrawl.toml (or -s HEALTHCRAWL_CONTACT=mailto:you@example.org) so site owners can reach you",
              file=sys.stderr)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = dict(getattr(args, "config_settings", {}))
    for item in getattr(args, "set", []) or []:
        if "=" not in item:
            raise UsageError(f"healthcrawl: -s expects NAME=VALUE, got {item!r}")
        name, value = item.split("=", 1)
        overrides[name.strip()] = value
    if getattr(args, "allow_private", False):
        overrides["GUARD_ALLOW_PRIVATE"] = True
    if getattr(args, "loglevel", None):
        overrides["LOG_LEVEL"] = args.loglevel
    if getattr(args, "logfile", None):
        try:
            args.logfile.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"healthcrawl: cannot create the folder of --logfile {args.logfile}: {exc.strerror}") from None
        overrides["LOG_FILE"] = str(args.logfile)
    if getattr(args, "redis_url", None):
        for module in ("redis", "scrapy_redis"):
            require_extra(module, "redis", f"healthcrawl {args.command} --redis-url")
    if getattr(args, "workers", None) is not None and not getattr(args, "redis_url", None):
        overrides["EXTRACT_WORKERS"] = args.workers
    return overrides


def _finish(outcome: RunOutcome, args: argparse.Namespace | None = None) -> int:
    print(outcome.summary.rstrip())
    if args is not None and getattr(args, "wacz", None) is not None and not outcome.skipped:
        return max(outcome.exit_code, _run_wacz(args))
    return outcome.exit_code


def _run_wacz(args: argparse.Namespace) -> int:
    """`--wacz [FILE]`: package the run's WARC folders (its workers' too) into one WACZ
    (default OUT/<folder name>.wacz) with `crawler.store.wacz`."""
    from crawler.store.wacz import package_wacz

    out: Path = args.out
    target = Path(args.wacz) if args.wacz else out / f"{out.resolve().name}.wacz"
    dirs = [d for d in [out / "warc", *sorted(out.glob("workers/*/warc"))] if d.is_dir()]
    if not dirs:
        print(f"healthcrawl {args.command} --wacz: no WARC folder in {out}", file=sys.stderr)
        return EXIT_FAILURES
    try:
        result = package_wacz(dirs, target, title=f"healthcrawl {args.command} {out.resolve().name}")
    except (ValueError, FileNotFoundError) as exc:
        print(f"healthcrawl {args.command} --wacz: {exc}", file=sys.stderr)
        return EXIT_FAILURES
    return _wacz_written(result)


def cmd_demo(args: argparse.Namespace) -> int:
    from crawler.runs.demo import run_demo

    return _finish(run_demo(args.out, overrides=_overrides(args), generation=args.generation,
                            redis_url=args.redis_url, workers=args.workers, port=args.port), args)


def cmd_serve_demo(args: argparse.Namespace) -> int:
    from crawler.demo.server import serve_forever

    try:
        serve_forever(args.port)
    except OSError as exc:
        raise UsageError(f"healthcrawl serve-demo: cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc} "
                         f"(choose another --port, or 0 for a free one)") from None
    return EXIT_OK


def cmd_crawl(args: argparse.Namespace) -> int:
    from crawler.runs.harvest import run_crawl
    from spiders.spec import SpecError, adhoc_spec

    try:
        adhoc_spec(args.urls, max_pages=args.max_pages)
    except SpecError as exc:
        raise UsageError(f"healthcrawl crawl: {exc}") from None
    overrides = _overrides(args)
    _warn_placeholder_contact(overrides)
    overrides.setdefault("CRAWL_MAX_PAGES", args.max_pages)
    overrides.setdefault("DOWNLOAD_DELAY", 0.25)
    spider_kwargs = {"urls": " ".join(args.urls), "max_pages": args.max_pages}
    if args.redis_url:
        return _finish(_run_distributed(args, spider_kwargs, overrides, "crawl"), args)
    outcome = run_crawl(out_dir=args.out, spider_kwargs=spider_kwargs, overrides=overrides, kind="crawl")
    return _finish(outcome, args)


def cmd_harvest(args: argparse.Namespace) -> int:
    from crawler.runs.harvest import run_crawl
    from spiders.spec import SpecError, load_specs, select_specs

    overrides = _overrides(args)
    try:
        select_specs(load_specs(args.sources_dir or overrides.get("SOURCES_DIR")), args.sources)
    except SpecError as exc:
        raise UsageError(str(exc)) from None
    _warn_placeholder_contact(overrides)
    kwargs: dict[str, Any] = {"source": args.sources}
    if args.sources_dir:
        kwargs["sources_dir"] = str(args.sources_dir)
    if args.redis_url:
        return _finish(_run_distributed(args, kwargs, overrides, "harvest"), args)
    return _finish(run_crawl(out_dir=args.out, spider_kwargs=kwargs, overrides=overrides, kind="harvest"), args)


def _run_distributed(args: argparse.Namespace, spider_kwargs: dict[str, Any], overrides: dict[str, Any],
                     kind: str) -> RunOutcome:
    """`--redis-url`: `--workers` crawler processes (default 1) share the crawl through Redis."""
    from crawler.runs.workers import run_workers

    return run_workers(args.out, redis_url=args.redis_url, workers=args.workers or 1, spider_kwargs=spider_kwargs,
                       overrides=overrides, kind=kind)


def cmd_extract(args: argparse.Namespace) -> int:
    from crawler.pages.process import CapturedPage, fetched_at
    from crawler.pages.sequence import CountingStats, StageSequence
    from crawler.extract.identity import BadUrl, page_identity, render
    from crawler.runs.config import build_settings

    source = None if args.file == "-" else Path(args.file)
    try:
        body = sys.stdin.buffer.read() if source is None else source.read_bytes()
    except OSError as exc:
        raise UsageError(f"healthcrawl extract: cannot read {args.file}: {exc.strerror}") from None
    try:
        url, _ = page_identity(body, given=args.url, source=source)
    except BadUrl as exc:
        raise UsageError(f"healthcrawl extract: {exc}") from None
    page = CapturedPage(url=url, status=200, headers={}, body=body,
                        fetched_at=fetched_at())
    sequence = StageSequence(build_settings(Path("output"), _overrides(args)), CountingStats())
    result = sequence.extract(page)
    if not isinstance(result, Article):
        reason, message = result
        print(f"healthcrawl extract: {args.file}: no article ({reason}: {message})", file=sys.stderr)
        return EXIT_FAILURES
    print(render(result, args.format))
    return EXIT_OK


def cmd_replay(args: argparse.Namespace) -> int:
    from crawler.runs.replay import run_replay

    return run_replay(args.paths, args.out, workers=args.workers, max_body=args.max_body, overrides=_overrides(args))


def cmd_export(args: argparse.Namespace) -> int:
    from crawler.store.export import ExportFilter, export

    missing = [str(p) for p in args.items if not p.is_file()]
    if missing:
        raise UsageError(f"healthcrawl export: no such items file: {', '.join(missing)}")
    if args.format == "parquet":
        require_extra("pyarrow.parquet", "export", "healthcrawl export --format parquet")
    if args.out.is_dir():
        raise UsageError(f"healthcrawl export: --out {args.out} is a folder; give the file to write")
    if args.bom and args.format != "csv":
        raise UsageError(f"healthcrawl export: --bom is for --format csv, not {args.format}")
    sources = {name.strip() for name in args.source.split(",") if name.strip()} if args.source else None
    keep = ExportFilter(since=args.since, sources=sources, no_reposts=args.no_reposts)
    try:
        count = export(list(args.items), args.format, args.out, keep=keep, bom=args.bom)
    except OSError as exc:
        raise UsageError(f"healthcrawl export: cannot write {args.out}: {exc.strerror or exc}") from None
    print(f"exported {count} items to {args.out}")
    return EXIT_OK


def cmd_wacz(args: argparse.Namespace) -> int:
    from crawler.store.wacz import package_wacz

    try:
        result = package_wacz(args.warc_dir, args.out, title=args.title)
    except (ValueError, FileNotFoundError) as exc:
        raise UsageError(f"healthcrawl wacz: {exc}") from None
    return _wacz_written(result)


def _wacz_written(result: Any) -> int:
    """Print what a WACZ holds (and the records left out of its index: exit 1)."""
    print(f"wrote {result.path}: {result.files} archive files, {result.index_lines} index lines, "
          f"{result.pages} pages")
    if result.left_out:
        count = len(result.left_out)
        print(f"healthcrawl wacz: {count} record{'s' if count != 1 else ''} left out of the index:", file=sys.stderr)
        for damage in result.left_out:
            print(f"  {damage.where()}: {damage.reason}", file=sys.stderr)
        return EXIT_FAILURES
    return EXIT_OK


def cmd_dedup_report(args: argparse.Namespace) -> int:
    from crawler.dedup import dedup_report

    try:
        print(dedup_report(args.out))
    except FileNotFoundError as exc:
        raise UsageError(f"healthcrawl dedup-report: {exc} (is --out {args.out} a crawl's output folder?)") from None
    return EXIT_OK


def cmd_runs(args: argparse.Namespace) -> int:
    from crawler.runs.status import runs_table

    print(runs_table(args.out, args.last))
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from crawler.runs.status import status_text

    text, code = status_text(args.out)
    print(text)
    return code


def cmd_sources(args: argparse.Namespace) -> int:
    from spiders.spec import SpecError, load_specs

    try:
        specs = load_specs(args.sources_dir)
    except SpecError as exc:
        raise UsageError(str(exc)) from None
    for spec in specs.values():
        flags = ("enabled" if spec.enabled else "disabled") + ("" if spec.verified_offline else ", not verified offline")
        kinds = ",".join(k for k in ("listing", "sitemap", "feed") if getattr(spec, k))
        print(f"{spec.name:<32} {spec.region.province}{spec.region.city or ''}{spec.region.county or ''}  "
              f"[{kinds}] ({flags})  {spec.title}")
    print(f"{len(specs)} source specs valid")
    return EXIT_OK


def cmd_probe(args: argparse.Namespace) -> int:
    from spiders.probe import ProbeError, run_probe

    try:
        return run_probe(args.target, url=args.url, article_links=args.article_links, pagination=args.pagination,
                         max_pages=args.max_pages, sources_dir=args.sources_dir, allow_private=args.allow_private,
                         timeout=args.timeout, delay=args.delay)
    except ProbeError as exc:
        raise UsageError(f"healthcrawl probe: {exc}") from None


COMMANDS = {
    "demo": cmd_demo, "serve-demo": cmd_serve_demo, "crawl": cmd_crawl, "harvest": cmd_harvest,
    "extract": cmd_extract, "replay": cmd_replay, "export": cmd_export, "wacz": cmd_wacz, "dedup-report": cmd_dedup_report,
    "sources": cmd_sources, "probe": cmd_probe, "runs": cmd_runs, "status": cmd_status,
}


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command not in ("crawl", "harvest", "demo") \
                and signal.getsignal(signal.SIGTERM) is _stop_during_start_up:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)   # other commands: the usual behaviour
            signal.signal(signal.SIGINT, signal.default_int_handler)
        _configure(args)
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("healthcrawl: interrupted", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())

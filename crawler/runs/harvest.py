"""Runs one crawl in this process: the settings, the lock, the report.

`run_crawl()` is what `healthcrawl crawl`, `harvest` and `demo` call: it takes the output
folder's lock (`crawler.runs.lock`), builds Scrapy settings from `crawler.settings` plus the
command's overrides, runs the `news` spider through Scrapy's `CrawlerProcess`, then writes the
run report (`crawler.report.run`) and returns an exit code:
0 finished (or skipped: another run holds the lock), 1 failures a person must look at
(storage error, spider exceptions, nothing reachable), 2 an output folder that cannot be used
(read-only, a file, no permission on a parent), 3 interrupted (SIGTERM/SIGINT).

Signals, at every phase of a run (see docs/faults.md):
- during start-up (before the crawl runs) a SIGTERM/SIGINT stops the run at once: exit 3;
- during the crawl the first one stops it gracefully (Scrapy's close reason `shutdown`: WARC
  files closed and indexed, the report written); a second one forces Scrapy's reactor to stop,
  after which the WARC writer is still closed here (or, if that cannot be done, its `.open`
  file is recovered by the next run): exit 3 either way;
- during the report phase a first signal lets the report finish (exit 3), a second stops it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import sqlite3
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from scrapy.crawler import CrawlerProcess

from crawler.extensions.source_stats import SourceStatsExtension
from crawler.runs.config import build_settings
from crawler.runs.lock import LockHeld, output_lock

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 3

SHUTDOWN_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Interrupted(BaseException):
    """A shutdown signal arrived where the run cannot stop gracefully (start-up, or a second
    signal in the report phase). A BaseException, like KeyboardInterrupt, so that no
    `except Exception` on the way swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass
class RunOutcome:
    exit_code: int
    skipped: bool = False
    stats: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
    report_paths: list[Path] = field(default_factory=list)


def exit_code_for(stats: dict[str, Any]) -> int:
    """The exit code a finished crawl's stats call for (signals are counted by `run_crawl`)."""
    reason = stats.get("finish_reason")
    if stats.get("store/error") or reason == "store-error":
        return EXIT_FAILURES
    if reason in ("shutdown", "cancelled"):
        return EXIT_INTERRUPTED
    if stats.get("spider_exceptions/count") or stats.get("log_count/CRITICAL"):  # Scrapy's key
        return EXIT_FAILURES
    if stats.get("response_received_count", 0) == 0 and not stats.get("distributed/worker"):
        return EXIT_FAILURES  # (one worker of a distributed crawl may get no work: the launcher checks the sum)
    return EXIT_OK


class _Signals:
    """The shutdown signals this run received, and the handlers of the phases outside Scrapy's
    reactor. `raise_after` signals are tolerated before `Interrupted` is raised."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self.raise_after: int | None = 0
        self._previous: dict[int, Any] = {}

    def install(self, raise_after: int | None) -> None:
        """Handle SIGTERM/SIGINT here: record each, raise `Interrupted` once more than
        `raise_after` arrived in this phase (None: only record them — inside Scrapy's start-up,
        whose Deferreds would swallow the exception; the caller looks at safe points)."""
        self.raise_after = None if raise_after is None else len(self.received) + raise_after
        for signum in SHUTDOWN_SIGNALS:
            previous = signal.signal(signum, self._handle)
            self._previous.setdefault(signum, previous)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.received.append(signum)
        if self.raise_after is not None and len(self.received) > self.raise_after:
            raise Interrupted(signum)

    def restore(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()

    @property
    def name(self) -> str:
        return signal.Signals(self.received[-1]).name if self.received else ""


class _CountingCrawlerProcess(CrawlerProcess):
    """Scrapy's CrawlerProcess, noting each shutdown signal before Scrapy's own handling
    (graceful stop on the first, reactor stop on the second)."""

    def __init__(self, settings: Any, signals_seen: _Signals) -> None:
        super().__init__(settings)
        self._signals_seen = signals_seen

    def _signal_shutdown(self, signum: int, frame: Any) -> None:
        self._signals_seen.received.append(signum)
        super()._signal_shutdown(signum, frame)

    def _signal_kill(self, signum: int, frame: Any) -> None:
        self._signals_seen.received.append(signum)
        super()._signal_kill(signum, frame)


def _usable_output(out_dir: Path) -> str | None:
    """None when `out_dir` can hold a run, else one line saying why not."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        return f"healthcrawl: output folder {out_dir} is a file, not a folder"
    except OSError as exc:
        return f"healthcrawl: cannot create output folder {out_dir}: {exc.strerror or exc}"
    if not out_dir.is_dir():
        return f"healthcrawl: output folder {out_dir} is not a folder"
    for sub in ("", "warc"):
        folder = out_dir / sub if sub else out_dir
        if folder.exists() and not folder.is_dir():
            return f"healthcrawl: {folder} is a file, not a folder"
        if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
            return f"healthcrawl: output folder {folder} is not writable (permission denied)"
    return None


def _close_left_open(crawler: Any) -> None:
    """After a forced stop (second signal) Scrapy never closed the spider: close the WARC
    writer and the stores here; what cannot be closed is recovered by the next run."""
    from crawler.extensions.run_state import RunStateExtension

    extension = crawler.get_extension(RunStateExtension) if crawler is not None else None
    if extension is None:
        return
    try:
        extension.state.close(finished=False, wait_index=False)
    except Exception as exc:  # noqa: BLE001 - the next run recovers an .open file
        logger.error("healthcrawl: could not close the archive after a forced stop (%s: %s); "
                     "the next run recovers it", type(exc).__name__, exc)


def run_crawl(*, out_dir: Path, spider_kwargs: dict[str, Any], overrides: dict[str, Any] | None = None,
              kind: str = "crawl", take_lock: bool = True) -> RunOutcome:
    """Run the `news` spider once into `out_dir` (see module docstring for exit codes and
    signals). `take_lock=False` when the caller already holds the output folder's lock."""
    signals_seen = _Signals()
    signals_seen.install(raise_after=0)   # start-up: stop at once
    try:
        return _run(out_dir, spider_kwargs, overrides, kind, take_lock, signals_seen)
    except Interrupted as exc:
        return RunOutcome(EXIT_INTERRUPTED, summary=f"healthcrawl: interrupted ({exc}); nothing was lost: "
                                                    "the next run continues where this one stopped")
    finally:
        signals_seen.restore()


def _run(out_dir: Path, spider_kwargs: dict[str, Any], overrides: dict[str, Any] | None, kind: str,
         take_lock: bool, signals_seen: _Signals) -> RunOutcome:
    from crawler.report.run import write_run_report
    from spiders.news import NewsSpider

    problem = _usable_output(out_dir)
    if problem is not None:
        return RunOutcome(EXIT_USAGE, summary=problem)
    try:
        lock = output_lock(out_dir) if take_lock else nullcontext(out_dir)
        lock.__enter__()
    except LockHeld as exc:
        return RunOutcome(EXIT_OK, skipped=True, summary=f"skipped: {exc}")
    except OSError as exc:
        return RunOutcome(EXIT_USAGE, summary=f"healthcrawl: cannot use output folder {out_dir}: "
                                              f"{exc.strerror or exc}")
    try:
        started = dt.datetime.now(dt.timezone.utc)
        t0 = time.monotonic()
        settings = build_settings(out_dir, overrides)
        if settings.get("REDIS_URL"):
            from crawler.distributed.connection import RedisUnavailable, check_reachable

            try:
                check_reachable(settings["REDIS_URL"])
            except RedisUnavailable as exc:
                return RunOutcome(EXIT_FAILURES, summary=f"healthcrawl: {exc}")
        items_path = out_dir / settings.get("STORE_ITEMS_FILE")
        items_offset = items_path.stat().st_size if items_path.is_file() else 0
        signals_seen.install(raise_after=None)   # Scrapy's start-up: record, act below
        process = _CountingCrawlerProcess(settings, signals_seen)
        crawler = process.create_crawler(NewsSpider)
        process.crawl(crawler, **spider_kwargs)
        if signals_seen.received:   # the reactor has not run: nothing was fetched or written
            raise Interrupted(signals_seen.received[-1])
        from twisted.internet import reactor

        def stop_if_signalled() -> None:   # a signal between here and Scrapy's handlers
            if signals_seen.received:
                process.stop()

        reactor.callWhenRunning(stop_if_signalled)
        before = len(signals_seen.received)
        process.start()   # Scrapy's handlers replace ours while the reactor runs
        forced = len(signals_seen.received) - before >= 2
        signals_seen.install(raise_after=1)   # report phase: finish the report on a first signal
        if forced:
            _close_left_open(crawler)
        stats = dict(crawler.stats.get_stats() if crawler.stats else {})
        sources = crawler.get_extension(SourceStatsExtension)
        failures = sources.examples if sources is not None else {}
        code = exit_code_for(stats)
        if signals_seen.received and code != EXIT_FAILURES:
            code = EXIT_INTERRUPTED
        if forced:
            stats.setdefault("finish_reason", "shutdown")
        logger.info("writing the run report")
        try:
            paths, summary = write_run_report(
                out_dir, kind=kind, stats=stats, failures=failures, started=started,
                seconds=time.monotonic() - t0, exit_code=code, items_offset=items_offset,
                items_file=settings.get("STORE_ITEMS_FILE"),
            )
        except (OSError, sqlite3.Error) as exc:   # disk full, I/O error: one line, exit 1
            where = f" {exc.filename}" if getattr(exc, "filename", None) else f" in {out_dir}"
            why = getattr(exc, "strerror", None) or exc
            said = stats.get("store/error")   # the crawl's storage failure, already named in one line
            return RunOutcome(EXIT_FAILURES, stats=stats,
                              summary="" if said else f"healthcrawl: writing the run report{where} failed: {why}")
        if signals_seen.received:
            code = EXIT_FAILURES if code == EXIT_FAILURES else EXIT_INTERRUPTED
        return RunOutcome(code, stats=stats, summary=summary, report_paths=paths)
    finally:
        lock.__exit__(None, None, None)

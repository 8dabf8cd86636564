"""`healthcrawl runs` and `healthcrawl status`: what an output folder has been through.

- `runs_table(out, last)`: the run history (`OUT/runs.jsonl`, one line per run, written by
  `crawler.report.run`) as a table — start, kind, exit code and finish reason, seconds, pages,
  new items, failures.
- `status_text(out)`: whether a run holds the folder now (`OUT/.healthcrawl.lock`, read without
  taking it), the last run, and what failed in it (from its `reports/run-*.json`: per source,
  each failure kind with a count and examples); `status_code` is the last run's exit code
  (0 when there was none yet), so `healthcrawl status OUT || mail …` works.
There are no settings.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

from crawler.exceptions import UsageError
from crawler.report.run import read_history
from crawler.runs.lock import LOCK_NAME


def _is_output(out: Path) -> bool:
    return (out / "runs.jsonl").is_file() or (out / LOCK_NAME).is_file()


def _require_output(out: Path, command: str) -> None:
    if not out.is_dir():
        raise UsageError(f"healthcrawl {command}: no such folder: {out}")
    if not _is_output(out):
        raise UsageError(f"healthcrawl {command}: {out} holds no healthcrawl run (no runs.jsonl)")


def lock_holder(out: Path) -> str | None:
    """Who holds the output folder's lock now ("pid N since T"), or None when nobody does.
    Tries a shared lock, released at once: it never blocks a run."""
    path = out / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown process"
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _failures(run: dict[str, Any]) -> int:
    return sum(int(row.get("failures", 0)) for row in (run.get("sources") or {}).values())


def runs_table(out: Path, last: int | None = None) -> str:
    """The run history of `out` as a text table, oldest first (`last`: only the last N runs)."""
    _require_output(out, "runs")
    history = read_history(out)
    if last is not None:
        history = history[-last:]
    lines = [f"{'started':<26}{'kind':<9}{'exit':>5}  {'reason':<12}{'seconds':>9}{'pages':>8}{'new':>7}{'failures':>10}"]
    for run in history:
        t = run.get("totals") or {}
        lines.append(f"{str(run.get('started')):<26}{str(run.get('kind')):<9}{run.get('exit_code', '?'):>5}  "
                     f"{str(run.get('finish_reason'))[:11]:<12}{float(run.get('seconds') or 0):>9.1f}"
                     f"{t.get('pages_fetched', 0):>8}{t.get('new_items', 0):>7}{_failures(run):>10}")
    lines.append(f"{len(history)} runs in {out / 'runs.jsonl'}")
    return "\n".join(lines)


def last_report(out: Path) -> dict[str, Any] | None:
    """The JSON report of the latest run (`reports/run-*.json`, names sort by start time)."""
    reports = sorted((out / "reports").glob("run-*.json"))
    for path in reversed(reports):
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # a report cut by a killed run: the one before
            continue
    return None


def status_text(out: Path) -> tuple[str, int]:
    """What `healthcrawl status OUT` prints, and its exit code (the last run's)."""
    _require_output(out, "status")
    holder = lock_holder(out)
    lines = [f"{out}: " + (f"a run is in progress ({holder})" if holder else "no run in progress")]
    history = read_history(out)
    if not history:
        lines.append("no run finished yet")
        return "\n".join(lines), 0
    run = history[-1]
    t = run.get("totals") or {}
    code = int(run.get("exit_code", 1))
    lines.append(f"last run: {run.get('kind')} started {run.get('started')}, {float(run.get('seconds') or 0):.1f} s, "
                 f"exit {code} ({run.get('finish_reason')}); pages {t.get('pages_fetched', 0)}, "
                 f"new items {t.get('new_items', 0)}")
    report = last_report(out)
    failed = []
    if report is not None and report.get("started") == run.get("started"):
        for name, row in (report.get("sources") or {}).items():
            for kind, info in (row.get("failures") or {}).items():
                examples = ", ".join(info.get("examples", [])[:2])
                failed.append(f"  {name}: {kind} × {info.get('count')}" + (f" (e.g. {examples})" if examples else ""))
    lines.append("failed:" if failed else "nothing failed")
    lines.extend(failed)
    successes = [r for r in history if r.get("exit_code") == 0]
    if code != 0:
        lines.append(f"last successful run: {successes[-1]['started'] if successes else 'never'}")
    return "\n".join(lines), code

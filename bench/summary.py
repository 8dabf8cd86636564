"""What every benchmark prints and saves: medians, spread, ratios, a markdown table, a JSON file.

`describe(values)` → median, min, max, spread (max−min as % of the median) of repeated
measurements; `ratio(a, b)` the ratio of two medians; `markdown_table(headers, rows)` the table
for the README; `save_results(name, data)` writes `bench/results/<name>-<UTC stamp>.json` and
`bench/results/<name>-latest.json` with the machine it ran on. `peak_rss_kb()` is this
process's own peak RSS. `run_json(cmd)` runs one
measurement in a child process and returns the JSON line it printed last.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parents[1]


def describe(values: list[float]) -> dict[str, float]:
    """Median, min, max and spread ((max − min) / median, in %) of repeated measurements."""
    if not values:
        raise ValueError("no measurements to describe")
    median = statistics.median(values)
    return {"median": median, "min": min(values), "max": max(values), "n": len(values),
            "spread_pct": 100.0 * (max(values) - min(values)) / median if median else 0.0}


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else float("nan")


def fmt_spread(d: dict[str, float], digits: int = 1) -> str:
    return f"{d['median']:.{digits}f} ({d['min']:.{digits}f}–{d['max']:.{digits}f})"


def markdown_table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def peak_rss_kb() -> int:
    """This process's peak RSS in kB: `VmHWM` from /proc (the high-water mark of this
    process's own memory). Not `ru_maxrss`, which on Linux carries over the parent's RSS at
    fork/exec — a benchmark child of a driver holding a 20,000-page site would report the
    driver's size."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine()}


def save_results(name: str, data: dict[str, Any], directory: Path = RESULTS_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    payload = {"benchmark": name, "when": stamp, "machine": machine(), **data}
    text = json.dumps(payload, ensure_ascii=False, indent=2, default=str)
    path = directory / f"{name}-{stamp}.json"
    path.write_text(text, encoding="utf-8")
    (directory / f"{name}-latest.json").write_text(text, encoding="utf-8")
    return path


def run_json(cmd: list[str], *, timeout: float = 3600, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `cmd` (a benchmark child) and return the last JSON object it printed on stdout;
    raises RuntimeError with its stderr tail when it printed none."""
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env={**os.environ, **(env or {})})
    for line in reversed(proc.stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode} without a JSON result:\n"
                       + "\n".join(proc.stderr.splitlines()[-20:]))


PYTHON = sys.executable

"""`healthcrawl runs` (the history) and `healthcrawl status OUT` (lock holder, last run, what failed)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from support import run_cli

from crawler.report.run import write_run_report
from crawler.runs.lock import output_lock


def _run(out: Path, day: int, code: int, failing: bool) -> None:
    stats: dict[str, Any] = {"finish_reason": "finished", "response_received_count": 4 + day,
                             "item_scraped_count": day, "source/gz/pages": 4 + day, "source/gz/new_items": day}
    failures: dict[str, Any] = {}
    if failing:
        stats["source/gz/failures/network:dns"] = 3
        failures = {"gz": {"network:dns": ["http://gz.example.cn/a", "http://gz.example.cn/b"]}}
    write_run_report(out, kind="harvest", stats=stats, failures=failures,
                     started=dt.datetime(2025, 4, day, 3, 15, tzinfo=dt.timezone.utc), seconds=60.0 + day,
                     exit_code=code, items_offset=0)


def test_runs_and_status(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    _run(out, 1, 0, False)
    _run(out, 2, 1, True)
    runs = run_cli("runs", "--out", str(out))
    assert runs.returncode == 0, runs.stderr
    lines = runs.stdout.strip().splitlines()
    assert lines[0].split() == ["started", "kind", "exit", "reason", "seconds", "pages", "new", "failures"]
    assert lines[1].split() == ["2025-04-01T03:15:00+00:00", "harvest", "0", "finished", "61.0", "5", "1", "0"]
    assert lines[2].split() == ["2025-04-02T03:15:00+00:00", "harvest", "1", "finished", "62.0", "6", "2", "3"]
    assert lines[-1] == f"2 runs in {out / 'runs.jsonl'}"
    assert run_cli("runs", "--out", str(out), "--last", "1").stdout.count("2025-04-") == 1

    status = run_cli("status", str(out))
    assert status.returncode == 1  # the last run's exit code
    text = status.stdout
    assert "no run in progress" in text and "exit 1 (finished)" in text
    assert "gz: network:dns × 3 (e.g. http://gz.example.cn/a, http://gz.example.cn/b)" in text
    assert "last successful run: 2025-04-01T03:15:00+00:00" in text

    with output_lock(out):
        held = run_cli("status", str(out))
    assert f"a run is in progress (pid {os.getpid()} since " in held.stdout

    _run(out, 3, 0, False)
    after = run_cli("status", str(out))
    assert after.returncode == 0 and "nothing failed" in after.stdout


def test_status_of_a_folder_without_runs(tmp_path: Path) -> None:
    for args in (["status", str(tmp_path)], ["status", str(tmp_path / "missing")], ["runs", "--out", str(tmp_path)]):
        proc = run_cli(*args)
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr

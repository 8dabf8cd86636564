"""Stopping a harvest at named moments (support.faults): SIGKILL at a WARC rename and during
indexing, one and two SIGTERMs mid-crawl, a signal during start-up and in the report phase,
Ctrl-C to the whole process group with extraction workers. After each, a normal run must leave
the folder as one uninterrupted run would (support.faults.check_invariants)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.faults import catches_sigterm, check_invariants, item_lines, render, run, start, stop_at, wait_until, moment

ROTATE = ["-s", "ARCHIVE_MAX_SIZE=60000"]   # files close (and are indexed) during the crawl


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from crawler.demo.server import DemoServer

    root = tmp_path_factory.mktemp("faults")
    with DemoServer(port=0) as server:
        fast = render(server.base_url, root / "fast")
        slow = render(server.base_url, root / "slow", delay=0.1)
        code, stdout, stderr = run(fast, root / "reference")
        assert code == 0, stdout + stderr
        yield {"fast": fast, "slow": slow, "reference": item_lines(root / "reference")}


def _resume_and_check(site: dict[str, Any], out: Path, *extra: str) -> None:
    code, stdout, stderr = run(site["fast"], out, *extra)
    assert code == 0, stdout[-2000:] + stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    problems = check_invariants(out, site["reference"])
    assert not problems, problems


@pytest.mark.parametrize("at", ["at-rename", "indexing"])   # mid-crawl kills: tests/test_harvest.py
def test_kill_at_a_moment_then_resume(site: dict[str, Any], tmp_path: Path, at: str) -> None:
    out = tmp_path / "out"
    trial = stop_at(site["slow"], out, "kill", at, *ROTATE)
    assert trial.code == -signal.SIGKILL or not trial.reached, trial
    _resume_and_check(site, out, *ROTATE)


def test_two_sigterms_exit_3_and_the_next_run_completes(site: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    trial = stop_at(site["slow"], out, "term2", "items:3", *ROTATE)
    assert trial.reached and trial.code == 3, (trial.code, trial.stderr[-3000:])
    assert "Traceback" not in trial.stderr, trial.stderr[-3000:]
    _resume_and_check(site, out, *ROTATE)


def test_one_sigterm_exit_3_everything_closed(site: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    trial = stop_at(site["slow"], out, "term", "items:3")
    assert trial.reached and trial.code == 3, (trial.code, trial.stderr[-3000:])
    assert not list((out / "warc").glob("*.open"))
    _resume_and_check(site, out)


@pytest.mark.parametrize("after", [0.8])   # more moments: bench/fault_trials.py
def test_signal_during_start_up_exits_3(site: dict[str, Any], tmp_path: Path, after: float) -> None:
    out = tmp_path / "out"
    child = start(site["slow"], out)
    assert wait_until(lambda: catches_sigterm(child.proc.pid), child, timeout=30)
    time.sleep(after)   # importing Scrapy, reading specs: the crawl has not started
    child.proc.send_signal(signal.SIGTERM)
    assert child.wait(60) == 3, child.stderr()[-3000:]
    assert "Traceback" not in child.stderr()
    assert "interrupted" in child.stdout() + child.stderr()
    _resume_and_check(site, out)


def test_signal_in_the_report_phase_exits_3(site: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    trial = stop_at(site["fast"], out, "term", "report")
    assert trial.reached, trial.stderr[-2000:]
    assert trial.code == 3, (trial.code, trial.stderr[-3000:])
    assert "Traceback" not in trial.stderr
    assert (out / "runs.jsonl").exists()
    problems = check_invariants(out, site["reference"])
    assert not problems, problems


def test_ctrl_c_to_the_group_no_worker_tracebacks(site: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    child = start(site["slow"], out, "-s", "EXTRACT_WORKERS=2", group=True)
    assert wait_until(moment("items:3", out, child), child)
    os.killpg(child.proc.pid, signal.SIGINT)
    code = child.wait(90)
    assert code == 3, child.stderr()[-3000:]
    assert "KeyboardInterrupt" not in child.stderr(), child.stderr()[-3000:]
    assert "Traceback" not in child.stderr(), child.stderr()[-3000:]
    _resume_and_check(site, out)

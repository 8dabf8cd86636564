"""Shared helpers for the hardening tests: run the `healthcrawl` CLI in a subprocess (Scrapy's
reactor cannot restart in one process) and read what it left in the output folder."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

# Fast, quiet crawls: no politeness delays against the local fixture server.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "PROGRESS_ENABLED=False",
        "-s", "RETRY_TIMES=0", "-s", "LOG_LEVEL=INFO"]


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str
    maxrss_mb: float  # peak resident memory of the child process

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(*args: str, timeout: float = 90, env: dict[str, str] | None = None) -> CliResult:
    """Run `python -m crawler.cli ARGS…` from the repository root; measure its peak memory."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "crawler.cli", *args], cwd=REPO, stdout=out, stderr=err,
                                env={**os.environ, **(env or {})})
        timer = threading.Timer(timeout, lambda: proc.send_signal(signal.SIGKILL))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return CliResult(proc.returncode, out.read().decode("utf-8", "replace"),
                         err.read().decode("utf-8", "replace"), usage.ru_maxrss / 1024)


def crawl(out: Path, *urls: str, max_pages: int = 30, extra: list[str] | None = None,
          allow_private: bool = True, timeout: float = 90) -> CliResult:
    args = ["crawl", *urls, "--out", str(out), "--max-pages", str(max_pages), *FAST, *(extra or [])]
    if allow_private:
        args.append("--allow-private")
    return run_cli(*args, timeout=timeout)


def items(out: Path) -> list[dict[str, Any]]:
    path = out / "items.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_report(out: Path) -> dict[str, Any]:
    reports = sorted((out / "reports").glob("run-*.json"))
    assert reports, f"no run report in {out / 'reports'}"
    return json.loads(reports[-1].read_text(encoding="utf-8"))


def warc_bytes(out: Path) -> bytes:
    """All WARC files of a run, decompressed and concatenated."""
    data = b""
    for path in sorted((out / "warc").glob("*.warc.gz*")):
        with gzip.open(path, "rb") as fh:
            data += fh.read()
    return data


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"

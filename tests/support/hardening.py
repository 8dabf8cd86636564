"""Helpers for the hardening tests: run the `healthcrawl` CLI in a subprocess with its peak
memory measured (`run_cli`, `crawl` against `support.servers.HostileServer`) and read what it
left in the output folder."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support import REPO

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


# Runs the CLI and records the child's own peak resident memory (VmHWM, which starts afresh at
# exec; ru_maxrss would also count the pytest parent's pages at fork time).
_WRAPPER = """
import atexit, os, runpy, sys
def _peak():
    with open('/proc/self/status') as fh:
        for line in fh:
            if line.startswith('VmHWM'):
                with open(os.environ['HC_TEST_PEAK_FILE'], 'w') as out:
                    out.write(line.split()[1])
atexit.register(_peak)
sys.argv = ['healthcrawl', *sys.argv[1:]]
runpy.run_module('crawler.runs.cli', run_name='__main__', alter_sys=True)
"""


def run_cli(*args: str, timeout: float = 90, env: dict[str, str] | None = None) -> CliResult:
    """Run `python -m crawler.runs.cli ARGS…` from the repository root; measure its peak memory."""
    with tempfile.TemporaryDirectory() as tmp:
        peak_file = Path(tmp) / "peak"
        proc = subprocess.run([sys.executable, "-c", _WRAPPER, *args], cwd=REPO, capture_output=True,
                              timeout=timeout, env={**os.environ, **(env or {}), "HC_TEST_PEAK_FILE": str(peak_file)})
        peak_kb = int(peak_file.read_text()) if peak_file.exists() else 0
    return CliResult(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"),
                     peak_kb / 1024)


def crawl(out: Path, *urls: str, max_pages: int = 30, extra: list[str] | None = None,
          allow_private: bool = True, timeout: float = 90) -> CliResult:
    args = ["crawl", *urls, "--out", str(out), "--max-pages", str(max_pages), *FAST, *(extra or [])]
    if allow_private:
        args.append("--allow-private")
    return run_cli(*args, timeout=timeout)


def items(out: Path) -> list[dict[str, Any]]:
    """The folder's items with their current links (relink records applied and left out)."""
    from support import read_items

    return read_items(out / "items.jsonl")


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

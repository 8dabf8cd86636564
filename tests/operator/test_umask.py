"""Every file a run, an export and a WACZ create gets the process umask's mode (0664 under umask
002, so a group's pywb or web server can read and rotate them), never a fixed 0600/0644."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from support import REPO


def _run(*args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "crawler.runs.cli", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300, preexec_fn=lambda: os.umask(0o002), check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_files_follow_the_umask(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run("demo", "--out", str(out))
    _run("wacz", str(out / "warc"), "--out", str(out / "demo.wacz"))
    for fmt in ("sqlite", "csv", "parquet"):
        _run("export", "--format", fmt, str(out / "items.jsonl"), "--out", str(out / f"items.{fmt}"))
    wrong = {}
    for path in [out, *out.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode != (0o775 if path.is_dir() else 0o664):
            wrong[str(path.relative_to(tmp_path))] = oct(mode)
    names = {p.name for p in out.rglob("*")}
    assert {"index.cdxj", "demo.wacz", "items.jsonl", "seen.sqlite", "report.html", "runs.jsonl",
            "items.sqlite"} <= names
    assert wrong == {}

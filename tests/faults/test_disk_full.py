"""A small disk (a tmpfs of a few hundred KiB, so it fills during the harvest at different
moments: a WARC capture, a metadata record, the items file, SQLite, the report) and output
folders that cannot be used. A full disk stops the run with exit 1 and one line naming the
path and the error, leaves no partial record in any WARC, and the next run with space
completes as one uninterrupted run would. An unusable folder is one line and exit 2."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.faults import check_invariants, item_lines, render, run

from archive.reader import ArchivedRecord, iter_records


def _mount(path: Path, options: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {proc.stderr.strip()}")


def _umount(path: Path) -> None:
    subprocess.run(["umount", str(path)], capture_output=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from crawler.demo.server import DemoServer

    root = tmp_path_factory.mktemp("disk")
    with DemoServer(port=0) as server:
        specs = render(server.base_url, root / "specs")
        code, stdout, stderr = run(specs, root / "reference")
        assert code == 0, stdout + stderr
        yield {"specs": specs, "reference": item_lines(root / "reference")}


def _problem_lines(stdout: str, stderr: str) -> list[str]:
    """Lines a person must read: errors, tracebacks, and healthcrawl's own lines (no notices)."""
    lines = [line for line in stderr.splitlines() if " ERROR: " in line or line.startswith(("Traceback", "healthcrawl:"))
             and "warning:" not in line]
    return lines + [line for line in stdout.splitlines() if line.startswith("healthcrawl:")]


@pytest.mark.parametrize("size", ["120k", "320k"])   # more sizes: bench/fault_trials.py
def test_full_disk_one_line_exit_1_then_the_next_run_completes(site: dict[str, Any], tmp_path: Path,
                                                                size: str) -> None:
    mnt = tmp_path / "disk"
    _mount(mnt, f"size={size}")
    try:
        out = mnt / "out"
        code, stdout, stderr = run(site["specs"], out, "-s", "LOG_LEVEL=WARNING")
        assert code == 1, stdout[-2000:] + stderr[-3000:]
        problems = _problem_lines(stdout, stderr)
        assert len(problems) == 1, problems
        assert str(out) in problems[0] and ("No space left" in problems[0] or "disk is full" in problems[0]), problems
        for path in sorted((out / "warc").glob("*.warc.gz*")):
            damaged = [r for r in iter_records(path, keep_payload=False) if not isinstance(r, ArchivedRecord)]
            if path.name.endswith(".open"):   # recovered by the next run: only its tail may be cut
                continue
            assert not damaged, f"{path.name}: {damaged[:2]}"
        subprocess.run(["mount", "-o", "remount,size=16m", str(mnt)], check=True)
        code, stdout, stderr = run(site["specs"], out)
        assert code == 0, stdout[-2000:] + stderr[-3000:]
        assert "Traceback" not in stderr
        problems = check_invariants(out, site["reference"])
        assert not problems, problems
    finally:
        _umount(mnt)


def test_output_folder_that_is_a_file(site: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("not a folder")
    code, stdout, stderr = run(site["specs"], out)
    assert code == 2, stdout + stderr
    assert "Traceback" not in stderr
    assert f"{out} is a file" in stdout


def test_output_folder_under_a_file(site: dict[str, Any], tmp_path: Path) -> None:
    parent = tmp_path / "file"
    parent.write_text("x")
    code, stdout, stderr = run(site["specs"], parent / "out")
    assert code == 2, stdout + stderr
    assert "Traceback" not in stderr
    assert str(parent / "out") in stdout


def test_read_only_output_folder(site: dict[str, Any], tmp_path: Path) -> None:
    mnt = tmp_path / "ro"
    _mount(mnt, "size=64k")
    try:
        (mnt / "out").mkdir()
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        for out in (mnt / "out", mnt / "new"):
            code, stdout, stderr = run(site["specs"], out)
            assert code == 2, stdout + stderr
            assert "Traceback" not in stderr
            assert str(out) in stdout and len([x for x in stdout.splitlines() if x.strip()]) == 1, stdout
    finally:
        _umount(mnt)
        os.sync()

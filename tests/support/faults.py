"""The fault harness: run `healthcrawl harvest` against the demo site in a child process, stop
it at a named moment it can be seen to have reached, and check what it left (a uniquely named
module, not a conftest: conftest names collide across test folders).

Moments are observed from outside, as an operator's `kill` would meet them — no hook inside the
crawler:
- `items:N` — N items are in `items.jsonl` (mid-crawl; WARC records and metadata being written);
- `at-rename` — a closed `*.warc.gz` exists that `index.cdxj` does not list yet (small
  `ARCHIVE_MAX_SIZE`, so files rotate during the crawl);
- `indexing` — the indexing thread's temporary `index.cdxj.*.tmp` exists;
- `report` — the run logged "writing the run report" (the report phase).
A trial then sends SIGKILL, one SIGTERM or two, resumes with a normal run, and
`check_invariants` compares the folder with an uninterrupted run of the same site: the same
items, no id twice, every WARC readable with no torn member, `index.cdxj` equal to what
cdxj-indexer writes for the folder, every item's pointer a 200 response record of its URL
holding its payload. `bench/fault_trials.py` runs many trials of each kind with this module.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support import REPO

RUN_SPECIFIC = {"fetched_at", "warc_filename", "warc_offset", "duplicate_of"}
FAST = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=INFO", "-s", "PROGRESS_ENABLED=False"]


def render(server_url: str, folder: Path, *, delay: float = 0.0) -> Path:
    """The demo specs for `server_url` in `folder`; `delay` slows each source down (one
    request at a time) so that a trial can meet a moment mid-crawl."""
    from crawler.runs.demo import render_specs

    render_specs(server_url, folder)
    if delay:
        for path in folder.glob("*.toml"):
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace("download_delay = 0.0", f"download_delay = {delay}")
                            .replace("concurrency = 8", "concurrency = 1"), encoding="utf-8")
    return folder


@dataclass
class Child:
    """A running harvest; its output goes to files (no pipe to fill up)."""

    proc: subprocess.Popen[bytes]
    log_dir: Path

    def stderr(self) -> str:
        return (self.log_dir / "stderr").read_text(encoding="utf-8", errors="replace")

    def stdout(self) -> str:
        return (self.log_dir / "stdout").read_text(encoding="utf-8", errors="replace")

    def wait(self, timeout: float = 120) -> int:
        return self.proc.wait(timeout=timeout)


def start(specs: Path, out: Path, *extra: str, group: bool = False) -> Child:
    """Start a harvest; `group`: in a session of its own, so that a signal can be sent to the
    whole process group (as a terminal's Ctrl-C is)."""
    log_dir = Path(tempfile.mkdtemp(prefix="hc-fault-"))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log_dir / "stdout", "wb") as so, open(log_dir / "stderr", "wb") as se:
        proc = subprocess.Popen([sys.executable, "-m", "crawler.runs.cli", "harvest", "--sources-dir", str(specs),
                                 "--out", str(out), "--allow-private", *FAST, *extra],
                                cwd=REPO, stdout=so, stderr=se, env=env, start_new_session=group)
    return Child(proc, log_dir)


def run(specs: Path, out: Path, *extra: str, timeout: float = 240) -> tuple[int, str, str]:
    child = start(specs, out, *extra)
    code = child.wait(timeout)
    return code, child.stdout(), child.stderr()


def item_lines(out: Path) -> list[dict[str, Any]]:
    """Every line of items.jsonl parsed (a torn line fails here), relink records left out."""
    path = out / "items.jsonl"
    if not path.exists():
        return []
    lines = [json.loads(line) for line in path.read_bytes().split(b"\n") if line]
    return [line for line in lines if line.get("kind") != "relink"]


def _index_names(out: Path) -> set[str]:
    index = out / "warc" / "index.cdxj"
    try:
        return {json.loads(line.split(" ", 2)[2])["filename"] for line in index.read_text("utf-8").splitlines()}
    except (OSError, IndexError, ValueError):
        return set()


def moment(name: str, out: Path, child: Child) -> Callable[[], bool]:
    """A predicate that is true once the child has reached moment `name` (module docstring)."""
    warc = out / "warc"
    if name.startswith("items:"):
        count = int(name.split(":", 1)[1])
        return lambda: len(_safe_items(out)) >= count
    if name == "at-rename":
        return lambda: any(p.name not in _index_names(out) for p in warc.glob("*.warc.gz"))
    if name == "indexing":
        return lambda: any(warc.glob("index.cdxj.*.tmp"))
    if name == "report":
        return lambda: "writing the run report" in child.stderr()
    raise ValueError(f"unknown moment {name!r}")


def catches_sigterm(pid: int) -> bool:
    """The process has installed a SIGTERM handler of its own (its SigCgt mask in /proc): the
    earliest moment at which a program can answer a signal at all."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) >> (signal.SIGTERM - 1) & 1)
    except OSError:
        pass
    return False


def _safe_items(out: Path) -> list[bytes]:
    try:
        return [line for line in (out / "items.jsonl").read_bytes().split(b"\n") if line]
    except OSError:
        return []


def wait_until(reached: Callable[[], bool], child: Child, timeout: float = 120, poll: float = 0.005) -> bool:
    """Poll until `reached()`; False when the child ended first or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if reached():
            return True
        if child.proc.poll() is not None:
            return reached()
        time.sleep(poll)
    return False


@dataclass
class Trial:
    """One stop: what was asked, what was seen, what the interrupted run returned."""

    kind: str             # "kill" | "term" | "term2"
    at: str               # the moment
    reached: bool         # the moment was met before the run ended on its own
    code: int | None      # exit code of the stopped run
    stderr: str = ""
    problems: list[str] = field(default_factory=list)


def stop_at(specs: Path, out: Path, kind: str, at: str, *extra: str) -> Trial:
    """Start a harvest, wait for moment `at`, stop it with `kind` (SIGKILL, one SIGTERM, or two
    SIGTERMs 50 ms apart); returns the trial with the stopped run's exit code."""
    child = start(specs, out, *extra)
    reached = wait_until(moment(at, out, child), child)
    if child.proc.poll() is None:
        if kind == "kill":
            child.proc.send_signal(signal.SIGKILL)
        else:
            child.proc.send_signal(signal.SIGTERM)
            if kind == "term2":
                time.sleep(0.05)
                if child.proc.poll() is None:
                    child.proc.send_signal(signal.SIGTERM)
    code = child.wait(180)
    return Trial(kind, at, reached, code, child.stderr())


def comparable(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(({k: v for k, v in i.items() if k not in RUN_SPECIFIC} for i in items), key=lambda i: i["id"])


def cdxj_indexer_lines(warc_dir: Path) -> list[str]:
    """What cdxj-indexer writes for the closed WARC files of `warc_dir`, sorted."""
    import io

    from cdxj_indexer.main import write_cdx_index

    buf = io.StringIO()
    files = sorted(str(p) for p in warc_dir.glob("*.warc.gz"))
    if files:
        write_cdx_index(buf, files, {"sort": True})
    return buf.getvalue().splitlines()


def check_invariants(out: Path, reference: list[dict[str, Any]]) -> list[str]:
    """What does not hold in `out` (module docstring); empty when everything holds."""
    from archive.reader import ArchivedRecord, iter_records, read_record_at

    problems: list[str] = []
    try:
        stored = item_lines(out)
    except ValueError as exc:
        return [f"items.jsonl has a torn or bad line: {exc}"]
    ids = [i["id"] for i in stored]
    if len(ids) != len(set(ids)):
        problems.append(f"{len(ids) - len(set(ids))} item ids stored twice")
    if comparable(stored) != comparable(reference):
        have, want = {i["id"] for i in stored}, {i["id"] for i in reference}
        problems.append(f"items differ from an uninterrupted run: missing {sorted(want - have)[:5]}, "
                        f"extra {sorted(have - want)[:5]}" if have != want else "items differ in content")
    warc = out / "warc"
    if list(warc.glob("*.open")):
        problems.append(f"left open: {[p.name for p in warc.glob('*.open')]}")
    for path in sorted(warc.glob("*.warc.gz")):
        bad = [r for r in iter_records(path, keep_payload=False) if not isinstance(r, ArchivedRecord)]
        if bad:
            problems.append(f"{path.name}: {len(bad)} damaged records, first: {bad[0]}")
    ours = (warc / "index.cdxj").read_text("utf-8").splitlines() if (warc / "index.cdxj").exists() else []
    if ours != cdxj_indexer_lines(warc):
        problems.append(f"index.cdxj ({len(ours)} lines) differs from cdxj-indexer "
                        f"({len(cdxj_indexer_lines(warc))} lines)")
    for item in stored:
        path = warc / item["warc_filename"]
        try:
            record = read_record_at(path, item["warc_offset"])
        except Exception as exc:  # noqa: BLE001 - reported as a broken pointer
            problems.append(f"{item['url']}: pointer {item['warc_filename']}@{item['warc_offset']} unreadable: {exc}")
            continue
        if record.rec_type != "response" or record.url != item["url"] or record.http_status != 200 \
                or not record.payload:
            problems.append(f"{item['url']}: pointer is a {record.rec_type} of {record.url} "
                            f"(status {record.http_status}, {len(record.payload)} bytes)")
    return problems


def crawl(out: Path, url: str, *extra: str, timeout: float = 120) -> tuple[int, str, str]:
    """`healthcrawl crawl URL --out OUT` against a local server, fast and quiet."""
    proc = subprocess.run([sys.executable, "-m", "crawler.runs.cli", "crawl", url, "--out", str(out),
                           "--allow-private", "--max-pages", "30", "-s", "DOWNLOAD_DELAY=0", *FAST, *extra],
                          cwd=REPO, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})
    return proc.returncode, proc.stdout, proc.stderr


def last_report(out: Path) -> dict[str, Any]:
    reports = sorted((out / "reports").glob("run-*.json"))
    return json.loads(reports[-1].read_text(encoding="utf-8"))

"""Helpers for the distributed end-to-end tests: start worker processes on a demo site and read
what they stored."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crawler.runs.workers import WorkerJob, collect, prepare_job, spawn

SPAWNED: list[WorkerJob] = []  # killed at the end of each test if still running (conftest)

FAST = {
    "GUARD_ALLOW_PRIVATE": True,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "LOG_LEVEL": "INFO",
    "PROGRESS_ENABLED": False,
    "DISTRIBUTED_POLL": 0.2,
    "DISTRIBUTED_HEARTBEAT": 0.5,
    "DISTRIBUTED_LEASE_TIMEOUT": 3,
}


def start_workers(out: Path, redis_url: str | None, specs: Path, ids: list[str], *, crawl: str,
                  **overrides: Any) -> list[WorkerJob]:
    settings = {**FAST, "SOURCES_DIR": str(specs), "DISTRIBUTED_RUN_TAG": f"{crawl}-{time.time_ns()}", **overrides}
    jobs = []
    for wid in ids:
        job = prepare_job(out, wid, redis_url=redis_url or "", crawl_name=crawl, kind="demo",
                          spider_kwargs={"sources_dir": str(specs)}, overrides=settings)
        if redis_url is None:  # the single-process baseline: same worker machinery, no Redis
            data = json.loads(job.job_file.read_text())
            for key in ("REDIS_URL", "DISTRIBUTED_WORKER_ID", "DISTRIBUTED_CRAWL_NAME"):
                data["overrides"].pop(key, None)
            job.job_file.write_text(json.dumps(data))
        log = (out / f"{wid}.log").open("ab")
        jobs.append(spawn(job, stderr=log))
    SPAWNED.extend(jobs)
    return jobs


def kill_leftovers() -> None:
    while SPAWNED:
        job = SPAWNED.pop()
        if job.process is not None and job.process.poll() is None:
            job.process.kill()
            job.process.wait()


def wait(jobs: list[WorkerJob], timeout: float = 90) -> list[WorkerJob]:
    deadline = time.monotonic() + timeout
    for job in jobs:
        assert job.process is not None
        job.process.wait(timeout=max(1, deadline - time.monotonic()))
        collect(job)
    return jobs


def wait_for(condition: Callable[[], bool], timeout: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def items_of(folders: list[Path]) -> list[dict[str, Any]]:
    """The items of the folders' items.jsonl with their current links (relink records applied
    across all the folders — one index — and left out)."""
    from crawler.dedup.links import apply_links, read_relinks

    found = []
    for folder in folders:
        path = folder / "items.jsonl"
        if path.exists():
            found += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return list(apply_links(found, read_relinks([folder / "items.jsonl" for folder in folders])))


def families(items: list[dict[str, Any]]) -> set[frozenset[str]]:
    """Repost families as sets of item ids (canonical copy + its duplicates), size >= 2."""
    groups: dict[str, set[str]] = {}
    for item in items:
        root = item.get("duplicate_of") or item["id"]
        groups.setdefault(root, {root}).add(item["id"])
    return {frozenset(g) for g in groups.values() if len(g) > 1}


def fetch_counts(server: Any) -> Counter[str]:
    return Counter(entry.path for entry in server.requests if entry.method == "GET")


def log_text(out: Path, wid: str) -> str:
    path = out / f"{wid}.log"
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

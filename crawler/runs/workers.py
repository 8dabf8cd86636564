"""Start N worker processes on this machine for one distributed crawl and sum up their runs.

`run_workers(out, redis_url=…, workers=N, …)` is what ``healthcrawl demo|crawl|harvest
--redis-url URL --workers N`` calls. It checks that Redis answers (else: one line naming the
URL, exit code 1, nothing started), then starts N processes of `crawler.runs.worker`,
worker *i* with id ``<hostname>-<i>`` and its own output folder ``OUT/workers/<id>/`` (WARC
files, ``items.jsonl``, reports, lock — a complete output folder, usable by ``replay`` and
``export``). All of them share the crawl ``DISTRIBUTED_CRAWL_NAME`` in Redis. Run the same
command on M machines to get N×M workers. SIGTERM/SIGINT are passed on to the workers, which
stop cleanly. Exit code: 1 if a worker failed or died, else 3 if one was interrupted, else 0.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler.distributed.connection import RedisUnavailable, check_reachable, safe_url
from crawler.runs.worker import result_path
from crawler.security.filenames import safe_component
from crawler.runs.harvest import EXIT_FAILURES, EXIT_INTERRUPTED, EXIT_OK, RunOutcome

WORKERS_DIR = "workers"


@dataclass
class WorkerJob:
    worker_id: str
    out: Path
    job_file: Path
    process: subprocess.Popen[bytes] | None = None
    result: dict[str, Any] = field(default_factory=dict)


def worker_ids(count: int, host: str | None = None) -> list[str]:
    host = safe_component(host or socket.gethostname(), max_len=64)  # names a folder; no "#" or spaces
    return [f"{host}-{i}" for i in range(count)]


def prepare_job(out: Path, worker_id: str, *, redis_url: str, crawl_name: str, kind: str,
                spider_kwargs: dict[str, Any], overrides: dict[str, Any]) -> WorkerJob:
    """Write the job file of one worker (in ``OUT/workers/.jobs/``)."""
    folder = out / WORKERS_DIR / worker_id
    jobs = out / WORKERS_DIR / ".jobs"
    jobs.mkdir(parents=True, exist_ok=True)
    settings = dict(overrides)
    settings.update({"REDIS_URL": redis_url, "DISTRIBUTED_WORKER_ID": worker_id})
    settings.setdefault("DISTRIBUTED_CRAWL_NAME", crawl_name)
    job_file = jobs / f"{worker_id}.json"
    job_file.write_text(json.dumps({"out": str(folder), "kind": kind, "spider_kwargs": spider_kwargs,
                                    "overrides": settings}, ensure_ascii=False), encoding="utf-8")
    result_path(job_file).unlink(missing_ok=True)
    return WorkerJob(worker_id, folder, job_file)


def spawn(job: WorkerJob, *, stderr: Any = None) -> WorkerJob:
    repo = Path(__file__).resolve().parents[2]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(repo), env.get("PYTHONPATH")]))
    job.process = subprocess.Popen([sys.executable, "-m", "crawler.runs.worker", str(job.job_file)],
                                   env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    return job


def collect(job: WorkerJob) -> WorkerJob:
    path = result_path(job.job_file)
    if path.exists():
        job.result = json.loads(path.read_text(encoding="utf-8"))
    else:
        code = job.process.returncode if job.process else None
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit {code}"
        job.result = {"exit_code": EXIT_FAILURES, "stats": {}, "summary": f"worker died ({how})", "died": True}
    return job


def run_workers(out: Path, *, redis_url: str, workers: int, spider_kwargs: dict[str, Any],
                overrides: dict[str, Any] | None = None, kind: str = "crawl",
                crawl_name: str | None = None) -> RunOutcome:
    if workers < 1:
        return RunOutcome(EXIT_FAILURES, summary=f"healthcrawl: --workers must be >= 1, got {workers}")
    try:
        check_reachable(redis_url)
    except RedisUnavailable as exc:
        return RunOutcome(EXIT_FAILURES, summary=f"healthcrawl: {exc}")
    name = crawl_name or str((overrides or {}).get("DISTRIBUTED_CRAWL_NAME") or kind)
    launch = {**(overrides or {}), "DISTRIBUTED_RUN_TAG": f"{socket.gethostname()}-{os.getpid()}-{time.time_ns()}"}
    jobs = [prepare_job(out, wid, redis_url=redis_url, crawl_name=name, kind=kind, spider_kwargs=spider_kwargs,
                        overrides=launch) for wid in worker_ids(workers)]
    started = time.monotonic()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def forward(signum: int, _frame: Any) -> None:
        for job in jobs:
            if job.process is not None and job.process.poll() is None:
                job.process.send_signal(signal.SIGTERM)

    for sig in previous:
        signal.signal(sig, forward)
    try:
        for job in jobs:
            spawn(job)
        for job in jobs:
            assert job.process is not None
            job.process.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    for job in jobs:
        collect(job)
    return combine(out, jobs, redis_url=redis_url, crawl_name=name, kind=kind, seconds=time.monotonic() - started)


def combine(out: Path, jobs: list[WorkerJob], *, redis_url: str, crawl_name: str, kind: str,
            seconds: float) -> RunOutcome:
    """One summary (and summed stats) for the runs of all workers."""
    from crawler.report.run import TOTAL_KEYS

    totals: dict[str, Any] = {}
    for job in jobs:
        for key, value in job.result.get("stats", {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                totals[key] = totals.get(key, 0) + value
    codes = [int(job.result.get("exit_code", EXIT_FAILURES)) for job in jobs]
    code = EXIT_FAILURES if EXIT_FAILURES in codes else EXIT_INTERRUPTED if EXIT_INTERRUPTED in codes else EXIT_OK
    if code == EXIT_OK and not totals.get("response_received_count"):
        code = EXIT_FAILURES  # no worker fetched anything: nothing was reachable
    t = {name: totals.get(key, 0) for name, key in TOTAL_KEYS.items()}
    lines = [
        f"healthcrawl {kind} · {len(jobs)} workers · crawl {crawl_name!r} at {safe_url(redis_url)} · "
        f"{seconds:.1f} s · exit {code}",
        f"pages fetched {t['pages_fetched']} · new items {t['new_items']} · duplicates "
        f"{t['duplicates_exact'] + t['duplicates_near']} · not modified {t['not_modified']} · articles skipped "
        f"(already stored) {t['articles_skipped_seen']} · extraction errors {t['extract_errors']}",
    ]
    for job in jobs:
        stats = job.result.get("stats", {})
        reason = stats.get("finish_reason", "died" if job.result.get("died") else "?")
        lines.append(f"  {job.worker_id:<24} exit {job.result.get('exit_code')} ({reason}) · pages "
                     f"{stats.get('response_received_count', 0)} · items {stats.get('item_scraped_count', 0)} · "
                     f"{job.out}")
        if job.result.get("died") or (job.result.get("exit_code") and not stats):
            lines.append(f"    {job.result.get('summary', '').strip()}")
    lines.append(f"files: {out / WORKERS_DIR}/<worker>/warc, {out / WORKERS_DIR}/<worker>/items.jsonl, "
                 f"reports in {out / WORKERS_DIR}/<worker>/reports")
    return RunOutcome(code, stats=totals, summary="\n".join(lines) + "\n")

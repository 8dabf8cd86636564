"""One worker process of a distributed crawl: ``python -m crawler.runs.worker JOB.json``.

The job file (written by `crawler.runs.workers`) holds ``out`` (this worker's output
folder), ``kind``, ``spider_kwargs`` and ``overrides`` (Scrapy settings, including
``REDIS_URL``, ``DISTRIBUTED_WORKER_ID`` and ``DISTRIBUTED_CRAWL_NAME``). The worker runs
`crawler.runs.harvest.run_crawl` — the same crawl as a single process, with the Redis switch on —
and writes ``{"exit_code", "stats", "summary"}`` to ``<JOB>.result.json``; its exit code is the
crawl's. Logs go to stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def result_path(job: Path) -> Path:
    return job.with_name(job.name + ".result.json")


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m crawler.runs.worker JOB.json", file=sys.stderr)
        return 2
    job_path = Path(args[0])
    try:
        job = json.loads(job_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"crawler.runs.worker: cannot read job file {job_path}: {exc}", file=sys.stderr)
        return 2
    from crawler.runs.harvest import run_crawl

    outcome = run_crawl(out_dir=Path(job["out"]), spider_kwargs=job.get("spider_kwargs", {}),
                        overrides=job.get("overrides", {}), kind=job.get("kind", "crawl"))
    result = {"exit_code": outcome.exit_code, "skipped": outcome.skipped, "summary": outcome.summary,
              "stats": {k: _plain(v) for k, v in outcome.stats.items()}}
    result_path(job_path).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())

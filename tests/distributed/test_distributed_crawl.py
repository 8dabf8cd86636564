"""Several worker processes share one crawl of the demo site through a real redis-server.

Against one process on the same demo server: the same items, each stored once, the same
repost families, no URL fetched twice (robots.txt aside: every worker reads it); a worker
SIGKILLed mid-crawl loses nothing; Redis restarted mid-crawl, or gone for good and back later,
loses nothing either; Redis down at start stops the CLI with one line naming the URL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.distributed import families, fetch_counts, items_of, log_text, start_workers, wait, wait_for

from crawler.demo.server import DemoServer
from crawler.runs.demo import render_specs
from crawler.distributed.keys import CrawlKeys

pytestmark = pytest.mark.redis
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The demo server, its specs, and what one process stores from it (the reference)."""
    root = tmp_path_factory.mktemp("site")
    with DemoServer(port=0) as server:
        specs = render_specs(server.base_url, root / "specs")
        jobs = wait(start_workers(root / "single", None, specs, ["single"], crawl="-"))
        assert jobs[0].result["exit_code"] == 0, log_text(root / "single", "single")[-3000:]
        items = items_of([jobs[0].out])
        assert len(items) >= 20
        server.clear_requests()
        yield {"server": server, "specs": specs, "items": items}


def all_joined(redis_db: Any, crawl: str, count: int) -> bool:
    return int(redis_db.zcard(CrawlKeys(crawl).workers)) >= count


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {i["id"] for i in items}


def assert_stored_once(items: list[dict[str, Any]], reference: list[dict[str, Any]]) -> None:
    counts: dict[str, int] = {}
    for item in items:
        counts[item["id"]] = counts.get(item["id"], 0) + 1
    assert {k: v for k, v in counts.items() if v > 1} == {}, "articles stored twice"
    assert ids(items) == ids(reference)
    assert families(items) == families(reference)


def test_three_workers_store_what_one_process_stores(site: dict[str, Any], redis_server: Any,
                                                     redis_db: Any, tmp_path: Path) -> None:
    server = site["server"]
    server.clear_requests()
    jobs = wait(start_workers(tmp_path, redis_server.url, site["specs"], ["w0", "w1", "w2"], crawl="three",
                              DOWNLOAD_DELAY=0.1, CONCURRENT_REQUESTS_PER_DOMAIN=2))
    for job in jobs:
        assert job.result["exit_code"] == 0, log_text(tmp_path, job.worker_id)[-3000:]
        assert job.result["stats"]["finish_reason"] == "finished"
    items = items_of([j.out for j in jobs])
    assert_stored_once(items, site["items"])
    assert sum(1 for j in jobs if items_of([j.out])) >= 2, "the work was not shared"
    counts = fetch_counts(server)
    twice = {path: n for path, n in counts.items() if n > 1 and not path.endswith("/robots.txt")}
    assert twice == {}
    assert counts["/robots.txt"] <= 3
    # each worker writes its own WARC files, named after it, all closed
    for job in jobs:
        if not job.result["stats"].get("response_received_count"):
            continue  # started after the others had finished the run: nothing to archive
        warcs = list((job.out / "warc").glob("*.warc.gz"))
        assert warcs and all(job.worker_id in w.name for w in warcs)
        assert not list((job.out / "warc").glob("*.open"))
    # the shared state is in Redis under the crawl's prefix, and nothing is left queued or leased
    keys = CrawlKeys("three")
    assert redis_db.hlen(keys.seen) >= len(items)
    assert redis_db.zcard(keys.requests) == 0
    assert redis_db.zcard(keys.workers) == 0
    assert not list(redis_db.scan_iter(keys.processing_prefix + "*"))
    assert not any((j.out / "dedup.sqlite").exists() or (j.out / "seen.sqlite").exists() for j in jobs)


def test_a_killed_worker_loses_nothing(site: dict[str, Any], redis_server: Any, redis_db: Any,
                                       tmp_path: Path) -> None:
    keys = CrawlKeys("kill")
    jobs = start_workers(tmp_path, redis_server.url, site["specs"], ["w0", "w1", "w2"], crawl="kill",
                         DOWNLOAD_DELAY=0.3, CONCURRENT_REQUESTS_PER_DOMAIN=1)

    def holding_and_stored() -> list[Any]:
        """Workers that have stored items and hold leases right now."""
        return [job for job in jobs
                if (job.out / "items.jsonl").exists() and (job.out / "items.jsonl").stat().st_size > 0
                and any(redis_db.hlen(k) for k in redis_db.scan_iter(keys.processing(job.worker_id) + "#*"))]

    wait_for(lambda: all_joined(redis_db, "kill", 3) and bool(holding_and_stored()),
             what="a worker storing items and holding a lease")
    victim = holding_and_stored()[0]
    assert victim.process is not None
    victim.process.send_signal(signal.SIGKILL)
    wait(jobs)
    assert victim.result.get("died")
    survivors = [job for job in jobs if job is not victim]
    for job in survivors:
        assert job.result["exit_code"] == 0, log_text(tmp_path, job.worker_id)[-3000:]
    assert sum(j.result["stats"].get("distributed/requeued", 0) for j in survivors) >= 1
    assert_stored_once(items_of([j.out for j in jobs]), site["items"])
    # what the killed worker stored stays (whole lines); its WARC is left .open for the next run
    # of that worker id to recover
    assert items_of([victim.out])
    assert list((victim.out / "warc").glob("*.open"))


def test_redis_restarted_mid_crawl(site: dict[str, Any], redis_server: Any, redis_db: Any, tmp_path: Path) -> None:
    jobs = start_workers(tmp_path, redis_server.url, site["specs"], ["w0", "w1"], crawl="restart",
                         DOWNLOAD_DELAY=0.15, CONCURRENT_REQUESTS_PER_DOMAIN=1, DISTRIBUTED_LEASE_TIMEOUT=20,
                         DISTRIBUTED_REDIS_RETRIES=10, DISTRIBUTED_REDIS_BACKOFF=0.2,
                         DISTRIBUTED_REDIS_BACKOFF_MAX=1.0)
    start = len(site["server"].requests)
    wait_for(lambda: all_joined(redis_db, "restart", 2) and len(site["server"].requests) - start > 12,
             what="the crawl to get going")
    redis_server.stop(save=True)  # as a Redis with persistence would: the data survives the restart
    time.sleep(1.5)
    redis_server.start()
    wait(jobs)
    for job in jobs:
        assert job.result["exit_code"] == 0, log_text(tmp_path, job.worker_id)[-3000:]
    logs = log_text(tmp_path, "w0") + log_text(tmp_path, "w1")
    assert f"Redis at {redis_server.url}" in logs and "attempt" in logs
    assert_stored_once(items_of([j.out for j in jobs]), site["items"])


def test_redis_gone_stops_cleanly_and_the_next_run_finishes(site: dict[str, Any], redis_server: Any,
                                                             redis_db: Any, tmp_path: Path) -> None:
    common: dict[str, Any] = dict(DOWNLOAD_DELAY=0.15, CONCURRENT_REQUESTS_PER_DOMAIN=1, DISTRIBUTED_LEASE_TIMEOUT=3,
                                  DISTRIBUTED_REDIS_RETRIES=2, DISTRIBUTED_REDIS_BACKOFF=0.1,
                                  DISTRIBUTED_REDIS_TIMEOUT=2)
    jobs = start_workers(tmp_path, redis_server.url, site["specs"], ["w0", "w1"], crawl="gone", **common)
    start = len(site["server"].requests)
    wait_for(lambda: all_joined(redis_db, "gone", 2) and len(site["server"].requests) - start > 12,
             what="the crawl to get going")
    redis_server.stop(save=True)
    try:
        wait(jobs, timeout=60)
    finally:
        redis_server.start()
    for job in jobs:
        assert job.result["exit_code"] == 1
        assert job.result["stats"]["finish_reason"] == "redis-unavailable"
        assert f"Redis at {redis_server.url} unavailable" in log_text(tmp_path, job.worker_id)
        assert not list((job.out / "warc").glob("*.open"))
        for line in (job.out / "items.jsonl").read_text(encoding="utf-8").splitlines():
            json.loads(line)  # every line written stays whole
    written_before = ids(items_of([j.out for j in jobs]))
    # Redis is back (with what it had saved): the same workers finish the crawl
    again = wait(start_workers(tmp_path, redis_server.url, site["specs"], ["w0", "w1"], crawl="gone", **common))
    for job in again:
        assert job.result["exit_code"] == 0, log_text(tmp_path, job.worker_id)[-3000:]
    items = items_of([j.out for j in again])
    assert ids(items) == ids(site["items"]), "articles lost"
    # an item whose line was written just as Redis went away (its seen-store entry not sent) is
    # done again: stored twice at most, never lost (documented in README_SECTION.md)
    seen_once: set[str] = set()
    twice = {i["id"] for i in items if i["id"] in seen_once or seen_once.add(i["id"])}  # type: ignore[func-returns-value]
    assert twice <= written_before
    unique = list({i["id"]: i for i in items}.values())
    assert families(unique) == families(site["items"])


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "crawler.runs.cli", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=180, env=env)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_cli_redis_down_at_start_is_one_line_and_starts_nothing(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    proc = run_cli("harvest", "--redis-url", url, "--workers", "2", "--out", str(tmp_path / "out"),
                   "--sources-dir", str(REPO / "spiders" / "specs"),
                   "-s", "HEALTHCRAWL_CONTACT=mailto:archive@example.org")  # no placeholder-contact warning
    assert proc.returncode == 1
    message = (proc.stdout + proc.stderr).strip()
    assert message.startswith(f"healthcrawl: cannot reach Redis at {url}") and "\n" not in message
    assert not (tmp_path / "out" / "workers").exists()


def test_cli_demo_with_workers_gives_the_single_process_items(site: dict[str, Any], redis_server: Any,
                                                              redis_db: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_cli("demo", "--out", str(out), "--port", str(free_port()), "--redis-url", redis_server.url,
                   "--workers", "2")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "2 workers" in proc.stdout and proc.stdout.count("exit 0 (finished)") == 2
    folders = sorted((out / "workers").iterdir())
    folders = [f for f in folders if not f.name.startswith(".")]
    assert len(folders) == 2
    items = items_of(folders)
    # another port, so other ids: compare what was stored by URL path
    def path(url: str) -> str:
        return url.split("/", 3)[3]
    assert sorted(path(i["url"]) for i in items) == sorted(path(i["url"]) for i in site["items"])
    by_id = {i["id"]: path(i["url"]) for i in items}
    ref_by_id = {i["id"]: path(i["url"]) for i in site["items"]}
    assert {frozenset(by_id[m] for m in fam) for fam in families(items)} == \
        {frozenset(ref_by_id[m] for m in fam) for fam in families(site["items"])}
    assert f"new items {len(site['items'])}" in proc.stdout

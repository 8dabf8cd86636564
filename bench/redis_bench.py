"""Distributed-mode benchmark: crawl throughput with 2 workers vs 1 through Redis, and Redis
memory per 100,000 queued requests / request fingerprints / seen URLs / dedup members.

    python bench/redis_bench.py [--pages 1000] [--repeat 2] [--workers 1,2] [--redis-url URL] [--no-save]

Starts its own redis-server on a free loopback port (``--save "" --appendonly no``, a temporary
folder) unless ``--redis-url`` is given (that database is flushed!). Generates the site
(`bench.pages`), serves it (`bench.server`), and for each repeat and each worker count runs
what ``healthcrawl crawl URL --allow-private --redis-url URL --workers N`` runs
(`crawler.runs.workers.run_workers`; fresh crawl name, fresh output folder).
Throughput = pages fetched by all workers / wall time of the run, process start-up included
(about 1.5 s per run on 2 cores), and also / the longest worker's Scrapy ``elapsed_time_seconds``.

Memory: ``INFO memory`` ``used_memory`` before and after writing 100,000 entries of each kind
with the crawler's own code (scrapy-redis priority queue encoding of an article request, the
dupefilter's SHA1 fingerprints, `RedisSeenStore`, `RedisDedupIndex` at the default 128
permutations — the index is measured on 10,000 members and scaled).

On a machine with C cores, N workers cannot go faster than about min(N, C)× one worker: the
crawl is CPU-bound (extraction, WARC gzip) and the demo server shares the same cores.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pages import generate_site  # noqa: E402
from bench.server import BenchServer  # noqa: E402
from bench.summary import describe, fmt_spread, markdown_table, ratio, save_results  # noqa: E402

FAST = {"GUARD_ALLOW_PRIVATE": True, "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "LOG_LEVEL": "WARNING",
        "PROGRESS_ENABLED": False, "ROBOTSTXT_OBEY": False}


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis_bench: redis-server is not installed (apt-get install redis-server) "
                         "and no --redis-url was given")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    for _ in range(100):
        try:
            redis.Redis.from_url(url).ping()
            return proc, url
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"redis_bench: redis-server did not start on port {port}")


def crawl(site_url: str, redis_url: str, workers: int, out: Path, crawl_name: str, max_pages: int) -> dict[str, Any]:
    from crawler.runs.workers import run_workers

    started = time.monotonic()
    outcome = run_workers(out, redis_url=redis_url, workers=workers,
                          spider_kwargs={"urls": site_url, "max_pages": min(max_pages, 1000)},
                          overrides={**FAST, "DISTRIBUTED_CRAWL_NAME": crawl_name, "CRAWL_MAX_PAGES": max_pages},
                          kind="crawl")
    wall = time.monotonic() - started
    if outcome.exit_code != 0:
        raise SystemExit(f"redis_bench: crawl with {workers} workers failed:\n{outcome.summary}")
    pages = int(outcome.stats.get("response_received_count", 0))
    longest = 0.0  # the launcher sums stats over workers; the longest worker's engine time is wanted
    for result in (out / "workers" / ".jobs").glob("*.result.json"):
        longest = max(longest, float(json.loads(result.read_text())["stats"].get("elapsed_time_seconds", 0)))
    return {"workers": workers, "pages": pages, "items": int(outcome.stats.get("item_scraped_count", 0)),
            "wall_s": wall, "engine_s": longest, "pages_per_s": pages / wall,
            "engine_pages_per_s": pages / longest if longest else 0.0}


def used_memory(client: Any) -> int:
    return int(client.info("memory")["used_memory"])


def memory_per_100k(redis_url: str, n: int = 100_000) -> dict[str, float]:
    """Bytes of Redis memory per 100,000 entries of each kind (see module docstring)."""
    import redis
    import scrapy
    from scrapy_redis.queue import PriorityQueue

    from crawler.dedup import DedupSettings
    from crawler.dedup.minhash import MinHasher, band_keys, compact
    from crawler.distributed.seen_store import RedisSeenStore
    from crawler.distributed.dedup_index import RedisDedupIndex

    client = redis.Redis.from_url(redis_url)
    client.flushall()
    result: dict[str, float] = {}

    class _Spider(scrapy.Spider):
        name = "news"

        def parse_article(self, response: Any) -> None:  # the callback article requests carry
            return None

    spider = _Spider()
    queue = PriorityQueue(client, spider, "bench:requests")
    before = used_memory(client)
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        request = scrapy.Request(f"https://www.example-county.gov.cn/xwzx/2024{i % 12 + 1:02d}/t2024_{7000000 + i}.html",
                                 callback=spider.parse_article,
                                 meta={"hc_kind": "article", "hc_source": "example-county-health",
                                       "download_slot": "www.example-county.gov.cn"})
        pipe.execute_command("ZADD", "bench:requests", 0, queue._encode_request(request))
        if i % 1000 == 999:
            pipe.execute()
    pipe.execute()
    result["queued_requests"] = (used_memory(client) - before) * 100_000 / n

    before = used_memory(client)
    for start in range(0, n, 1000):
        client.sadd("bench:dupefilter", *[hashlib.sha1(str(i).encode()).hexdigest() for i in range(start, start + 1000)])
    result["dupefilter_fingerprints"] = (used_memory(client) - before) * 100_000 / n

    before = used_memory(client)
    seen = RedisSeenStore(client, key="bench:seen", commit_every=1000)
    for i in range(n):
        seen.add(f"https://www.example-county.gov.cn/xwzx/2024{i % 12 + 1:02d}/t2024_{7000000 + i}.html",
                 hashlib.sha1(str(i).encode()).hexdigest()[:16], "2024-03-01T08:00:00+00:00")
    seen.flush()
    result["seen_urls"] = (used_memory(client) - before) * 100_000 / n

    settings = DedupSettings()
    index = RedisDedupIndex(client, "bench:dedup", settings.index_params())
    hasher = MinHasher(settings.shingle_size, settings.num_perm)
    base = "县人民医院召开医共体建设推进会，部署家庭医生签约服务和慢病管理工作，推动优质医疗资源下沉基层。" * 8
    m = n // 10
    before = used_memory(client)
    for i in range(m):
        text = f"{i}号文件：" + base[i % 50:] + str(i)
        signature = hasher.signature(text)
        assert signature is not None
        member = index.add_member(hashlib.sha1(str(i).encode()).hexdigest()[:16], canonical_id=None, kind="new",
                                  similarity=None, content_key=i, site="www.example-county.gov.cn",
                                  published="2024-03-01", url=f"https://www.example-county.gov.cn/a/{i}.html",
                                  title=f"{i}号文件", sig=compact(signature))
        index.add_bands(member, band_keys(signature, settings.bands, settings.rows))  # type: ignore[arg-type]
    result["dedup_members"] = (used_memory(client) - before) * 100_000 / m
    client.flushall()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Distributed crawl throughput and Redis memory.")
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--redis-url", default=None, help="use this Redis (it is FLUSHED) instead of starting one")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    counts = [int(w) for w in args.workers.split(",") if w.strip()]
    site = generate_site(args.pages, args.seed)
    runs: dict[int, list[dict[str, Any]]] = {c: [] for c in counts}
    with tempfile.TemporaryDirectory(prefix="redis-bench-") as tmp:
        proc = None
        redis_url = args.redis_url
        if redis_url is None:
            proc, redis_url = start_redis(Path(tmp))
        try:
            with BenchServer(site) as server:
                url = server.base_url + "/"
                print(f"site: {args.pages} articles, {len(site.files)} files at {url}; Redis {redis_url}; "
                      f"{os.cpu_count()} CPUs", flush=True)
                for r in range(args.repeat):
                    for count in counts:
                        name = f"bench-{r}-{count}-{time.time_ns()}"
                        result = crawl(url, redis_url, count, Path(tmp) / name, name, len(site.files) + 100)
                        runs[count].append(result)
                        print(f"  run {r + 1}/{args.repeat} workers={count}: {result['pages']} pages, "
                              f"{result['items']} items in {result['wall_s']:.1f} s wall = "
                              f"{result['pages_per_s']:.1f} pages/s ({result['engine_pages_per_s']:.1f} by engine time)",
                              flush=True)
                        shutil.rmtree(Path(tmp) / name, ignore_errors=True)
            memory = memory_per_100k(redis_url)
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait()
    figures: dict[str, Any] = {}
    one = describe([x["pages_per_s"] for x in runs[counts[0]]])
    rows = []
    for count in counts:
        d = describe([x["pages_per_s"] for x in runs[count]])
        e = describe([x["engine_pages_per_s"] for x in runs[count]])
        figures[str(count)] = {"pages_per_s": d, "engine_pages_per_s": e,
                               "ratio_to_first": ratio(d["median"], one["median"])}
        rows.append([count, runs[count][0]["pages"], fmt_spread(d), fmt_spread(e),
                     f"{figures[str(count)]['ratio_to_first']:.2f}×"])
    table = markdown_table(["workers", "pages", "pages/s wall median (min–max)", "pages/s engine time",
                            f"vs {counts[0]} worker"], rows)
    mem_rows = [[kind, f"{b / 1e6:.1f} MB", f"{b * 10 / 1e6:.0f} MB"] for kind, b in memory.items()]
    mem_table = markdown_table(["Redis data", "per 100,000", "per 1,000,000 (×10)"], mem_rows)
    print()
    print(f"Distributed crawl of {args.pages} generated articles through Redis, {args.repeat} runs each, "
          f"{os.cpu_count()} CPUs:")
    print(table)
    print()
    print(mem_table)
    if not args.no_save:
        path = save_results("redis", {"params": vars(args), "figures": figures, "memory_bytes_per_100k": memory,
                                      "runs": {str(k): v for k, v in runs.items()}, "table": table,
                                      "memory_table": mem_table})
        print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

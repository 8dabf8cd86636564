"""Crawl benchmark: full healthcrawl pipeline vs Scrapy + bare trafilatura, same pages, same run.

    python bench/crawl_bench.py [--pages 2000] [--repeat 3] [--workers 0,2] [--seed 1]

Generates the site (`bench.pages`), serves it on 127.0.0.1 (`bench.server`, in this process)
and, `--repeat` times and interleaved, crawls it in a fresh child process with:
`baseline` (`bench/baseline_spider.py`: Scrapy + `trafilatura.extract`, no archive) and
`full, EXTRACT_WORKERS=N` for every N in `--workers` (`bench/crawl_once.py`: what
`healthcrawl crawl URL --allow-private` runs — archive, extraction, tags, dedup, store).
Both use the same downloader settings (no delay, no autothrottle, 16 requests, 8 per host).

Throughput is pages fetched / Scrapy's `elapsed_time_seconds` (engine start to close; the
child's import time is left out, the same for both). Prints the median, the range and the
ratio of medians to the baseline, a markdown table, and writes
`bench/results/crawl-<stamp>.json` (every run's raw numbers). Targets: one process ≥ 0.8×
baseline; with a pool of 2 on 2 cores ≥ 1.3× baseline.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pages import generate_site  # noqa: E402
from bench.server import BenchServer  # noqa: E402
from bench.summary import PYTHON, describe, fmt_spread, markdown_table, ratio, run_json, save_results  # noqa: E402

BENCH = Path(__file__).resolve().parent


def crawl_baseline(url: str, max_pages: int) -> dict[str, Any]:
    return run_json([PYTHON, str(BENCH / "baseline_spider.py"), url, "--max-pages", str(max_pages)])


def crawl_full(url: str, max_pages: int, workers: int, out: Path, extra: list[str]) -> dict[str, Any]:
    try:
        return run_json([PYTHON, str(BENCH / "crawl_once.py"), url, "--out", str(out),
                         "--workers", str(workers), "--max-pages", str(max_pages), *extra])
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Full pipeline vs Scrapy + bare trafilatura crawl throughput.")
    parser.add_argument("--pages", type=int, default=2000, help="article pages on the generated site")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", default="0,2", help="comma list of EXTRACT_WORKERS values to run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    args = parser.parse_args(argv)
    pools = [int(w) for w in args.workers.split(",") if w.strip()]
    site = generate_site(args.pages, args.seed)
    max_pages = len(site.files) + 100
    variants = ["baseline"] + [f"full-w{w}" for w in pools]
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    with BenchServer(site) as server, tempfile.TemporaryDirectory(prefix="crawl-bench-") as tmp:
        url = server.base_url + "/"
        print(f"site: {args.pages} articles, {len(site.files)} files, {site.size_bytes / 1e6:.1f} MB at {url}",
              flush=True)
        for r in range(args.repeat):
            for variant in variants:
                if variant == "baseline":
                    result = crawl_baseline(url, max_pages)
                else:
                    workers = int(variant.split("-w")[1])
                    result = crawl_full(url, max_pages, workers, Path(tmp) / f"{variant}-{r}", [])
                result["pages_per_s"] = result["pages"] / result["elapsed"]
                runs[variant].append(result)
                print(f"  run {r + 1}/{args.repeat} {variant:<10} {result['pages']} pages in "
                      f"{result['elapsed']:.1f} s = {result['pages_per_s']:.1f} pages/s", flush=True)
    figures: dict[str, Any] = {}
    base = describe([x["pages_per_s"] for x in runs["baseline"]])
    for variant in variants:
        d = describe([x["pages_per_s"] for x in runs[variant]])
        paired = [x["pages_per_s"] / b["pages_per_s"] for x, b in zip(runs[variant], runs["baseline"])]
        figures[variant] = {"pages_per_s": d, "ratio_to_baseline": ratio(d["median"], base["median"]),
                            "paired_ratios": paired}
    for variant in variants:
        cpu = [(x.get("cpu_main_s") or 0) / x["pages"] * 1000 for x in runs[variant] if "cpu_main_s" in x]
        figures[variant]["main_cpu_ms_per_page"] = describe(cpu) if cpu else None
    rows = [[v, runs[v][0]["pages"], fmt_spread(figures[v]["pages_per_s"]),
             f"{figures[v]['pages_per_s']['spread_pct']:.0f}%", f"{figures[v]['ratio_to_baseline']:.2f}×",
             f"{figures[v]['main_cpu_ms_per_page']['median']:.1f}" if figures[v]["main_cpu_ms_per_page"] else "–"]
            for v in variants]
    table = markdown_table(["crawl", "pages", "pages/s median (min–max)", "spread", "vs baseline",
                            "main-process CPU ms/page"], rows)
    print()
    print(f"Crawl of {args.pages} generated articles, {args.repeat} runs each "
          "(baseline = Scrapy + bare trafilatura, no archive):")
    print(table)
    if not args.no_save:
        path = save_results("crawl", {"params": vars(args), "figures": figures, "runs": runs, "table": table})
        print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

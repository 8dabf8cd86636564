"""Memory benchmark: peak RSS of a crawl and of a replay at two collection sizes.

    python bench/memory_bench.py [--sizes 2000,20000] [--workers 0]

For each size: the full-pipeline crawl of the generated site that makes the WARC collection
(`bench.collection`; the crawl is the measurement, so it runs once per size and commit and is cached —
set `HEALTHCRAWL_BENCH_CACHE` to a fresh folder to measure again) and a replay of that
collection (`bench/replay_once.py`, with `--workers`), each in its own child process; peak RSS
is the child's own high-water mark (`VmHWM`; `ru_maxrss` would include this driver's memory
at fork), and for the replay also the summed RSS of its process tree sampled every 0.2 s
(pool workers included when `--workers` > 0). Prints the peaks, the ratio of the largest size to the
smallest and a markdown table; writes `bench/results/memory-<stamp>.json`.
Target: peak at 20,000 pages ≤ 1.2× peak at 2,000. The 20,000-page crawl takes 5–10 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.collection import collection_crawl, ensure_collection  # noqa: E402
from bench.summary import PYTHON, REPO, markdown_table, save_results  # noqa: E402

BENCH = Path(__file__).resolve().parent


def _tree_rss_kb(root: int) -> int:
    """Summed RSS (kB) of `root` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/status") as fh:
                kb = next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = kb
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack += children.get(pid, [])
    return total


def replay_peak(warc_dir: Path, workers: int) -> dict[str, Any]:
    """Run one replay child; its own peak RSS and the peak summed RSS of its process tree."""
    with tempfile.TemporaryDirectory(prefix="memory-bench-") as tmp:
        cmd = [PYTHON, str(BENCH / "replay_once.py"), "replay", str(warc_dir), "--out", str(Path(tmp) / "out"),
               "--workers", str(workers)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO)
        peak = [0]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        out, _ = proc.communicate()
        stop.set()
        sampler.join()
    result = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
    result["tree_peak_rss_kb"] = peak[0]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Peak RSS of crawl and replay at two sizes.")
    parser.add_argument("--sizes", default="2000,20000")
    parser.add_argument("--workers", type=int, default=0, help="replay pool size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    rows_data: dict[int, dict[str, Any]] = {}
    for size in sizes:
        t0 = time.monotonic()
        warc_dir = ensure_collection(size, args.seed)
        crawl = collection_crawl(size, args.seed)
        replay = replay_peak(warc_dir, args.workers)
        rows_data[size] = {"crawl": crawl, "replay": replay, "seconds": round(time.monotonic() - t0, 1)}
        print(f"  {size} pages: crawl peak {crawl['max_rss_kb'] / 1024:.0f} MB, replay peak "
              f"{replay['max_rss_kb'] / 1024:.0f} MB (tree {replay['tree_peak_rss_kb'] / 1024:.0f} MB)", flush=True)
    small, large = sizes[0], sizes[-1]

    def growth(kind: str, key: str) -> float:
        return rows_data[large][kind][key] / rows_data[small][kind][key]

    rows = [[size, f"{d['crawl']['max_rss_kb'] / 1024:.0f}", f"{d['replay']['max_rss_kb'] / 1024:.0f}",
             f"{d['replay']['tree_peak_rss_kb'] / 1024:.0f}"] for size, d in rows_data.items()]
    rows.append([f"{large} / {small}", f"{growth('crawl', 'max_rss_kb'):.2f}×", f"{growth('replay', 'max_rss_kb'):.2f}×",
                 f"{growth('replay', 'tree_peak_rss_kb'):.2f}×"])
    table = markdown_table(["articles", "crawl peak RSS MB", f"replay peak RSS MB (workers={args.workers})",
                            "replay process tree peak MB"], rows)
    print()
    print(table)
    if not args.no_save:
        path = save_results("memory", {"params": vars(args), "sizes": rows_data, "table": table,
                                       "growth": {"crawl": growth("crawl", "max_rss_kb"),
                                                  "replay": growth("replay", "max_rss_kb")}})
        print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

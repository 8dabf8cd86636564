"""Replay benchmark: `healthcrawl replay` vs bare warcio + trafilatura over the same WARCs.

    python bench/replay_bench.py [--pages 2000] [--repeat 3] [--workers 0,2] [--read]

Makes (or reuses, see `bench.collection`) a WARC collection by crawling the generated site,
then `--repeat` times, interleaved, each in a fresh child process (`bench/replay_once.py`):
`baseline` — `warcio.ArchiveIterator` over the files and `trafilatura.extract` on every 200
HTML response, nothing stored — and `replay, workers=N` for every N in `--workers` —
`run_replay` (read with the archive reader, extract, tag, dedup, store). Throughput is
response records per second of work (imports excluded). Checks that every pool size wrote
exactly the items (same bytes, same order) that `workers=0` wrote. Prints medians, ranges,
ratios to the baseline and a markdown table; writes `bench/results/replay-<stamp>.json`.
Targets: replay ≤ 1.5× the baseline's cost in one process, faster than it with the pool.
`--read` adds reading alone (no extraction): `read-warcio` (`ArchiveIterator(check_digests=True)`
and every body decoded) and `read` (`archive.reader.iter_records`, the same work); target:
`read` at least as fast as `read-warcio` on the same files (`--read-only`: just those two;
the table's baseline is then `read-warcio`).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.collection import ensure_collection  # noqa: E402
from bench.summary import PYTHON, describe, fmt_spread, markdown_table, ratio, run_json, save_results  # noqa: E402

BENCH = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Replay throughput vs bare warcio + trafilatura.")
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", default="0,2", help="comma list of replay pool sizes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--warc-dir", type=Path, default=None, help="replay this collection instead")
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--read", action="store_true", help="also time reading alone (ours vs warcio)")
    parser.add_argument("--read-only", action="store_true", help="time only reading alone (ours vs warcio)")
    args = parser.parse_args(argv)
    pools = [int(w) for w in args.workers.split(",") if w.strip()]
    warc_dir = args.warc_dir or ensure_collection(args.pages, args.seed)
    args.read = args.read or args.read_only
    variants = ([] if args.read_only else ["baseline"] + [f"replay-w{w}" for w in pools]) + \
        (["read-warcio", "read"] if args.read else [])
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    digests: dict[str, set[str]] = {v: set() for v in variants if v.startswith("replay-")}
    print(f"collection: {warc_dir}", flush=True)
    with tempfile.TemporaryDirectory(prefix="replay-bench-") as tmp:
        for r in range(args.repeat):
            for variant in variants:
                if variant in ("baseline", "read", "read-warcio"):
                    result = run_json([PYTHON, str(BENCH / "replay_once.py"), variant, str(warc_dir)])
                else:
                    out = Path(tmp) / f"{variant}-{r}"
                    result = run_json([PYTHON, str(BENCH / "replay_once.py"), "replay", str(warc_dir), "--out",
                                       str(out), "--workers", variant.split("-w")[1]])
                    digests[variant].add(hashlib.sha256((out / "items.jsonl").read_bytes()).hexdigest())
                    shutil.rmtree(out, ignore_errors=True)
                result["records_per_s"] = result["responses"] / result["seconds"]
                runs[variant].append(result)
                print(f"  run {r + 1}/{args.repeat} {variant:<11} {result['responses']} responses in "
                      f"{result['seconds']:.1f} s = {result['records_per_s']:.1f} records/s", flush=True)
    identical = args.read_only or len(set().union(*digests.values())) == 1
    base = describe([x["records_per_s"] for x in runs[variants[0]]])
    figures: dict[str, Any] = {}
    for variant in variants:
        d = describe([x["records_per_s"] for x in runs[variant]])
        figures[variant] = {"records_per_s": d, "ratio_to_baseline": ratio(d["median"], base["median"]),
                            "cost_vs_baseline": ratio(base["median"], d["median"])}
    rows = [[v, runs[v][0]["responses"], fmt_spread(figures[v]["records_per_s"]),
             f"{figures[v]['records_per_s']['spread_pct']:.0f}%", f"{figures[v]['ratio_to_baseline']:.2f}×",
             f"{figures[v]['cost_vs_baseline']:.2f}×"] for v in variants]
    table = markdown_table(["replay", "responses", "records/s median (min–max)", "spread", "speed vs baseline",
                            "cost vs baseline"], rows)
    print()
    what = f"{args.warc_dir}" if args.warc_dir else f"a {args.pages}-article collection"
    print(f"Replay of {what}, {args.repeat} runs each "
          "(baseline = warcio + bare trafilatura, nothing stored):")
    print(table)
    print(f"items identical across pool sizes: {identical}")
    if args.read:
        speed = ratio(figures["read"]["records_per_s"]["median"], figures["read-warcio"]["records_per_s"]["median"])
        cpu = {v: describe([x["cpu_seconds"] for x in runs[v]]) for v in ("read", "read-warcio")}
        figures["read_vs_warcio"] = {"wall": speed,
                                     "cpu_median": ratio(cpu["read-warcio"]["median"], cpu["read"]["median"]),
                                     "cpu": ratio(cpu["read-warcio"]["min"], cpu["read"]["min"])}
        print(f"reading alone: archive.reader {speed:.2f}× warcio's ArchiveIterator by median wall time, "
              f"{figures['read_vs_warcio']['cpu_median']:.2f}× by median CPU time, "
              f"{figures['read_vs_warcio']['cpu']:.2f}× by best-run CPU time ({cpu['read']['min']:.2f} s vs "
              f"{cpu['read-warcio']['min']:.2f} s; target ≥ 1.00×)")
    if not args.no_save:
        path = save_results("replay", {"params": {**vars(args), "warc_dir": str(warc_dir)}, "figures": figures,
                                       "runs": runs, "items_identical_across_pools": identical, "table": table})
        print(f"\nresults: {path}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())

"""Time our extraction against bare trafilatura on the same pages, in the same run.

    python bench/bench_extract.py PAGES_DIR [--repeat N] [--cpu]

For every *.html page: decode+extract+normalise (`extract_page`, default `Extractor`) and
`trafilatura.extract(raw bytes)`; each timed as the best of N runs. Prints the median and
the spread (p10-p90) of both, and the median per-page ratio ours/trafilatura. `--cpu` times
with `time.process_time` (this process's CPU time) instead of the wall clock: on a machine
that other jobs load, wall-clock ratios scatter widely; CPU time does not.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import trafilatura  # noqa: E402

from crawler.extract import Extractor, extract_page  # noqa: E402
from crawler.extract.result import NotAnArticle  # noqa: E402


_CLOCK = time.perf_counter


def _best_of(repeat: int, func) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        start = _CLOCK()
        func()
        best = min(best, _CLOCK() - start)
    return best


def _ours(body: bytes, url: str, extractor: Extractor) -> None:
    try:
        extract_page(body, url=url, headers={}, extractor=extractor)
    except NotAnArticle:
        pass


def _spread(values: list[float]) -> str:
    qs = statistics.quantiles(values, n=10) if len(values) >= 2 else values * 9
    return f"median {statistics.median(values) * 1000:7.1f} ms  p10 {qs[0] * 1000:6.1f}  p90 {qs[-1] * 1000:6.1f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pages_dir", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cpu", action="store_true", help="time CPU (time.process_time), not the wall clock")
    args = ap.parse_args(argv)
    global _CLOCK
    _CLOCK = time.process_time if args.cpu else time.perf_counter
    pages = sorted(args.pages_dir.glob("*.html"))
    if not pages:
        raise SystemExit(f"no *.html pages in {args.pages_dir}")
    extractor = Extractor()
    ours, base, ratios = [], [], []
    for path in pages:
        body = path.read_bytes()
        url = f"http://localhost/{path.name}"
        _ours(body, url, extractor)  # warm caches (OpenCC, lexicon)
        t_ours = _best_of(args.repeat, lambda: _ours(body, url, extractor))
        t_base = _best_of(args.repeat, lambda: trafilatura.extract(body, url=url))
        ours.append(t_ours)
        base.append(t_base)
        ratios.append(t_ours / t_base if t_base else float("inf"))
    print(f"pages: {len(pages)}")
    print(f"ours        {_spread(ours)}")
    print(f"trafilatura {_spread(base)}")
    print(f"ratio ours/trafilatura per page: median {statistics.median(ratios):.2f}  "
          f"max {max(ratios):.2f}; ratio of medians {statistics.median(ours) / statistics.median(base):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

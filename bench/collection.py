"""A WARC collection of the generated site, made by a real crawl and kept for reuse.

`ensure_collection(pages, seed)` returns the `warc/` folder of a full-pipeline crawl
(`bench/crawl_once.py`, one process) of `generate_site(pages, seed)` served by `bench.server`;
it is made once and kept in `$HEALTHCRAWL_BENCH_CACHE` (default: the system temp folder,
`healthcrawl-bench/collection-<pages>-<seed>/`) — a 2,000-page collection takes about a
minute to crawl, 20,000 pages about ten.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pages import generate_site  # noqa: E402
from bench.server import BenchServer  # noqa: E402
from bench.summary import PYTHON, run_json  # noqa: E402

BENCH = Path(__file__).resolve().parent


def cache_dir() -> Path:
    return Path(os.environ.get("HEALTHCRAWL_BENCH_CACHE") or Path(tempfile.gettempdir()) / "healthcrawl-bench")


def ensure_collection(pages: int, seed: int = 1, *, workers: int = 0) -> Path:
    """The `warc/` folder of a crawl of the generated site (crawled now unless cached)."""
    root = cache_dir() / f"collection-{pages}-{seed}"
    done = root / "done"
    if done.exists():
        return root / "warc"
    shutil.rmtree(root, ignore_errors=True)
    site = generate_site(pages, seed)
    with BenchServer(site) as server:
        result = run_json([PYTHON, str(BENCH / "crawl_once.py"), server.base_url + "/", "--out", str(root),
                           "--workers", str(workers), "--max-pages", str(len(site.files) + 100)])
    if result["exit_code"] != 0 or result["pages"] < pages:
        raise RuntimeError(f"crawl for the {pages}-page collection failed: {result}")
    done.write_text(json.dumps(result) + "\n")
    return root / "warc"


def collection_crawl(pages: int, seed: int = 1) -> dict[str, object]:
    """The numbers `crawl_once` printed for the crawl that made the collection."""
    ensure_collection(pages, seed)
    return json.loads((cache_dir() / f"collection-{pages}-{seed}" / "done").read_text())

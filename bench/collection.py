"""A WARC collection of the generated site, made by a real crawl and kept for reuse.

`ensure_collection(pages, seed)` returns the `warc/` folder of a full-pipeline crawl
(`bench/crawl_once.py`, one process) of `generate_site(pages, seed)` served by `bench.server`;
it is made once per commit and kept in `$HEALTHCRAWL_BENCH_CACHE` (default: the system temp
folder, `healthcrawl-bench/collection-<pages>-<seed>/`; a collection made by another commit
is crawled again) — a 2,000-page collection takes about half a minute to crawl, 20,000 pages
about six.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
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


def code_version() -> str:
    """The commit the benchmark runs (`git rev-parse HEAD`), or "unknown" outside a checkout."""
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=BENCH.parent, capture_output=True, text=True,
                              check=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def ensure_collection(pages: int, seed: int = 1, *, workers: int = 0) -> Path:
    """The `warc/` folder of a crawl of the generated site (crawled now unless cached by a
    crawl of the same commit: the memory benchmark reports that crawl's peak RSS, which must
    not come from older code)."""
    root = cache_dir() / f"collection-{pages}-{seed}"
    done = root / "done"
    if done.exists():
        try:
            made_by = json.loads(done.read_text()).get("code")
        except (OSError, ValueError, AttributeError):
            made_by = None
        if made_by == code_version():
            return root / "warc"
    shutil.rmtree(root, ignore_errors=True)
    site = generate_site(pages, seed)
    with BenchServer(site) as server:
        result = run_json([PYTHON, str(BENCH / "crawl_once.py"), server.base_url + "/", "--out", str(root),
                           "--workers", str(workers), "--max-pages", str(len(site.files) + 100)])
    if result["exit_code"] != 0 or result["pages"] < pages:
        raise RuntimeError(f"crawl for the {pages}-page collection failed: {result}")
    done.write_text(json.dumps({**result, "code": code_version()}) + "\n")
    return root / "warc"


def collection_crawl(pages: int, seed: int = 1) -> dict[str, object]:
    """The numbers `crawl_once` printed for the crawl that made the collection."""
    ensure_collection(pages, seed)
    return json.loads((cache_dir() / f"collection-{pages}-{seed}" / "done").read_text())

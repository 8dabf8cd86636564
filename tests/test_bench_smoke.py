"""Smoke test of the benchmarks (bench/): each command runs end to end on a tiny site.

Nothing here is timed; it checks that the page generator makes the three page kinds, the
server serves them, and that the crawl, replay and memory benchmarks run, print their table
and (replay) find the same items with and without the extraction pool.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.pages import ARTICLES_PER_LISTING, generate_site  # noqa: E402
from bench.server import BenchServer  # noqa: E402


def run_bench(script: str, *args: str, cache: Path) -> str:
    proc = subprocess.run([sys.executable, str(REPO / "bench" / script), *args, "--no-save"], cwd=REPO,
                          capture_output=True, text=True, timeout=240,
                          env={**os.environ, "HEALTHCRAWL_BENCH_CACHE": str(cache)})
    assert proc.returncode == 0, f"{script} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr[-3000:]}"
    return proc.stdout


def test_site_is_deterministic_and_has_every_kind() -> None:
    site = generate_site(45, seed=7)
    assert site.files == generate_site(45, seed=7).files
    assert site.files != generate_site(45, seed=8).files
    assert len(site.article_paths) == 45
    assert len(site.listing_paths) == -(-45 // ARTICLES_PER_LISTING)
    county = [p for p in site.article_paths if p.startswith("/county/")]
    wechat = [p for p in site.article_paths if p.startswith("/s/")]
    assert county and wechat
    ctype, body = site.files[county[0]]
    assert ctype == "text/html" and b"charset=gb2312" in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "发布时间" in body.decode("gbk")
    assert b'id="js_content"' in site.files[wechat[0]][1]
    sitemap = site.files["/sitemap.xml"][1].decode()
    assert all(p in sitemap for p in site.article_paths)
    listed = b"".join(site.files[p][1] for p in site.listing_paths)
    assert all(p.encode() in listed for p in site.article_paths)


def test_server_serves_the_site_and_404() -> None:
    site = generate_site(5)
    with BenchServer(site) as server:
        path = site.article_paths[0]
        with urllib.request.urlopen(server.base_url + path) as response:
            assert response.read() == site.files[path][1]
        with urllib.request.urlopen(server.base_url + "/sitemap.xml") as response:
            assert f"<loc>{server.base_url}{path}</loc>" in response.read().decode()
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(server.base_url + "/missing.html")
        assert info.value.code == 404


def test_crawl_bench_runs(tmp_path: Path) -> None:
    out = run_bench("crawl_bench.py", "--pages", "8", "--repeat", "1", "--workers", "0", cache=tmp_path)
    assert "| baseline |" in out and "| full-w0 |" in out


def test_replay_and_memory_benches_run(tmp_path: Path) -> None:
    out = run_bench("replay_bench.py", "--pages", "8", "--repeat", "1", "--workers", "0,2", cache=tmp_path)
    assert "| replay-w2 |" in out
    assert "items identical across pool sizes: True" in out
    out = run_bench("memory_bench.py", "--sizes", "8,10", cache=tmp_path)
    assert "| 10 / 8 |" in out
    done = json.loads((tmp_path / "collection-8-1" / "done").read_text())
    assert done["exit_code"] == 0 and done["pages"] >= 8

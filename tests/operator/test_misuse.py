"""Misuse of a command: one line on stderr naming what is wrong, exit 2, never a traceback.
Each case runs the real command in a subprocess; a missing extra is simulated by a module of
the same name that cannot be imported, first on PYTHONPATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO, run_cli

PAGE = REPO / "tests" / "golden" / "pages" / "hexo_blog_post.html"


def _blocked(tmp_path: Path, *modules: str) -> dict[str, str]:
    """An environment in which importing each of `modules` fails as if it were not installed."""
    shadow = tmp_path / "shadow"
    shadow.mkdir(exist_ok=True)
    for name in modules:
        (shadow / f"{name}.py").write_text(f"raise ModuleNotFoundError(\"No module named '{name}'\", name={name!r})\n")
    return {"PYTHONPATH": os.pathsep.join([str(shadow), str(REPO)])}


def _one_line(proc: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize(("args", "needle"), [
    (["demo", "--port", "99999"], "port must be 1-65535, got '99999'"),
    (["serve-demo", "--port", "http"], "not a port number: 'http'"),
    (["extract", str(PAGE), "--url", "notaurl"], "bad --url 'notaurl'"),
    (["dedup-report", "--out", "/missing"], "/missing/dedup.sqlite"),
    (["export", "--format", "csv", "/no/items.jsonl", "--out", "x.csv"], "no such items file: /no/items.jsonl"),
    (["harvest", "-s", "DOWNLOAD_DELAY"], "-s expects NAME=VALUE"),
    (["harvest", "-L", "LOUD"], "invalid choice: 'LOUD'"),
    (["export", "--format", "csv", str(PAGE), "--out", str(REPO)], "is a folder; give the file to write"),
    (["export", "--format", "csv", str(PAGE), "--out", f"{PAGE}/x.csv"], f"cannot write {PAGE}/x.csv"),
    (["status", "/missing"], "no such folder: /missing"),
])
def test_misuse_is_one_line_and_exit_2(args: list[str], needle: str) -> None:
    assert needle in _one_line(run_cli(*args))


def test_parquet_without_pyarrow_names_the_export_extra(tmp_path: Path) -> None:
    items = tmp_path / "items.jsonl"
    items.write_text("", encoding="utf-8")
    proc = run_cli("export", "--format", "parquet", str(items), "--out", str(tmp_path / "x.parquet"),
                   env=_blocked(tmp_path, "pyarrow"))
    line = _one_line(proc)
    assert "[export]" in line and "pip install 'healthcrawl[export]'" in line and "pyarrow" in line
    assert not (tmp_path / "x.parquet").exists()


@pytest.mark.parametrize("command", [["demo"], ["harvest"], ["crawl", "http://example.cn/"]])
def test_redis_url_without_the_redis_extra(tmp_path: Path, command: list[str]) -> None:
    proc = run_cli(*command, "--out", str(tmp_path / "out"), "--redis-url", "redis://127.0.0.1:1/0",
                   env=_blocked(tmp_path, "redis", "scrapy_redis"))
    line = _one_line(proc)
    assert "--redis-url needs the [redis] extra" in line and "pip install 'healthcrawl[redis]'" in line
    assert not (tmp_path / "out" / "items.jsonl").exists()


@pytest.mark.parametrize("command", [["demo"], ["crawl", "http://example.cn/"], ["harvest"]])
def test_output_folder_that_is_a_file(command: list[str]) -> None:
    proc = run_cli(*command, "--out", str(PAGE))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.strip() == f"healthcrawl: output folder {PAGE} is a file, not a folder"  # as a harvest says it


def test_serve_demo_on_a_taken_port() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        line = _one_line(run_cli("serve-demo", "--port", str(port), timeout=60))
    assert f"cannot serve on 127.0.0.1:{port}: Address already in use" in line


def test_version() -> None:
    from crawler import __version__

    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"healthcrawl {__version__}"


def test_scrapy_crawl_with_an_unknown_source(tmp_path: Path) -> None:
    feed = tmp_path / "items.jsonl"
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("scrapy")), "crawl", "news", "-a", "source=unknown", "-O", str(feed),
         "-s", f"HEALTHCRAWL_OUT={tmp_path / 'out'}"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    line = _one_line(proc)
    assert line.startswith("scrapy crawl news: unknown source 'unknown'; known: ")
    assert not feed.exists()

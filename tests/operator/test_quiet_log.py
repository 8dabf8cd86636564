"""What the operator sees: under cron one line per unreachable host naming the cause (no
tracebacks), `-L/--loglevel` and `--logfile`, and on a terminal a live view instead of Scrapy's
INFO log. Every case runs the real command in a subprocess."""

from __future__ import annotations

import json
import os
import pty
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import REPO, free_port, run_cli

SPEC = """name = "{name}"
title = "unreachable {name}"
homepage = "{url}"
region = {{ province = "贵州省", code = "520000" }}
verified_offline = true

[[listing]]
url = "{url}index.html"
article_links = "/a/\\\\d+\\\\.html$"
max_pages = 2

[politeness]
download_delay = 0.0
concurrency = 2
"""


@pytest.fixture()
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a download times out)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


@pytest.fixture()
def unreachable_specs(tmp_path: Path, silent_port: int) -> Path:
    specs = tmp_path / "specs"
    specs.mkdir()
    urls = {"u-dns": "http://no-such-host.invalid/list/", "u-refused": f"http://127.0.0.1:{free_port()}/list/",
            "u-timeout": f"http://127.0.0.1:{silent_port}/list/"}
    for name, url in urls.items():
        (specs / f"{name}.toml").write_text(SPEC.format(name=name, url=url), encoding="utf-8")
    return specs


FAST = ["--allow-private", "-s", "DOWNLOAD_TIMEOUT=2", "-s", "RETRY_TIMES=1", "-s", "HEALTHCRAWL_CONTACT=mailto:ops@example.org"]


def test_cron_names_each_unreachable_host_once(unreachable_specs: Path, tmp_path: Path) -> None:
    proc = run_cli("harvest", "--sources-dir", str(unreachable_specs), "--out", str(tmp_path / "out"), *FAST)
    assert proc.returncode == 1, proc.stderr  # nothing reachable: a person must look
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 3, proc.stderr
    causes = {re.search(r"(\S+) unreachable: ([a-zA-Z ]+) \(", line).groups() for line in lines}  # type: ignore[union-attr]
    hosts = {host.split(":")[0] for host, _ in causes}
    assert hosts == {"no-such-host.invalid", "127.0.0.1"}
    assert {cause for _, cause in causes} == {"DNS lookup failed", "connection refused", "timeout"}
    assert "u-dns" in proc.stdout and "exit 1" in proc.stdout  # the summary


def test_loglevel_and_logfile_in_a_new_folder(unreachable_specs: Path, tmp_path: Path) -> None:
    log = tmp_path / "logs" / "new" / "harvest.log"
    proc = run_cli("harvest", "--sources-dir", str(unreachable_specs), "--sources", "u-refused",
                   "--out", str(tmp_path / "out"), *FAST, "-L", "info", "--logfile", str(log))
    assert proc.returncode == 1
    assert proc.stderr == ""  # the log went to the file
    text = log.read_text(encoding="utf-8")
    assert "[scrapy.core.engine] INFO: Spider opened" in text
    assert "unreachable: connection refused" in text and "Traceback" not in text


def test_a_terminal_shows_the_live_view_not_the_info_log(tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "crawler.runs.cli", "demo", "--out", str(tmp_path / "out"),
                             "-s", "PROGRESS_INTERVAL=0.2"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=follower, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    out, _ = proc.communicate(timeout=240)
    os.close(leader)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, screen[-2000:]
    assert re.search(r"pages \d+ · items \d+ · .* pages/s · queue \d+ · errors \d+", screen), screen[-2000:]
    assert "\r\x1b[K" in screen  # one line, rewritten in place
    assert " INFO: " not in screen and "Traceback" not in screen
    assert "new items" in out


def test_an_adhoc_crawl_counts_no_index_page_as_failure(demo_server: object, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_cli("crawl", f"{demo_server.base_url}/blog/index.html", "--out", str(out),  # type: ignore[attr-defined]
                   "--max-pages", "12", *FAST)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no warning per index page
    (report,) = (out / "reports").glob("run-*.json")
    sources = json.loads(report.read_text(encoding="utf-8"))["sources"]
    assert sum(row["new_items"] for row in sources.values()) > 0
    assert all(row["failures"] == {} for row in sources.values()), sources

"""The test helpers, one package imported one way (`from support import …`,
`from support.<module> import …`; `tests/` is on the path through its conftest.py).

Here: the repository root, running the CLI in a subprocess (Scrapy's reactor cannot restart
inside one process), free ports, item readers, `unavailable` (skip locally, fail under CI).
Modules:

- `support.servers` — every local test server: static sites on loopback addresses
  (`StaticSite`), the hostile server (`HostileServer`), and the demo and CMS fixture sites
  (`DemoServer`, `CmsSite`, from `crawler.demo`);
- `support.hardening` — running crawls against the hostile server, with peak memory;
- `support.archives` — writing canned captures with the real writer, splitting gzip members;
- `support.distributed` — starting and watching Redis worker processes.

Fixtures that use them are in conftest.py files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str, timeout: float = 240, env: dict[str, str] | None = None,
            check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `python -m crawler.runs.cli ARGS` from the repository root; returns the completed process."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env.setdefault("PYTHONUNBUFFERED", "1")
    proc = subprocess.run([sys.executable, "-m", "crawler.runs.cli", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, env=full_env)
    if check and proc.returncode != 0:
        raise AssertionError(f"healthcrawl {' '.join(args)} exited {proc.returncode}\n"
                             f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}")
    return proc


def unavailable(message: str) -> None:
    """A program or data set a test needs is missing: skip with the reason locally, fail under
    CI (`CI` set), where `.ci/run` installs everything and nothing may skip."""
    import pytest

    if os.environ.get("CI"):
        pytest.fail(f"required under CI: {message}")
    pytest.skip(message)


def free_port() -> int:
    """A port nothing listens on right now (for `healthcrawl demo --port`)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def families(items: list[dict[str, Any]]) -> set[frozenset[str]]:
    """Repost families as sets of ids (a canonical item and everything linked to it)."""
    groups: dict[str, set[str]] = {}
    for item in items:
        groups.setdefault(item["duplicate_of"] or item["id"], set()).add(item["id"])
    return {frozenset(g) for g in groups.values()}


def read_items(path: Path) -> list[dict[str, Any]]:
    """The items of a JSON-lines file in file order, with their current ``duplicate_of``: relink
    records (`crawler.dedup.links`) are applied and left out."""
    from crawler.dedup.links import apply_links, read_relinks

    if not path.exists():
        return []
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return list(apply_links(lines, read_relinks([path])))

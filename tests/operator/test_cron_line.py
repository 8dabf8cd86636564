"""The cron line of docs/operations.md, run as cron runs it on a fresh machine's first night:
`/bin/sh -c`, a bare environment, no terminal, no output or log folder yet."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

from support import REPO, read_items

from crawler.runs.demo import render_specs


def cron_line() -> str:
    text = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- cron-line:[^>]*-->\s*```\n(.+?)\n```", text, re.S)
    assert block, "docs/operations.md lost its cron line"
    fields = block.group(1).split(None, 5)
    assert len(fields) == 6 and fields[:5] == ["15", "3", "*", "*", "*"]
    return fields[5]


def test_the_cron_line_works_on_the_first_night(demo_server: Any, tmp_path: Path) -> None:
    etc, srv = tmp_path / "etc", tmp_path / "srv"
    specs = render_specs(demo_server.base_url, etc / "specs")
    config = etc / "healthcrawl.toml"
    config.write_text(f'contact = "mailto:ops@example.org"\nsources_dir = "specs"\nout = "{srv / "harvest"}"\n'
                      "[settings]\nGUARD_ALLOW_PRIVATE = true\nAUTOTHROTTLE_ENABLED = false\n", encoding="utf-8")
    line = (cron_line().replace("/srv/healthcrawl/healthcrawl.toml", str(config))
            .replace("/srv/healthcrawl", str(REPO)).replace("/srv/harvest", str(srv / "harvest")))
    assert not srv.exists()
    proc = subprocess.run(["/bin/sh", "-c", line], env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SHELL": "/bin/sh"},
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = srv / "harvest"
    assert (out / "logs").is_dir() and (out / "report.html").is_file()
    assert len(read_items(out / "items.jsonl")) >= 20 and len(list(specs.glob("*.toml"))) >= 5
    assert proc.stderr == ""  # a quiet night: no warning, no traceback
    assert "exit 0" in proc.stdout and f"report: {out / 'reports'}" in proc.stdout

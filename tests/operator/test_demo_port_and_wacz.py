"""The demo never fails because its default port is taken: a fresh folder gets a free port,
remembered in the folder, so a rerun stays incremental. `--wacz` packages the run's WARCs."""

from __future__ import annotations

import json
import re
import socket
import zipfile
from pathlib import Path

from support import read_items, run_cli

from crawler.runs.demo import DEMO_PORT, PORT_FILE


def test_taken_default_port_then_an_incremental_rerun_and_a_wacz(tmp_path: Path) -> None:
    out = tmp_path / "out"
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", DEMO_PORT))  # already taken by someone else is as good
        holder.listen(1)
    except OSError:
        pass
    try:
        first = run_cli("demo", "--out", str(out), "--wacz")
        assert first.returncode == 0, first.stdout + first.stderr
        port = int((out / PORT_FILE).read_text(encoding="ascii"))
        assert port != DEMO_PORT
        assert f"demo site served at http://127.0.0.1:{port}" in first.stdout
        items = read_items(out / "items.jsonl")
        assert len(items) > 20
        wacz = out / "out.wacz"
        assert f"wrote {wacz}:" in first.stdout
        with zipfile.ZipFile(wacz) as package:
            pages = [json.loads(line) for line in package.read("pages/pages.jsonl").decode().splitlines()[1:]]
        assert {p["url"] for p in pages} == {i["url"] for i in items}

        again = run_cli("demo", "--out", str(out))
        assert again.returncode == 0, again.stderr
        assert f"demo site served at http://127.0.0.1:{port}" in again.stdout
        assert re.search(r"new items 0 ", again.stdout), again.stdout
        assert len(read_items(out / "items.jsonl")) == len(items)
    finally:
        holder.close()

"""Indexing a closed WARC file never runs on the thread that writes captures (Scrapy's reactor
thread): `RunState` hands it to its `healthcrawl-cdxj` thread, and waits for it only at close."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from support.faults import cdxj_indexer_lines
from scrapy.utils.test import get_crawler

import archive.cdxj
from crawler.extensions.run_state import RunState


def _capture(writer: Any, n: int) -> Any:
    return writer.write_capture(url=f"http://a.cn/{n}.html", method="GET", request_headers=[("Host", "a.cn")],
                                request_body=b"", status=200, reason="OK",
                                response_headers=[("Content-Type", "text/html")], body=os.urandom(4000))


def test_rotation_indexes_off_the_writing_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import crawler.settings as defaults

    settings = {k: getattr(defaults, k) for k in dir(defaults) if k.startswith("ARCHIVE_")}
    settings.update(HEALTHCRAWL_OUT=str(tmp_path), ARCHIVE_MAX_SIZE=20_000)
    crawler = get_crawler(settings_dict=settings)
    state = RunState(crawler)
    real = archive.cdxj.merge_into_index
    seen: list[str] = []
    release = threading.Event()

    def slow_merge(index: Any, paths: Any) -> Any:
        seen.append(threading.current_thread().name)
        release.wait(10)   # an index that takes long to write
        return real(index, paths)

    monkeypatch.setattr(archive.cdxj, "merge_into_index", slow_merge)
    writer = state.writer
    t0 = time.monotonic()
    for n in range(12):             # several rotations
        _capture(writer, n)
    assert time.monotonic() - t0 < 5, "captures waited for indexing"
    assert len(writer.closed_files) >= 2
    release.set()
    state.close()
    assert seen and all(name.startswith("healthcrawl-cdxj") for name in seen), seen
    warc = tmp_path / "warc"
    assert (warc / "index.cdxj").read_text("utf-8").splitlines() == cdxj_indexer_lines(warc)

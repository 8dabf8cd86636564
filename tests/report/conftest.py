"""Shared fixtures for the run-report tests: a small run with known numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crawler.report import RunStats, write_report, write_text_report


def _item(n: int, source: str, published: str | None, region_code: str | None) -> dict[str, Any]:
    region = (
        [{"code": region_code, "name": "x", "full_name": "x", "level": "county", "matched": "x"}]
        if region_code
        else []
    )
    return {
        "id": f"{n:016x}",
        "url": f"http://127.0.0.1/{source}/{n}.html",
        "site": f"{source}.example",
        "source_name": source,
        "title": f"文章{n}",
        "published": published,
        "regions": region,
        "publisher_region": None,
    }


@pytest.fixture()
def run() -> tuple[RunStats, list[dict[str, Any]], list[dict[str, Any]]]:
    stats = RunStats(started_at="2025-04-07T21:00:00+08:00", duration_seconds=125.5)
    gz = stats.source("gz-nanming")
    gz.pages_fetched, gz.new_items, gz.duplicates, gz.not_modified, gz.seconds = 40, 5, 2, 7, 100.0
    gz.add_failure("http_404", "http://127.0.0.1/gz/missing1.html")
    gz.add_failure("http_404", "http://127.0.0.1/gz/missing2.html")
    sc = stats.source("sc-jianyang")
    sc.pages_fetched, sc.new_items, sc.duplicates = 12, 2, 1
    sc.add_failure("timeout", "http://127.0.0.1/sc/slow.html")
    sc.add_failure("http_404", "http://127.0.0.1/sc/gone.html")
    items = [
        _item(1, "gz-nanming", "2022-03-18T14:01:00+08:00", "520102"),
        _item(2, "gz-nanming", "2022-03-18", "520102"),
        _item(3, "gz-nanming", "2022-03-19", "520300"),
        _item(4, "gz-nanming", None, None),
        _item(5, "gz-nanming", "2022-03-17", "441200"),
        _item(6, "sc-jianyang", "2025-04-07T21:22:00+08:00", "510185"),
        _item(7, "sc-jianyang", "2025-04-07", "510185"),
    ]
    clusters = [
        {"title": "南明区夯实公共卫生体系", "members": [
            {"url": "http://a/1", "site": "a.example"}, {"url": "http://b/1", "site": "b.example"}]},
        {"title": "简阳市医共体建设", "members": [
            {"url": "http://a/2", "site": "a.example"}, {"url": "http://c/2", "site": "c.example"},
            {"url": "http://d/2", "site": "d.example"}]},
    ]
    return stats, items, clusters


@pytest.fixture()
def report_dir(tmp_path: Path, run) -> Path:  # type: ignore[no-untyped-def]
    stats, items, clusters = run
    write_report(tmp_path, stats, items, clusters, title="healthcrawl 测试运行")
    write_text_report(tmp_path, stats, items, clusters, title="healthcrawl 测试运行")
    return tmp_path

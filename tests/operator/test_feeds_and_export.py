"""Scrapy's own feed exports hold plain values (JSON text in CSV/XML cells); an empty feed because
everything is already stored says so; `healthcrawl export` filters, one rule for repeated ids,
typed Parquet timestamps, a BOM for CSV."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import lxml.etree
import pandas as pd
import pytest
from support import REPO, run_cli

from crawler.items import Article, RegionTag
from crawler.runs.demo import render_specs
from crawler.store.export import ExportFilter, export

NESTED = ("regions", "publisher_region", "topics", "quality", "authors")


def _scrapy_crawl(specs: Path, out: Path, *feeds: Path) -> subprocess.CompletedProcess[str]:
    args = [a for feed in feeds for a in ("-O", str(feed))]
    return subprocess.run([str(Path(sys.executable).with_name("scrapy")), "crawl", "news", "-a", f"sources_dir={specs}",
                           "-a", "source=demo-blog", "-s", f"HEALTHCRAWL_OUT={out}", "-s", "GUARD_ALLOW_PRIVATE=1",
                           *args], cwd=REPO, capture_output=True, text=True, timeout=240, check=False)


def test_scrapy_feeds_hold_plain_values_and_an_empty_one_says_why(demo_server: Any, tmp_path: Path) -> None:
    specs = render_specs(demo_server.base_url, tmp_path / "specs")
    out = tmp_path / "out"
    feeds = [tmp_path / name for name in ("items.json", "items.jsonl", "items.csv", "items.xml")]
    proc = _scrapy_crawl(specs, out, *feeds)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    stored = [json.loads(line) for line in (out / "items.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(stored) >= 5
    as_json = json.loads(feeds[0].read_text(encoding="utf-8"))
    as_lines = [json.loads(line) for line in feeds[1].read_text(encoding="utf-8").splitlines()]
    assert as_json == as_lines == stored  # the very items the store wrote, nested values as JSON
    assert all(isinstance(i["regions"], list) and isinstance(i["publisher_region"], dict) for i in as_json)
    rows = list(csv.DictReader(io.StringIO(feeds[2].read_text(encoding="utf-8"))))
    xml = lxml.etree.parse(str(feeds[3])).getroot()
    assert len(rows) == len(xml) == len(stored)
    for item, row, element in zip(stored, rows, xml):
        for key in NESTED:
            assert json.loads(row[key]) == item[key], (key, row[key])
            assert json.loads(element.findtext(key)) == item[key], key
        assert "RegionTag(" not in row["regions"] and "code='" not in row["publisher_region"]
        assert row["title"] == element.findtext("title") == item["title"]

    again = _scrapy_crawl(specs, out, feeds[1])
    assert again.returncode == 0
    assert feeds[1].read_text(encoding="utf-8") == ""
    (line,) = again.stderr.strip().splitlines()
    assert line.startswith("scrapy crawl news: 0 items exported: ") and str(out) in line and "already stores" in line


def _article(n: int, title: str, *, published: str | None, source: str = "s1", duplicate_of: str | None = None) -> Article:
    region = RegionTag(code="520102", name="南明区", full_name="贵州省贵阳市南明区", level="county")
    return Article(id=f"{n:016x}", url=f"http://127.0.0.1/{n}.html", canonical_url=f"http://127.0.0.1/{n}.html",
                   title=title, published=published, text="南明区医共体建设。", site="127.0.0.1", source_name=source,
                   fetched_at="2025-04-07T13:22:00+00:00", script="zh-Hans", charset="utf-8", content_hash="h",
                   duplicate_of=duplicate_of, publisher_region=region, regions=[region], topics=["医共体/医联体"],
                   disclosure_written="2022-03-01")


@pytest.fixture()
def items(tmp_path: Path) -> Path:
    path = tmp_path / "items.jsonl"
    rows = [_article(1, "旧标题", published="2022-03-18"),
            _article(2, "二", published="2022-03-19T09:30:00+08:00", source="s2"),
            _article(3, "三", published=None),
            _article(4, "转载", published="2022-04-01", duplicate_of=f"{2:016x}"),
            _article(1, "新标题", published="2022-03-18")]  # id 1 again: the newer extraction
    path.write_text("".join(a.model_dump_json() + "\n" for a in rows), encoding="utf-8")
    return path


def test_one_rule_for_repeated_ids_in_every_format(items: Path, tmp_path: Path) -> None:
    expected = [f"{2:016x}", f"{3:016x}", f"{4:016x}", f"{1:016x}"]  # the last copy, at its place
    assert export([items], "parquet", tmp_path / "a.parquet") == 4
    assert export([items], "csv", tmp_path / "a.csv") == 4
    assert export([items], "sqlite", tmp_path / "a.sqlite") == 4
    frame = pd.read_parquet(tmp_path / "a.parquet")
    table = pd.read_csv(tmp_path / "a.csv", dtype=str)
    with sqlite3.connect(tmp_path / "a.sqlite") as con:
        db = con.execute("SELECT id, title FROM articles ORDER BY rowid").fetchall()
    assert list(frame["id"]) == list(table["id"]) == [i for i, _ in db] == expected
    assert frame["title"].iloc[-1] == table["title"].iloc[-1] == db[-1][1] == "新标题"


def test_parquet_timestamps_are_typed(items: Path, tmp_path: Path) -> None:
    export([items], "parquet", tmp_path / "a.parquet")
    frame = pd.read_parquet(tmp_path / "a.parquet")
    assert str(frame["published"].dtype) == "datetime64[us, UTC]" and str(frame["fetched_at"].dtype) == "datetime64[us, UTC]"
    by_id = frame.set_index("id")
    assert by_id.loc[f"{2:016x}", "published"] == pd.Timestamp("2022-03-19T01:30:00Z")
    assert by_id.loc[f"{1:016x}", "published"] == pd.Timestamp("2022-03-17T16:00:00Z")  # a date: midnight +08:00
    assert pd.isna(by_id.loc[f"{3:016x}", "published"])
    assert str(by_id.loc[f"{1:016x}", "disclosure_written"]) == "2022-03-01"


def test_filters(items: Path, tmp_path: Path) -> None:
    def ids(keep: ExportFilter) -> list[int]:
        export([items], "csv", tmp_path / "f.csv", keep=keep)
        return [int(i, 16) for i in pd.read_csv(tmp_path / "f.csv", dtype=str)["id"]]

    assert ids(ExportFilter(since=pd.Timestamp("2022-03-19").date())) == [2, 4]
    assert ids(ExportFilter(sources={"s2"})) == [2]
    assert ids(ExportFilter(no_reposts=True)) == [2, 3, 1]


def test_cli_options_and_bom(items: Path, tmp_path: Path) -> None:
    out = tmp_path / "excel.csv"
    proc = run_cli("export", "--format", "csv", str(items), "--out", str(out), "--bom", "--since", "2022-03-18",
                   "--source", "s1,s2", "--no-reposts")
    assert proc.returncode == 0 and proc.stdout.strip() == f"exported 2 items to {out}", proc.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "新标题".encode() in raw
    assert list(pd.read_csv(out, encoding="utf-8-sig", dtype=str)["title"]) == ["二", "新标题"]
    for args, needle in [(["--bom", "--format", "sqlite"], "--bom is for --format csv"),
                         (["--since", "yesterday", "--format", "csv"], "not a date (YYYY-MM-DD): 'yesterday'")]:
        bad = run_cli("export", str(items), "--out", str(tmp_path / "x"), *args)
        assert bad.returncode == 2 and needle in bad.stderr and len(bad.stderr.strip().splitlines()) == 1

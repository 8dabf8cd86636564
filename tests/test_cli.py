"""The `healthcrawl` command: extract on a page of each seed kind, usage errors, export of a
demo run into pandas / DuckDB / SQLite full-text search."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from support import REPO, free_port, read_items, run_cli

from crawler.items import Article

GOLDEN = REPO / "tests" / "golden"
SEED_KINDS = ["hexo_blog_post", "wechat_park_repost", "wechat_phrase_lines", "chinanews_sichuan", "local_portal_gbk"]


@pytest.mark.parametrize("name", SEED_KINDS)
def test_extract_prints_the_item_of_each_seed_kind(name: str) -> None:
    page = GOLDEN / "pages" / f"{name}.html"
    expected = json.loads((GOLDEN / "expected" / f"{name}.json").read_text(encoding="utf-8"))
    proc = run_cli("extract", str(page), "--url", f"http://example.cn/{name}.html")
    assert proc.returncode == 0, proc.stderr
    item = Article.model_validate_json(proc.stdout)
    assert item.title == expected["title"]
    assert item.published == expected["published"]
    assert item.text == expected["text"]
    assert item.url == f"http://example.cn/{name}.html"
    assert item.regions, "extract tags regions too"


def test_extract_refuses_a_page_without_article(tmp_path: Path) -> None:
    page = tmp_path / "nav.html"
    page.write_text("<html><body><a href='/a'>首页</a> <a href='/b'>新闻</a></body></html>", encoding="utf-8")
    proc = run_cli("extract", str(page))
    assert proc.returncode == 1
    assert str(page) in proc.stderr and "no article" in proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["extract", "/no/such/file.html"], "cannot read /no/such/file.html"),
        (["crawl", "not-a-url"], "'not-a-url'"),
        (["crawl", "--max-pages", "0", "http://example.cn/"], "must be positive"),
        (["harvest", "--sources", "no-such-source"], "unknown source 'no-such-source'"),
        (["export", "--format", "xml", "x.jsonl", "--out", "y"], "invalid choice: 'xml'"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args: list[str], needle: str) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_sources_lists_and_validates() -> None:
    proc = run_cli("sources")
    assert proc.returncode == 0
    assert "source specs valid" in proc.stdout and "not verified offline" in proc.stdout


@pytest.fixture(scope="module")
def demo_items(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo-export") / "out"
    run_cli("demo", "--out", str(out), "--port", str(free_port()), check=True)
    return out / "items.jsonl"


def test_export_of_the_demo_run_loads_in_pandas_and_duckdb(demo_items: Path, tmp_path: Path) -> None:
    import duckdb
    import pandas as pd

    items = read_items(demo_items)
    parquet = tmp_path / "items.parquet"
    proc = run_cli("export", "--format", "parquet", str(demo_items), "--out", str(parquet))
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_parquet(parquet)
    assert len(frame) == len(items) and set(frame["id"]) == {i["id"] for i in items}
    count = duckdb.sql(f"SELECT count(*) FROM read_parquet('{parquet}') WHERE list_contains(topics, '医共体/医联体')"
                       ).fetchall()[0][0]
    assert count == sum("医共体/医联体" in i["topics"] for i in items) > 0
    csv = tmp_path / "items.csv"
    assert run_cli("export", "--format", "csv", str(demo_items), "--out", str(csv)).returncode == 0
    assert list(pd.read_csv(csv)["id"]) == [i["id"] for i in items]


def test_sqlite_export_full_text_search(demo_items: Path, tmp_path: Path) -> None:
    db = tmp_path / "items.sqlite"
    proc = run_cli("export", "--format", "sqlite", str(demo_items), "--out", str(db))
    assert proc.returncode == 0, proc.stderr
    items = read_items(demo_items)
    expected = {i["id"] for i in items if "医共体" in i["title"] or "医共体" in i["text"]}
    assert expected
    with sqlite3.connect(db) as conn:
        got = {row[0] for row in conn.execute(
            "SELECT a.id FROM articles_fts f JOIN articles a ON a.rowid = f.rowid WHERE articles_fts MATCH '医共体'")}
    assert got == expected


# Hand-labelled: the place each demo story is about (title prefix -> region it must carry).
DEMO_REGIONS = {
    "赤水市远程医疗": "贵州省遵义市赤水市", "新蒲新区": "贵州省遵义市", "汇川区": "贵州省遵义市汇川区",
    "仁怀市": "贵州省遵义市仁怀市", "连州": "广东省清远市连州市", "守护“她”健康": "四川省凉山彝族自治州会理市",
    "家庭医生:群众身边": "湖南省邵阳市新宁县", "医改春风惠民生": "湖南省郴州市资兴市", "宜章县": "湖南省郴州市宜章县",
    "湄潭县": "贵州省遵义市湄潭县", "云岩区": "贵州省贵阳市云岩区", "花溪区": "贵州省贵阳市花溪区",
    "观山湖区": "贵州省贵阳市观山湖区", "南明区": "贵州省贵阳市南明区", "习水县": "贵州省遵义市习水县",
    "雅安名山": "四川省雅安市名山区", "眉山仁寿": "四川省眉山市仁寿县", "简阳市": "四川省成都市简阳市",
    "广安岳池": "四川省广安市岳池县", "白云区": "贵州省贵阳市白云区", "十年砥砺前行": "广东省肇庆市",
    "乌当区": "贵州省贵阳市乌当区", "泸州古蔺": "四川省泸州市古蔺县", "南充西充": "四川省南充市西充县",
    "宜宾兴文": "四川省宜宾市兴文县",
}


def test_region_tags_of_the_demo_items(demo_items: Path) -> None:
    labelled = 0
    for item in read_items(demo_items):
        wanted = [full for prefix, full in DEMO_REGIONS.items() if item["title"].startswith(prefix)]
        regions = [r["full_name"] for r in item["regions"]]
        if wanted:
            labelled += 1
            assert wanted[0] in regions, (item["title"], regions)
        assert item["publisher_region"] is not None, item["url"]
        assert item["topics"] and item["relevance"] > 0.5, (item["title"], item["topics"])
    assert labelled >= 25


def test_wacz_command_packages_the_demo_run(demo_items: Path, tmp_path: Path) -> None:
    import zipfile

    out = tmp_path / "demo.wacz"
    proc = run_cli("wacz", str(demo_items.parent / "warc"), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(out) as package:
        names = package.namelist()
        pages = package.read("pages/pages.jsonl").decode("utf-8")
    assert "datapackage.json" in names and any(n.startswith("archive/") for n in names)
    assert sum(1 for line in pages.splitlines() if '"url"' in line) == len(read_items(demo_items))
    bad = run_cli("wacz", str(tmp_path / "nowhere"), "--out", str(out))
    assert bad.returncode == 2 and "nowhere" in bad.stderr

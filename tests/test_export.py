"""Exports of JSON-lines items to Parquet, CSV and SQLite (FTS5 trigram)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from crawler.store.export import ExportWarning, export, search_sqlite
from crawler.items import Article, RegionTag

NANMING = RegionTag(code="520102", name="南明区", full_name="贵州省贵阳市南明区", level="county", matched="南明区")
JIANYANG = RegionTag(code="510185", name="简阳市", full_name="四川省成都市简阳市", level="county", matched="简阳市")


def article(n: int, title: str, text: str, *, topics: list[str], regions: list[RegionTag],
            published: str | None = "2022-03-18T14:01:00+08:00") -> Article:
    return Article(
        id=f"{n:016x}", url=f"http://127.0.0.1:8080/news/{n}.html", canonical_url=f"http://127.0.0.1:8080/news/{n}.html",
        title=title, published=published, text=text, source="中新网四川" if n % 2 else None, author="吴平华",
        site="127.0.0.1", source_name="sc-jianyang", fetched_at="2025-04-07T13:22:00+00:00",
        script="zh-Hant" if n == 2 else "zh-Hans", opencc_config="t2s.json" if n == 2 else None,
        charset="utf-8", content_hash=f"{n:040x}", quality=["readings_removed"] if n == 2 else [],
        warc_filename="hc-0001.warc.gz", warc_offset=1024 * n, publisher_region=regions[0] if regions else None,
        regions=regions, topics=topics, relevance=0.9 if topics else 0.0,
    )


ARTICLES = [
    article(1, "南明区:夯实公共卫生体系", "南明区融合发展医联体+医共体,加快医疗基础设施建设。",
            topics=["医共体/医联体", "公共卫生与疾控"], regions=[NANMING]),
    article(2, "简阳市:医共体建设让基层群众有“医靠”", "高质量推进紧密型县域医共体建设,医保报销更便捷。",
            topics=["医共体/医联体", "医保"], regions=[JIANYANG]),
    article(3, "全市医保参保率稳步提升", "城乡居民医保参保人数达到120万,异地就医直接结算。",
            topics=["医保"], regions=[], published=None),
    article(4, "男篮世预赛中国队主场获胜", "比赛第三节中国队连续得分,最终取胜。", topics=[], regions=[]),
]


@pytest.fixture()
def items_files(tmp_path: Path) -> list[Path]:
    a = tmp_path / "items-0001.jsonl"
    b = tmp_path / "items-0002.jsonl"
    a.write_text("".join(x.model_dump_json() + "\n" for x in ARTICLES[:2]), encoding="utf-8")
    b.write_text(
        ARTICLES[2].model_dump_json() + "\n"
        + "{not json\n"
        + json.dumps({"id": "x"}) + "\n"
        + "\n"
        + ARTICLES[3].model_dump_json() + "\n",
        encoding="utf-8",
    )
    return [a, b]


def test_bad_lines_are_skipped_and_named(items_files: list[Path], tmp_path: Path) -> None:
    with pytest.warns(ExportWarning) as caught:
        n = export(items_files, "csv", tmp_path / "out.csv")
    assert n == 4
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2
    assert messages[0].startswith(f"{items_files[1]}:2:")
    assert messages[1].startswith(f"{items_files[1]}:3:") and "url" in messages[1]


def test_parquet_in_pandas_and_duckdb(items_files: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "articles.parquet"
    with pytest.warns(ExportWarning):
        assert export(items_files, "parquet", out) == 4
    df = pd.read_parquet(out)
    assert list(df["id"]) == [a.id for a in ARTICLES]
    assert list(df.columns) == list(Article.model_fields)
    assert df.loc[1, "title"] == "简阳市:医共体建设让基层群众有“医靠”"
    assert list(df.loc[1, "topics"]) == ["医共体/医联体", "医保"]
    assert df.loc[0, "regions"][0]["full_name"] == "贵州省贵阳市南明区"
    assert pd.isna(df.loc[2, "published"])
    assert df["warc_offset"].tolist() == [1024, 2048, 3072, 4096]

    rows = duckdb.sql(
        f"SELECT t, count(*) FROM (SELECT unnest(topics) AS t FROM read_parquet('{out}')) GROUP BY t ORDER BY t"
    ).fetchall()
    assert dict(rows) == {"医共体/医联体": 2, "医保": 2, "公共卫生与疾控": 1}
    rows = duckdb.sql(f"SELECT publisher_region.code FROM read_parquet('{out}') WHERE id = '{ARTICLES[1].id}'").fetchall()
    assert rows == [("510185",)]
    assert duckdb.read_parquet(str(out)).shape == (4, len(Article.model_fields))


def test_csv_in_pandas(items_files: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "articles.csv"
    with pytest.warns(ExportWarning):
        export(items_files, "csv", out)
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # plain UTF-8, no BOM
    df = pd.read_csv(out, encoding="utf-8", keep_default_na=False)
    assert list(df["title"]) == [a.title for a in ARTICLES]
    assert json.loads(df.loc[1, "topics"]) == ["医共体/医联体", "医保"]
    assert json.loads(df.loc[0, "regions"])[0]["code"] == "520102"
    assert df.loc[2, "publisher_region"] == ""
    assert "医共体" in df.loc[1, "text"]


def test_sqlite_fts(items_files: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "articles.sqlite"
    with pytest.warns(ExportWarning):
        export(items_files, "sqlite", out)
    con = sqlite3.connect(out)
    ids = [r[0] for r in con.execute(
        "SELECT a.id FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid "
        "WHERE articles_fts MATCH '医共体' ORDER BY a.id")]
    assert ids == [ARTICLES[0].id, ARTICLES[1].id]
    # title-only column filter
    ids = [r[0] for r in con.execute(
        "SELECT a.id FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid "
        "WHERE articles_fts MATCH 'title:医共体'")]
    assert ids == [ARTICLES[1].id]
    # nested fields are JSON text usable with json_each
    topics = {r[0] for r in con.execute("SELECT j.value FROM articles, json_each(articles.topics) j")}
    assert topics == {"医共体/医联体", "公共卫生与疾控", "医保"}
    # trigram cannot match 2-character queries: that is why search_sqlite falls back to LIKE
    assert con.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH '医保'").fetchone() == (0,)
    con.close()
    assert [i for i, _ in search_sqlite(out, "医保")] == [ARTICLES[1].id, ARTICLES[2].id]
    assert {i for i, _ in search_sqlite(out, "医共体")} == {ARTICLES[0].id, ARTICLES[1].id}
    assert search_sqlite(out, "世预赛")[0][0] == ARTICLES[3].id


def test_reexport_replaces_and_errors_name_things(items_files: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "a.sqlite"
    with pytest.warns(ExportWarning):
        export(items_files, "sqlite", out)
    export(items_files[:1], "sqlite", out)
    assert sqlite3.connect(out).execute("SELECT count(*) FROM articles").fetchone() == (2,)
    with pytest.raises(ValueError, match="unknown export format 'xlsx'"):
        export(items_files, "xlsx", tmp_path / "x")  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError, match="missing.jsonl"):
        export([tmp_path / "missing.jsonl"], "csv", tmp_path / "x.csv")

"""The fields issue 16 added reach the item and every export format."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

from crawler.extract import Extractor
from crawler.items import EXTRACTOR_VERSION
from crawler.pages.process import CapturedPage, fetched_at, process_page
from crawler.store.export import export

PAGES = Path(__file__).resolve().parents[1] / "golden" / "pages"


def _item(name: str, url: str):  # type: ignore[no-untyped-def]
    body = (PAGES / f"{name}.html").read_bytes()
    return process_page(CapturedPage(url=url, status=200, headers={}, body=body, fetched_at=fetched_at()), Extractor())


def test_new_fields_in_item_and_every_export(tmp_path: Path) -> None:
    gov = _item("gov_disclosure_xxgk", "http://wsjkw.sc.gov.cn/scwsjkw/gggs/2022/3/9/a.shtml")
    news = _item("news_multi_author", "https://www.chinanews.example/jk/2022/03-09/9697012.shtml")
    wechat = _item("wechat_list_dek", "https://mp.weixin.qq.com/s/Xk2bW9rTq5LmN8cVd3eFgA")
    assert (gov.disclosure_index, gov.disclosure_issuer, gov.disclosure_doc_no) == (
        "11510000MB1E12345X/2022-00123", "四川省卫生健康委员会", "川卫办发〔2022〕12号")
    assert (gov.disclosure_written, gov.disclosure_published, gov.disclosure_topic) == (
        "2022-03-01", "2022-03-09", "卫生、体育\\医药管理")
    assert (news.authors, news.author, news.date_source) == (["上官云", "宋宇晟"], "上官云 宋宇晟", "byline")
    assert (wechat.account, wechat.date_source) == ("健康肇庆", "script")
    assert gov.extractor_version == EXTRACTOR_VERSION == "healthcrawl-extract/3"
    items = tmp_path / "items.jsonl"
    items.write_text("".join(a.model_dump_json() + "\n" for a in (gov, news, wechat)), encoding="utf-8")
    export([items], "csv", tmp_path / "a.csv")
    rows = list(csv.DictReader((tmp_path / "a.csv").open(encoding="utf-8")))
    assert rows[0]["disclosure_doc_no"] == "川卫办发〔2022〕12号" and json.loads(rows[1]["authors"]) == news.authors
    assert rows[2]["account"] == "健康肇庆"
    export([items], "sqlite", tmp_path / "a.db")
    with sqlite3.connect(tmp_path / "a.db") as db:
        got = db.execute("select disclosure_written, authors, date_source from articles order by rowid").fetchall()
    assert got[0][0] == "2022-03-01" and json.loads(got[1][1]) == news.authors and got[2][2] == "script"
    export([items], "parquet", tmp_path / "a.parquet")
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "a.parquet").to_pylist()
    assert table[1]["authors"] == news.authors and table[0]["disclosure_topic"] == gov.disclosure_topic

"""The item model: what a line of items.jsonl may hold."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from crawler.items import Article
from crawler.pages.process import content_hash
from crawler.urls import article_id, canonicalize_url

BASE = {
    "url": "http://wjw.example.gov.cn/xwzx/t20220318_1.html?utm_source=x",
    "title": "南明区:夯实公共卫生体系", "text": "第一段。\n第二段。", "site": "wjw.example.gov.cn",
    "fetched_at": "2026-11-25T08:00:00+00:00", "script": "zh-Hans", "charset": "gb18030",
}


def article(**changes: object) -> Article:
    data = dict(BASE)
    canonical = canonicalize_url(str(data["url"]))
    data.update(id=article_id(canonical), canonical_url=canonical, content_hash=content_hash(str(data["text"])))
    data.update(changes)
    return Article.model_validate(data)


def test_id_is_stable_and_derived_from_the_canonical_url() -> None:
    item = article()
    assert item.canonical_url == "http://wjw.example.gov.cn/xwzx/t20220318_1.html"
    assert item.id == article_id(canonicalize_url("HTTP://WJW.example.gov.cn:80/xwzx/t20220318_1.html#top"))
    assert len(item.id) == 16
    assert item.duplicate_of is None and item.quality == [] and item.extractor_version


@pytest.mark.parametrize("published", ["2022-03-18", "2022-03-18T14:01:00+08:00", None])
def test_published_accepts_iso_dates_and_datetimes(published: str | None) -> None:
    assert article(published=published).published == published


@pytest.mark.parametrize(
    ("field", "value"),
    [("published", "2022年3月18日"), ("published", "18/03/2022"), ("fetched_at", "yesterday"),
     ("script", "zh-Latn"), ("colour", "blue")],
)
def test_bad_fields_are_refused_with_their_name(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as err:
        article(**{field: value})
    assert field in str(err.value)


def test_json_round_trip() -> None:
    item = article(published="2022-03-18T14:01:00+08:00", quality=["t2s"], topics=["医共体/医联体"])
    assert Article.model_validate_json(item.model_dump_json()) == item

"""Golden pages: one per kind of source, extracted and compared field by field.

Each `pages/NAME.html` imitates a seed kind around the seed text (verbatim), and each
`pages/demo_SECTION.html` is one page of that section of the bundled demo site as its server
sends it (bytes, Content-Type, URL); the reviewed item is `expected/NAME.json`. To add a page, drop the files in and run
`python -m tests.golden.regenerate NAME`, then review the new JSON by eye.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/ has no __init__.py

from tests.golden.regenerate import EXPECTED, FIELDS, extract_golden, golden_names  # noqa: E402

HOW_TO_FIX = ("If the change is intended, run `python -m tests.golden.regenerate {name}` and "
              "review `git diff tests/golden/expected/{name}.json` by eye before committing.")


@pytest.mark.parametrize("name", golden_names())
def test_golden_page(name: str) -> None:
    expected_file = EXPECTED / f"{name}.json"
    assert expected_file.exists(), f"no expected/{name}.json. " + HOW_TO_FIX.format(name=name)
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    actual = extract_golden(name)
    for field in FIELDS:
        assert actual[field] == expected.get(field), (
            f"{name}: field {field!r} differs\n  expected: {expected.get(field)!r}\n"
            f"  actual:   {actual[field]!r}\n" + HOW_TO_FIX.format(name=name))


def test_golden_set_covers_every_seed_kind() -> None:
    assert len(golden_names()) >= 5
    sections = ("chinanews", "county", "wechat", "portal", "blog", "repost")
    missing = [s for s in sections if f"demo_{s}" not in golden_names()]
    assert not missing, f"no golden page for demo section(s) {missing}"


# Each extraction trait of issue 16 has at least one golden page showing it (the page holds
# the trait's real markup; its expected JSON was reviewed by eye).
TRAITS = {
    "comments inside a paragraph keep their text": ["county_portal_gb2312_tables"],
    "a logo or site-name heading is never the title": ["blog_logo_heading"],
    "every author named, role words stripped, editor apart": ["news_multi_author", "county_portal_gb2312_tables"],
    "meta / .author .name / WeChat author and account": ["blog_logo_heading", "wechat_list_dek"],
    "URL-path date fallback": ["blog_logo_heading"],
    "info-cell date in parentheses over lines": ["county_portal_gb2312_tables"],
    "disclosure table as fields, notice as text": ["gov_disclosure_xxgk", "gov_zhengce_table"],
    "older GB2312 table-layout portal with <font> paragraphs": ["county_portal_gb2312_tables", "gov_zhengce_table"],
    "WeChat list items on their own lines, dek kept": ["wechat_list_dek"],
}


def test_every_trait_has_a_golden_page() -> None:
    names = set(golden_names())
    missing = {trait: pages for trait, pages in TRAITS.items() if not set(pages) <= names}
    assert not missing, f"golden pages missing for traits: {missing}"


def test_trait_pages_show_their_trait() -> None:
    """The reviewed expectations say what each trait means (guards against regenerating a
    golden page into a wrong but self-consistent state)."""
    def get(name: str) -> dict:
        return json.loads((EXPECTED / f"{name}.json").read_text(encoding="utf-8"))

    county = get("county_portal_gb2312_tables")
    assert "全县农村卫生工作" in county["text"] and "巩固新型农村合作医疗制度" in county["text"]
    assert (county["published"], county["date_source"], county["authors"]) == ("2012-06-04", "byline", ["杨光", "吴敏"])
    blog = get("blog_logo_heading")
    assert blog["title"] == "家医科看诊心得：慢性病的长期追踪" and blog["date_source"] == "url"
    assert blog["authors"] == ["陈一帆"]
    news = get("news_multi_author")
    assert news["authors"] == ["上官云", "宋宇晟"] and news["editor"] == "李岩"
    for name in ("gov_disclosure_xxgk", "gov_zhengce_table"):
        gov = get(name)
        assert set(gov["disclosure"]) == {"index", "topic", "issuer", "written", "doc_no", "published"}
        assert gov["published"] == gov["disclosure"]["published"] != gov["disclosure"]["written"]
        assert "索引号" not in gov["text"].replace(" ", "") and len(gov["text"]) > 150
    wechat = get("wechat_list_dek")
    assert wechat["account"] == "健康肇庆" and wechat["authors"] == ["林晓", "周敏"]
    lines = wechat["text"].split("\n")
    assert lines[0] == "免疫规划疫苗由政府免费提供，适龄儿童应当按时接种"
    assert "卡介苗：出生时接种一剂" in lines and not any(ln.startswith("- ") for ln in lines)

"""Source specs: the shipped ones validate; bad ones stop with file, field and value."""

from __future__ import annotations

from pathlib import Path

import pytest

from spiders.spec import DEFAULT_SPECS_DIR, SpecError, load_spec, load_specs, select_specs

GOOD = """
name = "{name}"
title = "测试来源"
homepage = "https://example.gov.cn/"
region = {{ province = "贵州省", city = "遵义市", code = "520300" }}

[[listing]]
url = "https://example.gov.cn/xwzx/"
article_links = "/t\\\\d{{8}}_\\\\d+\\\\.html$"
max_pages = 3

[[feed]]
url = "https://example.gov.cn/rss.xml"
"""


def write(tmp_path: Path, name: str, text: str, region: str = "guizhou") -> Path:
    folder = tmp_path / region
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_specs_validate_and_cover_regions() -> None:
    specs = load_specs(DEFAULT_SPECS_DIR)
    real = [s for s in specs.values() if s.region.province != "全国"]
    assert len(real) >= 8
    assert {s.region.province for s in real} >= {"贵州省", "四川省", "湖南省", "广东省"}
    # none of them could be checked against the live site from this machine
    assert all(not s.verified_offline for s in specs.values())
    for path in DEFAULT_SPECS_DIR.rglob("*.toml"):
        assert "NOT VERIFIED OFFLINE" in path.read_text(encoding="utf-8"), path


def test_shipped_listing_specs_name_their_cms_family() -> None:
    """Each starter listing source says in `notes` which CMS family its site runs on (the
    pagination detection reads that family's pager; see docs/harvesting-cms.md)."""
    families = ("TRS", "gkmlpt", "JCMS", "DedeCMS", "EmpireCMS", "WordPress", "own CMS")
    for spec in load_specs(DEFAULT_SPECS_DIR).values():
        if spec.listing:
            assert any(f in spec.notes for f in families), (spec.name, spec.notes)
            assert all(e.pagination == "auto" for e in spec.listing)   # detection, no override needed


def test_pagination_values_load(tmp_path: Path) -> None:
    for value in ("auto", "trs", "jcms", "gkmlpt", "index_{n}.html", "list_5_{n}.html", "index_{i}.shtml", "/page/{n}/"):
        text = GOOD.format(name="pag").replace("max_pages = 3", f'max_pages = 3\npagination = "{value}"')
        assert load_spec(write(tmp_path, "pag", text)).listing[0].pagination == value


def test_good_spec_loads(tmp_path: Path) -> None:
    path = write(tmp_path, "zunyi-test", GOOD.format(name="zunyi-test"))
    spec = load_spec(path)
    assert spec.name == "zunyi-test"
    assert spec.listing[0].max_pages == 3
    assert spec.allowed_domains == ["example.gov.cn"]
    assert [s.name for s in select_specs(load_specs(tmp_path), None)] == ["zunyi-test"]


@pytest.mark.parametrize(
    ("replace", "by", "field", "value"),
    [
        ('homepage = "https://example.gov.cn/"', 'homepage = "htp:/example"', "homepage", "'htp:/example'"),
        ("max_pages = 3", "max_pages = 0", "listing.0.max_pages", "0"),
        ('article_links = "/t', 'article_links = "(/t', "listing.0.article_links", "'(/t"),
        ('code = "520300"', 'code = "52"', "region.code", "'52'"),
        ('title = "测试来源"', 'title = "x"\ncolour = "blue"', "colour", "'blue'"),
        ("max_pages = 3", 'max_pages = 3\npagination = "page{x}.html"', "listing.0.pagination", "'page{x}.html'"),
        ("max_pages = 3", 'max_pages = 3\npagination = "trs2"', "listing.0.pagination", "'trs2'"),
        ("max_pages = 3", 'max_pages = 3\nnext_page_xpath = "//a["', "listing.0.next_page_xpath", "'//a['"),
    ],
)
def test_bad_spec_names_file_field_and_value(tmp_path: Path, replace: str, by: str, field: str, value: str) -> None:
    text = GOOD.format(name="bad-one")
    assert replace in text
    path = write(tmp_path, "bad-one", text.replace(replace, by))
    with pytest.raises(SpecError) as err:
        load_specs(tmp_path)
    message = str(err.value)
    assert str(path) in message
    assert f"field '{field}'" in message
    assert value in message


def test_spec_without_entries_is_refused(tmp_path: Path) -> None:
    text = GOOD.format(name="empty").split("[[listing]]")[0]
    path = write(tmp_path, "empty", text)
    with pytest.raises(SpecError, match="at least one"):
        load_spec(path)


def test_name_must_match_file_and_be_unique(tmp_path: Path) -> None:
    path = write(tmp_path, "other-name", GOOD.format(name="zunyi-test"))
    with pytest.raises(SpecError, match="file name stem"):
        load_spec(path)
    write(tmp_path, "dup", GOOD.format(name="dup"), region="a")
    write(tmp_path, "dup", GOOD.format(name="dup"), region="b")
    path.unlink()
    with pytest.raises(SpecError, match="already used"):
        load_specs(tmp_path)


def test_not_toml_and_unknown_source(tmp_path: Path) -> None:
    path = write(tmp_path, "broken", "name = ")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(path)
    path.unlink()
    write(tmp_path, "ok", GOOD.format(name="ok"))
    with pytest.raises(SpecError, match="unknown source 'nope'"):
        select_specs(load_specs(tmp_path), "nope")


@pytest.mark.parametrize(("name", "family"), [
    ("gz-wjw", "trs"), ("nanming-wjj", "trs"), ("zunyi-wjw", "trs"), ("hunan-wjw", "trs"), ("chenzhou-wjw", "trs"),
    ("sc-wsjkw", "trs6"), ("zhaoqing-wsjkj", "gkmlpt"),
])
def test_starter_article_links_fit_their_family(name: str, family: str) -> None:
    """A starter spec's article_links matches every article of the fixture imitating the CMS
    its notes name (crawler.demo.cms_sites) and none of that fixture's listing pages."""
    import re

    from crawler.demo.cms_sites import build

    spec = load_specs(DEFAULT_SPECS_DIR)[name]
    fam = build(family)
    pattern = re.compile(spec.listing[0].article_links or "")
    assert all(pattern.search("http://h" + a) for a in fam.articles), (name, fam.articles[:2])
    assert not any(pattern.search("http://h" + p) for p in fam.listing_pages)

"""Region tags: the GB/T 2260 table and place-name resolution rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.items import RegionTag
from crawler.tags.regions import DATA_DIR, Gazetteer


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.load()


def full_names(tags: list[RegionTag]) -> list[str]:
    return [t.full_name for t in tags]


# ---------------------------------------------------------------- the table
def test_table_has_edition_and_all_levels(gaz: Gazetteer) -> None:
    assert gaz.edition == "2025-12-31"
    levels = [d.level for d in gaz.divisions.values()]
    assert levels.count("province") == 34
    assert levels.count("city") >= 333
    by_prov = {p: sum(1 for d in gaz.divisions.values() if d.code.startswith(p) and d.level == "county")
               for p in ("52", "51", "43", "44")}
    # county-level divisions of 贵州, 四川, 湖南, 广东 (民政部 2025 counts)
    assert by_prov == {"52": 88, "51": 183, "43": 122, "44": 122}


def test_load_is_cached(gaz: Gazetteer) -> None:
    assert Gazetteer.load() is gaz


@pytest.mark.parametrize(
    "code, full",
    [
        ("431081", "湖南省郴州市资兴市"),
        ("520102", "贵州省贵阳市南明区"),
        ("510185", "四川省成都市简阳市"),
        ("441200", "广东省肇庆市"),
        ("110105", "北京市朝阳区"),
        ("429004", "湖北省仙桃市"),
        ("522600", "贵州省黔东南苗族侗族自治州"),
    ],
)
def test_full_names(gaz: Gazetteer, code: str, full: str) -> None:
    assert gaz.tag(code).full_name == full


def test_bad_table_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "divisions.tsv").write_text(
        "# edition: 2025-01-01\ncode\tname\tlevel\tparent_code\n520000\t贵州省\tprovince\t\n52010\t坏\tcity\t520000\n",
        encoding="utf-8",
    )
    (tmp_path / "places.toml").write_text((DATA_DIR / "places.toml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ValueError, match=r"divisions.tsv:4: bad division row"):
        Gazetteer.load(tmp_path)


def test_alias_to_unknown_code_is_refused(tmp_path: Path) -> None:
    (tmp_path / "divisions.tsv").write_text(
        "# edition: 2025-01-01\ncode\tname\tlevel\tparent_code\n520000\t贵州省\tprovince\t\n", encoding="utf-8"
    )
    (tmp_path / "places.toml").write_text('[aliases]\n"某新区" = { code = "999999" }\n', encoding="utf-8")
    with pytest.raises(ValueError, match="某新区.*999999"):
        Gazetteer.load(tmp_path)


# ---------------------------------------------------------------- resolution
@pytest.mark.parametrize(
    "title, text, expected",
    [
        ("资兴市推进医改", "", ["湖南省郴州市资兴市"]),
        ("", "南明区大力推进优质医疗资源下沉", ["贵州省贵阳市南明区"]),
        ("简阳市:医共体建设", "", ["四川省成都市简阳市"]),
        ("", "健康肇庆建设迈出坚实步伐", ["广东省肇庆市"]),
        ("新蒲新区医疗集聚区建设有序推进", "", ["贵州省遵义市"]),
    ],
)
def test_places_resolve_to_full_names(gaz: Gazetteer, title: str, text: str, expected: list[str]) -> None:
    assert full_names(gaz.find_regions(title, text)) == expected


def test_tag_fields(gaz: Gazetteer) -> None:
    (tag,) = gaz.find_regions("", "肇庆市民")
    assert tag.code == "441200" and tag.name == "肇庆市" and tag.level == "city" and tag.matched == "肇庆市"
    (alias,) = gaz.find_regions("新蒲新区揭牌", "")
    assert alias.code == "520300" and alias.matched == "新蒲新区"


def test_ambiguous_county_needs_context(gaz: Gazetteer) -> None:
    assert gaz.find_regions("朝阳区开展义诊", "社区医生上门服务") == []
    assert full_names(gaz.find_regions("北京朝阳区开展义诊", "")) == ["北京市朝阳区"]
    assert full_names(gaz.find_regions("朝阳区开展义诊", "长春市卫健委表示")) == ["吉林省长春市朝阳区", "吉林省长春市"]
    # 鼓楼区 exists in 福州, 开封, 徐州, 南京: a province with two of them does not decide
    assert full_names(gaz.find_regions("鼓楼区卫生院", "江苏省卫健委")) == ["江苏省"]
    assert full_names(gaz.find_regions("鼓楼区卫生院", "福建省卫健委")) == ["福建省福州市鼓楼区"]


def test_publisher_region_is_context(gaz: Gazetteer) -> None:
    publisher = gaz.resolve_publisher("吉林", "长春")
    assert publisher is not None and publisher.code == "220100"
    assert full_names(gaz.find_regions("朝阳区开展义诊", "", publisher=publisher)) == ["吉林省长春市朝阳区"]


@pytest.mark.parametrize(
    "text, absent",
    [
        ("他在镇江门诊部就诊", "江门"),
        ("中山大学附属第三医院专家坐诊", "中山"),
        ("乡镇和县级医院协同", "和县"),
        ("彻底改变东江、鲤鱼江城区医疗资源匮乏", "江城区"),
        ("各地大同小异", "大同"),
        ("城区医院扩建", "城区"),
    ],
)
def test_no_false_hits(gaz: Gazetteer, text: str, absent: str) -> None:
    names = [t.name for t in gaz.find_regions("", text)]
    assert all(absent not in n for n in names), names


def test_weak_name_counts_with_context(gaz: Gazetteer) -> None:
    assert full_names(gaz.find_regions("", "安徽省和县人民医院")) == ["安徽省马鞍山市和县"]
    assert full_names(gaz.find_regions("", "山西大同市第一人民医院")) == ["山西省大同市"]


def test_order_dedupe_and_most_specific(gaz: Gazetteer) -> None:
    tags = gaz.find_regions(
        "湖南省郴州市资兴市医改",
        "资兴市与广东省肇庆市交流。肇庆经验值得学习。湖南省卫健委",
    )
    assert full_names(tags) == ["湖南省郴州市资兴市", "广东省肇庆市"]
    assert tags[0].matched == "资兴市"
    # a city named on its own stays next to its county
    tags = gaz.find_regions("成都市卫健委", "简阳市医共体")
    assert full_names(tags) == ["四川省成都市", "四川省成都市简阳市"]


def test_longest_name_wins(gaz: Gazetteer) -> None:
    assert full_names(gaz.find_regions("", "长沙市区医院")) == ["湖南省长沙市"]
    assert full_names(gaz.find_regions("", "黔东南州妇幼保健院")) == ["贵州省黔东南苗族侗族自治州"]


def test_resolve_publisher(gaz: Gazetteer) -> None:
    tag = gaz.resolve_publisher("贵州省", "贵阳市", "南明区")
    assert tag is not None and tag.full_name == "贵州省贵阳市南明区" and tag.level == "county"
    assert gaz.resolve_publisher("湖南", "郴州", "资兴市").code == "431081"  # type: ignore[union-attr]
    assert gaz.resolve_publisher("广东", "肇庆", None).full_name == "广东省肇庆市"  # type: ignore[union-attr]
    # ambiguous county alone: nothing; with its city: resolved
    assert gaz.resolve_publisher(None, None, "朝阳区") is None
    assert gaz.resolve_publisher(None, "长春市", "朝阳区").code == "220104"  # type: ignore[union-attr]
    # a county that is not in the named city falls back to the city
    assert gaz.resolve_publisher("四川", "成都", "南明区").code == "510100"  # type: ignore[union-attr]
    assert gaz.resolve_publisher(None, None, None) is None


def test_build_divisions_from_adcodes_csv(tmp_path: Path) -> None:
    from crawler.tags.build_divisions import build_rows, write_tsv

    src = tmp_path / "adcodes.csv"
    src.write_text(
        "adcode,name,longitude,latitude\n"
        "110000000000,北京市,1,1\n110100000000,北京市,1,1\n110105000000,朝阳区,1,1\n"
        "420000000000,湖北省,1,1\n429004000000,仙桃市,1,1\n420100000000,武汉市,1,1\n420102000000,江岸区,1,1\n"
        "420102001000,某街道,1,1\n810000000000,香港特别行政区,1,1\n810001000000,中西区,1,1\n"
        "990000000000,苏鲁交界,1,1\n",
        encoding="utf-8",
    )
    rows = build_rows(src)
    assert rows == [
        ("110000", "北京市", "province", ""),
        ("110105", "朝阳区", "county", "110000"),
        ("420000", "湖北省", "province", ""),
        ("420100", "武汉市", "city", "420000"),
        ("420102", "江岸区", "county", "420100"),
        ("429004", "仙桃市", "county", "420000"),
        ("810000", "香港特别行政区", "province", ""),
    ]
    write_tsv(rows, tmp_path / "divisions.tsv", edition="2025-12-31", source="test")
    (tmp_path / "places.toml").write_text("", encoding="utf-8")
    gaz = Gazetteer.load(tmp_path)
    assert gaz.edition == "2025-12-31"
    assert [t.full_name for t in gaz.find_regions("武汉江岸区", "")] == ["湖北省武汉市江岸区"]
    src.write_text("adcode,name\n12,x\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"adcodes.csv:2: bad adcode row"):
        build_rows(src)

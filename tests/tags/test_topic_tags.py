"""Topic tags and relevance, including hand-labelled seed pages."""

from __future__ import annotations

import re
from pathlib import Path

import opencc
import pytest

from crawler.tags import Gazetteer, tag_topics
from crawler.tags.topics import load_taxonomy

# the seed pages live in shared/ (beside the repository in CI, /work/shared on a work machine)
_CANDIDATES = [Path(__file__).resolve().parents[2].parent / "shared" / "seeds", Path("/work/shared/seeds")]
SEEDS = next((p for p in _CANDIDATES if p.is_dir()), _CANDIDATES[-1])
READING = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")


def test_taxonomy_is_documented() -> None:
    tax = load_taxonomy()
    names = [t.name for t in tax.topics]
    for required in ("医共体/医联体", "分级诊疗", "家庭医生签约", "公共卫生与疾控", "疫苗接种", "中医药",
                     "医保", "妇幼健康", "基层卫生机构建设", "医院建设", "健康促进/健康城市",
                     "养老与医养结合", "药品与集采"):
        assert required in names
    assert all(t.description and t.keywords for t in tax.topics)


def test_bad_taxonomy_names_the_topic(tmp_path: Path) -> None:
    bad = tmp_path / "topics.toml"
    bad.write_text('[[topic]]\nname = "医保"\nkeywords = { "医保" = -1 }\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"topics.toml: topic #1 \(医保\).*医保.*positive weight"):
        load_taxonomy(bad)


def test_family_doctor_and_vaccination() -> None:
    topics, relevance = tag_topics("家庭医生签约服务覆盖全县", "全县家庭医生签约率达到75%,重点人群签约服务落实。")
    assert topics[0] == "家庭医生签约"
    assert relevance > 0.8
    topics, _ = tag_topics("新冠疫苗加强针接种有序开展", "预防接种门诊延长服务时间,免疫规划疫苗接种率保持95%以上")
    assert topics[0] == "疫苗接种"


def test_title_counts_double() -> None:
    _, with_title = tag_topics("医保", "")
    _, in_text = tag_topics("", "医保")
    assert with_title > in_text > 0


def test_one_word_does_not_make_a_topic() -> None:
    topics, relevance = tag_topics("", "市中医医院门口的道路完成改造。")
    assert "中医药" not in topics
    assert relevance < 0.3


@pytest.mark.parametrize(
    "title, text",
    [
        ("男篮世预赛中国队主场击败日本队", "比赛第三节,中国队连续得分,最终以88比75取胜,球队将转战客场。"),
        ("A股三大指数集体收涨", "沪指收涨0.8%,成交额突破1万亿元,券商板块领涨,北向资金净买入50亿元。"),
    ],
)
def test_unrelated_news_is_not_relevant(title: str, text: str) -> None:
    topics, relevance = tag_topics(title, text)
    assert topics == []
    assert relevance < 0.05


# ---------------------------------------------------------------- seed pages, labelled by hand
# (file prefix, title as printed on the page, regions in order, topics that must be there,
#  topics that must not)
SEED_LABELS = [
    ("000", "新蒲新区医疗集聚区建设有序推进", ["贵州省遵义市"],
     {"医共体/医联体", "分级诊疗", "医院建设", "基层卫生机构建设", "公共卫生与疾控"},
     {"疫苗接种", "医保", "家庭医生签约", "养老与医养结合"}),
    ("001", "医改春风惠民生——资兴市深入推进综合医疗改革工作纪实", ["湖南省郴州市资兴市"],
     {"医改", "医共体/医联体", "医院建设", "健康促进/健康城市", "基层卫生机构建设"},
     {"疫苗接种", "妇幼健康", "家庭医生签约"}),
    ("002", "健康肇庆", ["广东省肇庆市", "广东省肇庆市封开县"],
     {"公共卫生与疾控", "疫苗接种", "妇幼健康", "养老与医养结合", "医院建设"},
     {"家庭医生签约", "医保"}),
    ("003", "简阳市:医共体建设让基层群众有“医靠”", ["四川省成都市简阳市", "四川省成都市"],
     {"医共体/医联体", "分级诊疗", "基层卫生机构建设"},
     {"疫苗接种", "妇幼健康", "中医药", "养老与医养结合"}),
    ("004", "南明区:夯实公共卫生体系擦亮“健康南明”品牌", ["贵州省贵阳市南明区"],
     {"医共体/医联体", "中医药", "公共卫生与疾控", "健康促进/健康城市", "基层卫生机构建设", "妇幼健康"},
     {"疫苗接种", "医保", "药品与集采"}),
]


def seed_text(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    raw = READING.sub("", path.read_text(encoding="utf-8"))
    return opencc.OpenCC("t2s.json").convert(raw)


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed pages not found at {SEEDS}")
@pytest.mark.parametrize("prefix, title, regions, must, must_not", SEED_LABELS, ids=[s[0] for s in SEED_LABELS])
def test_seed_pages(prefix: str, title: str, regions: list[str], must: set[str], must_not: set[str]) -> None:
    text = seed_text(prefix)
    found = [t.full_name for t in Gazetteer.load().find_regions(title, text)]
    assert found[: len(regions)] == regions, found
    # page furniture aside (004's footer names the hosting site 合肥网, 004 names a 广东 company),
    # the first region is where the story happens
    topics, relevance = tag_topics(title, text)
    assert must <= set(topics), f"missing {must - set(topics)} in {topics}"
    assert not (must_not & set(topics)), f"unexpected {must_not & set(topics)}"
    assert relevance > 0.9

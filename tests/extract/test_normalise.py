"""normalise.py: each repair and flag, and properties (idempotent, bounded, never crashes)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract.normalise import (
    collapse_doubled, finish_text, fix_decimals, join_phrase_lines, normalise_text, remove_pinyin,
    to_simplified,
)


def test_pinyin_removed_only_when_repeated() -> None:
    text = "醫(yī)改春風(fēng)惠民生,推進(jìn)綜合醫(yī)改"
    cleaned, fired = remove_pinyin(text)
    assert fired and cleaned == "醫改春風惠民生,推進綜合醫改"
    for keep in ("新华社(完)", "小病不出镇(街道)", "规划(2024)", "这个字读作乐(yuè)。"):
        assert remove_pinyin(keep) == (keep, False)


def test_t2s_records_script_and_profile() -> None:
    text, script, profile = to_simplified("醫療衛生服務體系建設", url="http://a.cn/", default="t2s.json")
    assert (text, script, profile) == ("医疗卫生服务体系建设", "zh-Hant", "t2s.json")
    _, _, profile = to_simplified("佢哋話呢間醫院嘅服務唔錯，啲醫生好好，冇乜問題", url="http://x.cn/", default="t2s.json")
    assert profile == "hk2s.json"
    assert to_simplified("医疗卫生服务体系", url="", default="t2s.json") == ("医疗卫生服务体系", "zh-Hans", None)


def test_body_doubled_and_truncated_lead() -> None:
    a = ["本报讯 近年来,南明区大力推进优质医疗资源下沉,融合发展“医联体+医共体”,全力擦亮品牌。",
         "在融合发展的过程中,南明区大力推进基层卫生服务中心建设。", "全面推进健康促进工程。"]
    lead = "本报讯 近年来,南明区大力推进优质医疗资源下沉,融合发展医联体+医共体,"
    out, fired = collapse_doubled([lead] + a + a[:2])
    assert fired and out == a
    assert collapse_doubled(a) == (a, False)


def test_phrase_lines_joined() -> None:
    lines = ["人民健康是", "民族昌盛和国家富强的重要标志。", "党的十八大以来,", "肇庆以目标,",
             "不断织牢织密公共防护网,", "全面提升能力水平,", "健康肇庆建设迈出坚实步伐。", "推动医防融合", "是有力保障。"]
    out, fired = join_phrase_lines(lines)
    assert fired and out[0] == "人民健康是民族昌盛和国家富强的重要标志。"
    assert "".join(out) == "".join(lines)


def test_decimal_fixed_and_flags() -> None:
    assert fix_decimals("建档率达94。5%;体检数5。4万余人。") == ("建档率达94.5%;体检数5.4万余人。", True)
    _, quality = finish_text(["全国健康城市进步蕞快城市,头部医院,?F在,接种疫苗.64万剂次,流调队伍扩充到人。ㄔ"])
    assert {"spun-repaired", "spun-words", "lost-bytes", "lost-numbers", "bopomofo"} <= set(quality)
    text, quality = finish_text(["市头部人民医院和市委书记任头部组长,头部批试点,头部企业。"])
    assert text == "市第一人民医院和市委书记任第一组长,第一批试点,头部企业。"
    assert "spun-repaired" in quality and "spun-words" not in quality
    text, quality = finish_text(["进步蕞快城市。"])
    assert text == "进步最快城市。" and "spun-repaired" in quality


def test_dateline_lead_stays() -> None:
    lead = "中新网四川新闻4月7日电(吴平华 吴润秋)看病就医,关乎人民健康与民生福祉。"
    assert normalise_text(lead).text == lead


def test_phrase_lines_keep_marked_headings_apart() -> None:
    lines = ["人民健康是", "民族昌盛和国家富强的重要标志。", "推动医防融合", "织牢织密公共防护网",
             "在疫情防控常态化背景下,", "推动医防融合,提高基层防控能力,", "是织密公共卫生防护网的有力保障。",
             "党的十八大以来,", "肇庆公共卫生服务能力不断提升。"]
    merged, _ = join_phrase_lines(lines)
    assert "推动医防融合织牢织密公共防护网在疫情防控常态化背景下," in merged[1]
    out, fired = join_phrase_lines(lines, frozenset({"推动医防融合", "织牢织密公共防护网"}))
    assert fired and out[1:4] == ["推动医防融合", "织牢织密公共防护网",
                                  "在疫情防控常态化背景下,推动医防融合,提高基层防控能力,是织密公共卫生防护网的有力保障。"]


def test_adjacent_repeat_of_one_paragraph_is_kept() -> None:
    para = "会议指出，拥军优属、拥政爱民是绥德军地的优良传统，要继续发扬。"
    lines = ["第一段说明会议的时间和地点，内容较长。", para, para, "会议强调，要大力开展评选表彰活动。"]
    assert collapse_doubled(lines) == (lines, False)
    assert collapse_doubled([para, para]) == ([para], True)


chinese = st.text(alphabet=st.sampled_from(list("醫療衛生(yī)改。5。4,%?F\n△▽完街道2024 医疗卫生服务体系\x00\ud800")), max_size=300)


@settings(max_examples=150, deadline=None)
@given(chinese)
def test_idempotent_and_bounded(text: str) -> None:
    once = normalise_text(text)
    twice = normalise_text(once.text)
    assert twice.text == once.text
    assert len(once.text) <= len(text) + 2


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_never_crashes_on_any_unicode(text: str) -> None:
    result = normalise_text(text)
    assert "\x00" not in result.text


def test_large_input_stays_bounded() -> None:
    big = ("醫療衛生服務體系建設。" * 100 + "\n") * 900  # about 10 MB of UTF-8
    result = normalise_text(big)
    assert len(result.text) <= len(big)

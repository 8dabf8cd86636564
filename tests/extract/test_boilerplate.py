"""boilerplate.py + lexicon.toml: every category fires on its trait and spares prose."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.extract.boilerplate import Lexicon

LEX = Lexicon.load()


@pytest.mark.parametrize(("line", "category"), [
    ("版權所有 中新網四川", "copyright"),
    ("中國新聞網·四川新聞版權與免責聲明:", "disclaimer"),
    ("蜀ICP備12345678號", "icp"),
    ("【打印本页】【关闭窗口】", "page-tools"),
    ("上一篇：遵义启动冬季爱国卫生运动", "prev-next"),
    ("分享到：", "share"),
    ("（责任编辑：张三）", "editor-line"),
    ("相关新闻", "related"),
    ("或微信/手機:13524678515;?13564686846", "contact-ad"),
    ("掃一掃關注公眾號", "qr-code"),
    ("簡陽市三星中心衛生院。吳潤秋 攝", "photo-credit"),
    ("△封开县社会福利服务中心是全市示范点单位。图源健康肇庆", "caption"),
    ("(完)", "end-mark"),
    ("首頁 > kjws > 中新網四川", "breadcrumb"),
    ("▽▽▽", "decoration"),
])
def test_category_fires(line: str, category: str) -> None:
    hit = LEX.category_of(line)
    assert hit is not None and hit[0] == category, (line, hit)


@pytest.mark.parametrize("line", [
    "据了解，三星中心卫生院自2024年配置先进的腹腔镜及胃腸鏡治療系統以來，已累計開展微創手術300余臺。",
    "该院的建设启用为实现“大病不出区、小病不出镇(街道)”目标奠定了坚实基础。",
    "区卫生健康局相关负责人介绍，新区积极尝试、不断探索，在做好重大疫情防控的同时提供服务。",
])
def test_prose_is_kept(line: str) -> None:
    assert LEX.category_of(line) is None


def test_tail_pattern_cuts_the_footer_only_near_the_end() -> None:
    body = [f"第{i}段正文，内容充实，说明情况。" for i in range(8)]
    lines = body + ["版权声明：本文由公众号发布", "其他推广文字一行"]
    kept, fired = LEX.clean(lines)
    assert kept == body and "disclaimer" in fired
    early = ["版权声明一词出现在开头的短行"] + body
    kept, _ = LEX.clean(early)
    assert kept == body  # dropped as a line, but did not cut the article


def test_clean_sparing_equals_two_separate_cleanings() -> None:
    """One pass gives what `clean` and `without(spared).clean` give (captions on a photo story)."""
    photo = frozenset({"caption", "photo-credit"})
    lines = ["△义诊现场。图源健康肇庆", "簡陽市三星中心衛生院。吳潤秋 攝", "第一段正文，内容充实，说明情况。",
             "（责任编辑：张三）", "第二段正文，内容充实，说明情况。", "△医生为群众量血压。图源健康肇庆",
             "版权声明：本文由公众号发布", "其他推广文字一行"]
    strict, relaxed = LEX.clean_sparing(lines, photo)
    assert strict == LEX.clean(lines)
    assert relaxed == LEX.without(photo).clean(lines)
    assert strict[0] != relaxed[0] and "△义诊现场。图源健康肇庆" in relaxed[0]


def test_bad_lexicon_names_file_and_pattern(tmp_path: Path) -> None:
    bad = tmp_path / "lex.toml"
    bad.write_text('[[pattern]]\ncategory = "x"\nregex = "("\nscope = "line"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"lex.toml: pattern #1: bad regex"):
        Lexicon.load(bad)

"""Source specs are validated strictly at load: no string is coerced to a number or a boolean,
`allowed_domains` are host names that cover the spec's own URLs, every XPath and regex
compiles. A bad spec stops `harvest` and `sources` with exit 2 and one line naming the file
and the field; nothing is fetched."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import run_cli

from spiders.spec import load_spec

GOOD = '''name = "t-county"
title = "测试"
homepage = "http://wjw.example.cn/county/"
region = { province = "贵州省" }
enabled = true
{top}
[[listing]]
url = "http://wjw.example.cn/county/index.html"
article_links = "/county/xwzx/.+\\\\.html$"
max_pages = 5
{listing}
[politeness]
download_delay = 0.5
concurrency = 2
'''

BAD = {
    "max_pages": ("", "", "listing.0.max_pages"),
    "enabled": ("enabled = \"yes\"", "", "enabled"),
    "download_delay": ("", "", "politeness.download_delay"),
    "next_page_xpath": ("", "next_page_xpath = \"//a[@\"", "listing.0.next_page_xpath"),
    "article_links": ("", "article_links = \"(unclosed\"", "listing.0.article_links"),
    "domain-url": ("allowed_domains = [\"http://wjw.example.cn/\"]", "", "allowed_domains.0"),
    "domain-space": ("allowed_domains = [\"wjw example.cn\"]", "", "allowed_domains.0"),
    "domain-empty": ("allowed_domains = [\"\"]", "", "allowed_domains.0"),
    "domain-number": ("allowed_domains = [42]", "", "allowed_domains.0"),
    "domain-outside": ("allowed_domains = [\"other.example.cn\"]", "", "allowed_domains"),
}


def _spec(tmp_path: Path, case: str) -> Path:
    top, listing, _ = BAD[case]
    text = GOOD.replace("{top}", top).replace("{listing}", listing)
    if case == "enabled":
        text = text.replace("enabled = true\n", "")
    if case == "max_pages":
        text = text.replace("max_pages = 5", 'max_pages = "3"')
    if case == "download_delay":
        text = text.replace("download_delay = 0.5", 'download_delay = "0.5"')
    if case == "article_links":
        text = text.replace('article_links = "/county/xwzx/.+\\\\.html$"\n', "")
    folder = tmp_path / "specs"
    folder.mkdir()
    path = folder / "t-county.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_good_spec_loads(tmp_path: Path) -> None:
    path = tmp_path / "t-county.toml"
    path.write_text(GOOD.replace("{top}", 'allowed_domains = ["example.cn"]').replace("{listing}", ""), "utf-8")
    spec = load_spec(path)
    assert spec.listing[0].max_pages == 5 and spec.allowed_domains == ["example.cn"]


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_spec_is_refused_at_load(tmp_path: Path, case: str) -> None:
    from crawler.exceptions import SpecError

    path = _spec(tmp_path, case)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    message = str(info.value)
    assert str(path) in message and BAD[case][2].split(".")[0] in message, message
    assert "\n" not in message


@pytest.mark.parametrize("case", ["max_pages", "next_page_xpath", "domain-url"])
def test_bad_spec_exits_2_in_one_line(tmp_path: Path, case: str) -> None:
    path = _spec(tmp_path, case)
    for command in (["sources", "--sources-dir", str(path.parent)],
                    ["harvest", "--sources-dir", str(path.parent), "--out", str(tmp_path / "out")]):
        proc = run_cli(*command)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        lines = [line for line in proc.stderr.splitlines() if line.strip() and "warning:" not in line]
        assert len(lines) == 1 and str(path) in lines[0] and BAD[case][2] in lines[0], proc.stderr
        assert not (tmp_path / "out" / "warc").exists()

"""Bad spec files and bad command-line arguments: one line on stderr naming the problem, exit
code 2, nothing started (no output folder, no network)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.hardening import run_cli

GOOD_SPEC = ('name = "{name}"\ntitle = "t"\nhomepage = "https://a.cn/"\nregion = {{ province = "广东省" }}\n'
             '[[listing]]\nurl = "https://a.cn/list/"\n')

BAD_SPECS = {
    "not-toml": ("broken.toml", "name = \n[[[", "broken.toml"),
    "bad-url": ("bad-url.toml", GOOD_SPEC.format(name="bad-url").replace("https://a.cn/list/", "ftp://a.cn/"),
                "url"),
    "bad-regex": ("bad-re.toml", GOOD_SPEC.format(name="bad-re") + 'article_links = "(["\n', "article_links"),
    "name-mismatch": ("other.toml", GOOD_SPEC.format(name="not-other"), "name"),
    "unknown-field": ("extra.toml", GOOD_SPEC.format(name="extra").replace('title = "t"', 'title = "t"\nbogus = 1'),
                      "bogus"),
}


def _one_line_error(res: object, *needles: str) -> None:
    lines = res.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert res.code == 2, res.output  # type: ignore[attr-defined]
    assert len(lines) == 1, res.stderr  # type: ignore[attr-defined]
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize("case", sorted(BAD_SPECS))
def test_bad_spec_stops_harvest_before_start(case: str, tmp_path: Path) -> None:
    filename, text, field = BAD_SPECS[case]
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / filename).write_text(text, encoding="utf-8")
    (specs / "good.toml").write_text(GOOD_SPEC.format(name="good"), encoding="utf-8")
    out = tmp_path / "out"
    res = run_cli("harvest", "--sources-dir", str(specs), "--out", str(out))
    _one_line_error(res, filename, field)
    assert not out.exists()


@pytest.mark.parametrize(("args", "needle"), [
    (["crawl", "not-a-url"], "not-a-url"),
    (["crawl", "--max-pages", "-1", "http://a.cn/"], "-1"),
    (["crawl", "--max-pages", "lots", "http://a.cn/"], "lots"),
    (["crawl", "http://a.cn/", "-s", "NOEQUALS"], "NAME=VALUE"),
    (["harvest", "--sources", "no-such-source"], "no-such-source"),
    (["sources", "--sources-dir", "/nonexistent/specs"], "/nonexistent/specs"),
    (["extract", "/nonexistent/page.html"], "/nonexistent/page.html"),
    (["frobnicate"], "frobnicate"),
])
def test_bad_arguments(args: list[str], needle: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    extra = ["--out", str(out)] if args[0] in ("crawl", "harvest") else []
    res = run_cli(*args, *extra)
    _one_line_error(res, needle)
    assert not out.exists()

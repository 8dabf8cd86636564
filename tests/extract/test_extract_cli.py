"""`healthcrawl extract` as users run it: no --url, standard input, a bad --url, --format."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from crawler.items import Article
from crawler.runs.cli import main

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", ["county_portal_gb2312_tables", "news_multi_author", "demo_wechat"])
def test_extract_without_url(capsys: pytest.CaptureFixture[str], name: str) -> None:
    page = GOLDEN / "pages" / f"{name}.html"
    expected = json.loads((GOLDEN / "expected" / f"{name}.json").read_text(encoding="utf-8"))
    code, out, err = _run(capsys, "extract", str(page))
    assert code == 0, err
    item = Article.model_validate_json(out)
    assert (item.title, item.text, item.authors) == (expected["title"], expected["text"], expected["authors"])
    if name == "news_multi_author":   # the page states og:url: that is its identity
        assert item.url == item.canonical_url == "https://www.chinanews.example/jk/2022/03-09/9697012.shtml"
    else:                             # else the file is
        assert item.url.startswith("file://localhost/") and item.url.endswith(f"/{name}.html")
    assert len(item.id) == 16


def test_extract_reads_standard_input(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    body = (GOLDEN / "pages" / "gov_zhengce_table.html").read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(body)))
    code, out, err = _run(capsys, "extract", "-", "--format", "txt")
    assert code == 0, err
    expected = json.loads((GOLDEN / "expected" / "gov_zhengce_table.json").read_text(encoding="utf-8"))
    assert out == expected["text"] + "\n"


def test_extract_formats(capsys: pytest.CaptureFixture[str]) -> None:
    page = str(GOLDEN / "pages" / "gov_disclosure_xxgk.html")
    code, out, _ = _run(capsys, "extract", page, "--format", "markdown")
    assert code == 0
    assert out.startswith("# 四川省卫生健康委员会关于做好2022年基层医疗卫生机构家庭医生签约服务工作的通知\n\n2022-03-09\n\n")
    code, out, _ = _run(capsys, "extract", page)
    item = json.loads(out)
    assert (item["disclosure_doc_no"], item["disclosure_written"], item["date_source"]) == (
        "川卫办发〔2022〕12号", "2022-03-01", "byline")


@pytest.mark.parametrize("url", ["www.example.cn/a.html", "ftp://example.cn/a", "http://example.cn:x/"])
def test_bad_url_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], url: str) -> None:
    code, out, err = _run(capsys, "extract", str(GOLDEN / "pages" / "demo_blog.html"), "--url", url)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and repr(url) in err and "Traceback" not in err


def test_bad_format_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "extract", str(GOLDEN / "pages" / "demo_blog.html"), "--format", "html")
    assert code == 2 and err.count("\n") == 1

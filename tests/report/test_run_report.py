"""Run report: HTML DOM, JSON numbers and the text version agree with the run."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
import pytest

from crawler.items import Article
from crawler.report import RunStats, summarise

SVG = "{http://www.w3.org/2000/svg}"


def _chart(doc: lxml.html.HtmlElement, name: str) -> tuple[list[str], list[str]]:
    (svg,) = doc.xpath(f'//*[local-name()="svg"][@data-chart="{name}"]')
    labels = [
        "".join(t.xpath("text()")).strip()
        for t in svg.xpath('.//*[local-name()="text"][@class="label"]')
    ]
    values = [r.get("data-value") for r in svg.xpath('.//*[local-name()="rect"][@class="bar"]')]
    return labels, values


def test_json_numbers(report_dir: Path) -> None:
    data = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    t = data["totals"]
    assert t == {
        "pages_fetched": 52, "items": 7, "new_items": 7, "duplicates": 3, "not_modified": 7,
        "failures": 4, "duplicate_clusters": 2, "duration_seconds": 125.5,
    }
    c = data["charts"]
    assert c["items_per_source"] == [["gz-nanming", 5], ["sc-jianyang", 2]]
    assert c["items_per_day"] == [["2022-03-17", 1], ["2022-03-18", 2], ["2022-03-19", 1],
                                  ["2025-04-07", 2], ["unknown", 1]]
    assert c["items_per_region"] == [["贵州省", 3], ["四川省", 2], ["广东省", 1], ["unknown", 1]]
    assert [(d["size"], d["sites"]) for d in c["duplicate_clusters"]] == [
        (3, ["a.example", "c.example", "d.example"]), (2, ["a.example", "b.example"])]
    assert c["failures_by_kind"][0] == {"kind": "http_404", "count": 3, "examples": [
        "http://127.0.0.1/gz/missing1.html", "http://127.0.0.1/gz/missing2.html", "http://127.0.0.1/sc/gone.html"]}
    assert c["failures_by_kind"][1]["kind"] == "timeout"
    assert data["sources"]["gz-nanming"]["failures"] == 2


def test_html_charts_match_json(report_dir: Path) -> None:
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    doc = lxml.html.fromstring(html)
    data = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    assert len(doc.xpath('//*[local-name()="svg"][@class="chart"]')) == 6
    for name in ("items_per_source", "items_per_region"):
        labels, values = _chart(doc, name)
        assert labels == [k for k, _ in data["charts"][name]]
        assert [float(v) for v in values] == [float(v) for _, v in data["charts"][name]]
    # items over time: dates from 2022-03-17 to 2025-04-07 span years, so one column per month, no gaps
    series = data["charts"]["items_over_time"]
    assert series["unit"] == "month" and series["undated"] == 1
    (svg,) = doc.xpath('//*[@data-chart="items_over_time"]')
    columns = [(r.get("data-label"), float(r.get("data-value"))) for r in svg.xpath('.//*[@class="bar"]')]
    assert columns == [(start, float(n)) for start, n in series["points"]]
    assert columns[0] == ("2022-03-01", 4.0) and columns[-1] == ("2025-04-01", 2.0) and len(columns) == 38
    assert sum(n for _, n in columns) == 6
    ticks = [t.text for t in svg.xpath('.//*[@class="tick"]')]
    assert ticks[0] == "2022-03" and ticks[-1] == "2025-04" and 2 < len(ticks) < 38  # as many as fit
    labels, values = _chart(doc, "duplicate_clusters")
    assert labels == ["简阳市医共体建设", "南明区夯实公共卫生体系"] and values == ["3", "2"]
    labels, values = _chart(doc, "failures_by_kind")
    assert labels == ["http_404", "timeout"] and values == ["3", "1"]
    # the biggest bar of a chart is the widest
    widths = [float(r.get("width")) for r in doc.xpath('//*[@data-chart="items_per_source"]//*[@class="bar"]')]
    assert widths[0] > widths[1] > 0
    totals = {d.get("data-total"): d.xpath("b/text()")[0] for d in doc.xpath('//div[@class="total"]')}
    assert totals["pages_fetched"] == "52" and totals["failures"] == "4"
    assert "http://127.0.0.1/sc/slow.html" in doc.xpath('string(//table[@class="failures"])')
    assert "b.example" in doc.xpath('string(//table[@class="clusters"])')


def test_html_is_self_contained(report_dir: Path) -> None:
    doc = lxml.html.fromstring((report_dir / "report.html").read_text(encoding="utf-8"))
    assert doc.xpath("//script") == []
    assert doc.xpath("//link") == []
    assert doc.xpath("//img") == []
    assert doc.xpath("//style")  # inline CSS
    assert "http://127.0.0.1" not in "".join(doc.xpath("//@src | //@href"))


def test_text_report(report_dir: Path) -> None:
    text = (report_dir / "report.txt").read_text(encoding="utf-8")
    assert "pages fetched: 52" in text
    assert "贵州省" in text and "e.g. http://127.0.0.1/sc/slow.html" in text
    assert text.index("简阳市医共体建设") < text.index("南明区夯实公共卫生体系")


def test_titles_are_escaped(tmp_path: Path) -> None:
    from crawler.report import write_report

    html_path, _ = write_report(tmp_path, RunStats(), [], [{"title": "<script>x</script>", "sites": ["a"], "size": 2}],
                                title="a & <b>")
    doc = lxml.html.fromstring(html_path.read_text(encoding="utf-8"))
    assert doc.xpath("//script") == []
    assert doc.xpath("string(//h1)") == "a & <b>"


def test_accepts_article_models() -> None:
    art = Article(
        id="0" * 16, url="http://127.0.0.1/a", canonical_url="http://127.0.0.1/a", title="t",
        published="2022-03-18", text="x", site="127.0.0.1", fetched_at="2025-01-01T00:00:00+00:00",
        script="zh-Hans", charset="utf-8", content_hash="h",
        publisher_region={"code": "520102", "name": "南明区", "full_name": "贵州省贵阳市南明区", "level": "county"},
    )
    summary = summarise(RunStats(), [art], [], title="t")
    assert summary["charts"]["items_per_region"] == [["贵州省", 1]]
    assert summary["charts"]["items_per_source"] == [["127.0.0.1", 1]]


def test_many_bars_are_capped(tmp_path: Path) -> None:
    from crawler.report import write_report
    from crawler.report.render import MAX_BARS

    items = [{"source_name": f"s{i:03d}", "published": None} for i in range(MAX_BARS + 5)]
    html_path, json_path = write_report(tmp_path, RunStats(), items, [], title="t")
    doc = lxml.html.fromstring(html_path.read_text(encoding="utf-8"))
    labels, _ = _chart(doc, "items_per_source")
    assert len(labels) == MAX_BARS and labels[-1] == "others (6)"
    assert len(json.loads(json_path.read_text())["charts"]["items_per_source"]) == MAX_BARS + 5


def test_bad_item_is_named() -> None:
    with pytest.raises(TypeError, match="dict or an Article, got int"):
        summarise(RunStats(), [3], [], title="t")


def test_stem_names_the_files(tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    from crawler.report import write_report, write_text_report

    stats, items, clusters = run
    html_path, json_path = write_report(tmp_path, stats, items, clusters, title="t", stem="run-20250407T132200Z")
    assert (html_path.name, json_path.name) == ("run-20250407T132200Z.html", "run-20250407T132200Z.json")
    assert write_text_report(tmp_path, stats, items, clusters, title="t", stem="x").name == "x.txt"


def test_per_source_table_and_generated_time(report_dir: Path) -> None:
    doc = lxml.html.fromstring((report_dir / "report.html").read_text(encoding="utf-8"))
    rows = {tr.get("data-source"): [td.text_content() for td in tr.xpath("td")]
            for tr in doc.xpath('//table[@class="sources"]//tr[@data-source]')}
    assert rows["gz-nanming"][:5] == ["gz-nanming", "40", "5", "2", "7"]
    assert "http_404: 2" in rows["gz-nanming"][5] and "missing1.html" in rows["gz-nanming"][5]
    assert rows["sc-jianyang"][5].count(": 1") == 2 and rows["sc-jianyang"][6] == "0.0"
    generated = doc.xpath('string(//time[@class="generated"])')
    assert generated.startswith("20") and "T" in generated


def test_time_series_units() -> None:
    from crawler.report.stats import time_series

    days = time_series({"2025-01-30": 2, "2025-02-02": 1, "unknown": 4})
    assert days["unit"] == "day" and [n for _, n in days["points"]] == [2, 0, 0, 1] and days["undated"] == 4
    weeks = time_series({"2025-01-01": 1, "2025-06-30": 1})
    assert weeks["unit"] == "week" and weeks["points"][0] == ["2024-12-30", 1] and weeks["points"][-1] == ["2025-06-30", 1]
    assert len(weeks["points"]) == 27
    months = time_series({"2015-01-09": 1, "2025-01-01": 3})
    assert months["unit"] == "month" and len(months["points"]) == 121 and months["points"][-1] == ["2025-01-01", 3]


def test_labels_are_cut_to_the_room_they_have() -> None:
    from crawler.report.svg import LABEL_WIDTH, fit, text_width

    long = "贵州省遵义市赤水市远程医疗服务覆盖全部乡镇卫生院和村卫生室的报道"
    cut = fit(long, LABEL_WIDTH - 12)
    assert cut.endswith("…") and text_width(cut) <= LABEL_WIDTH - 12 and long.startswith(cut[:-1])
    assert fit("short", 100) == "short"
    assert text_width("医保") > text_width("ab") * 1.5

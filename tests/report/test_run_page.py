"""The page a person opens the morning after a run (`OUT/report.html` from `write_run_report`):
exit code and finish reason, the per-source table with the last successful run, the run history
from runs.jsonl as a chart, this run's new articles linked to the live page and the archived copy."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import lxml.html

from crawler.report.run import write_run_report


def _item(n: int, source: str) -> dict[str, Any]:
    return {"id": f"{n:016x}", "url": f"https://www.example.gov.cn/{source}/{n}.html", "title": f"第{n}篇 医共体建设",
            "source_name": source, "site": "www.example.gov.cn", "published": f"2025-04-0{n}",
            "regions": [], "publisher_region": None, "warc_filename": "healthcrawl-1-00000.warc.gz",
            "warc_offset": 1000 * n, "duplicate_of": None}


def _run(out: Path, day: int, *, exit_code: int, items: list[dict[str, Any]], failing: bool) -> Path:
    path = out / "items.jsonl"
    offset = path.stat().st_size if path.exists() else 0
    with path.open("a", encoding="utf-8") as fh:
        fh.writelines(json.dumps(i, ensure_ascii=False) + "\n" for i in items)
    stats: dict[str, Any] = {"finish_reason": "finished" if exit_code == 0 else "shutdown",
                             "response_received_count": 5, "item_scraped_count": len(items),
                             "source/a/pages": 3, "source/a/new_items": len(items), "source/a/seconds": 2.5,
                             "source/b/pages": 2, "source/b/seconds": 1.0}
    failures: dict[str, Any] = {}
    if failing:
        stats["source/b/failures/network:timeout"] = 2
        failures = {"b": {"network:timeout": ["https://b.example.cn/1", "https://b.example.cn/2"]}}
    out.mkdir(exist_ok=True)
    write_run_report(out, kind="harvest", stats=stats, failures=failures,
                     started=dt.datetime(2025, 4, day, 19, 0, tzinfo=dt.timezone.utc), seconds=12.0,
                     exit_code=exit_code, items_offset=offset)
    return out / "report.html"


def test_a_week_of_runs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    _run(out, 1, exit_code=0, items=[_item(1, "a"), _item(2, "a")], failing=False)
    _run(out, 2, exit_code=1, items=[_item(3, "a")], failing=True)
    page = _run(out, 3, exit_code=3, items=[_item(4, "a"), _item(5, "a"), _item(6, "a")], failing=True)
    doc = lxml.html.fromstring(page.read_text(encoding="utf-8"))

    (status,) = doc.xpath('//p[contains(@class, "status")]')
    assert status.get("data-exit-code") == "3" and status.get("data-finish-reason") == "shutdown"
    assert "interrupted" in status.text_content()

    rows = {tr.get("data-source"): [td.text_content() for td in tr.xpath("td")]
            for tr in doc.xpath('//table[@class="sources"]//tr[@data-source]')}
    assert rows["a"][:3] == ["a", "3", "3"] and rows["a"][7] == "2025-04-03T19:00:00+00:00"
    assert "network:timeout: 2" in rows["b"][5] and "https://b.example.cn/1" in rows["b"][5]
    assert rows["b"][7] == "2025-04-01T19:00:00+00:00"  # the last run b had no failure

    (history,) = doc.xpath('//*[@data-chart="run_history"]')
    bars = history.xpath('.//*[@class="bar"]')
    assert [float(b.get("data-value")) for b in bars] == [2.0, 1.0, 3.0]
    assert [b.get("fill") for b in bars] == ["#4c9a6a", "#b03a3a", "#d08a2a"]  # exit 0, 1, 3
    assert len(Path(out / "runs.jsonl").read_text(encoding="utf-8").splitlines()) == 3

    # items over time: the whole collection (six items, 2025-04-01 … 06), one column per day
    (series,) = doc.xpath('//*[@data-chart="items_over_time"]')
    assert [float(b.get("data-value")) for b in series.xpath('.//*[@class="bar"]')] == [1.0] * 6
    assert "all 6 items of items.jsonl" in doc.xpath("string(//section[.//*[@data-chart='items_over_time']]/h2)")

    links = doc.xpath('//table[@class="articles"]//tr[td]')
    assert len(links) == 3  # this run's new articles only
    live = [a.get("href") for a in doc.xpath('//table[@class="articles"]//a[@class="live"]')]
    archived = [a.get("href") for a in doc.xpath('//table[@class="articles"]//a[@class="archived"]')]
    assert live == [f"https://www.example.gov.cn/a/{n}.html" for n in (4, 5, 6)]
    assert archived == ["warc/healthcrawl-1-00000.warc.gz"] * 3
    assert doc.xpath('string(//table[@class="articles"])').count("WARC @") == 3
    # the copy in reports/ links to the same archive from one folder down
    (kept,) = [p for p in (out / "reports").glob("run-20250403*.html")]
    assert 'href="../warc/healthcrawl-1-00000.warc.gz"' in kept.read_text(encoding="utf-8")
    # self-contained: no script, no loaded resource; links are anchors only
    assert doc.xpath("//script | //link | //img | //iframe | //@src") == []
    assert "url(" not in doc.xpath("string(//style)") and "@import" not in doc.xpath("string(//style)")

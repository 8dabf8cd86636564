"""End to end on the bundled demo site: the README's first command, run twice into one
folder, then replayed from its WARCs."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import REPO, free_port, families, read_items, run_cli

from archive.reader import ArchivedRecord, iter_records, read_record_at
from crawler.items import Article


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("demo") / "out"
    port = str(free_port())
    first = run_cli("demo", "--out", str(out), "--port", port, check=True)
    items_after_first = read_items(out / "items.jsonl")
    reports_first = sorted((out / "reports").glob("run-*.json"))
    second = run_cli("demo", "--out", str(out), "--port", port, check=True)
    reports = sorted((out / "reports").glob("run-*.json"))
    return {"out": out, "first": first, "second": second, "items_first": items_after_first,
            "report_first": json.loads(reports_first[-1].read_text()),
            "report_second": json.loads(reports[-1].read_text())}


def records(out: Path) -> list[ArchivedRecord]:
    found: list[ArchivedRecord] = []
    for path in sorted((out / "warc").glob("*.warc.gz")):
        for rec in iter_records(path, decode_payload=False):
            assert isinstance(rec, ArchivedRecord), rec
            found.append(rec)
    return found


def test_first_run_writes_valid_items_and_warcs(demo_runs: dict[str, Any]) -> None:
    out = demo_runs["out"]
    items = demo_runs["items_first"]
    assert len(items) >= 20
    for item in items:
        Article.model_validate(item)
    assert len({i["id"] for i in items}) == len(items)
    assert "pages fetched" in demo_runs["first"].stdout and "items" in demo_runs["first"].stdout
    assert not list((out / "warc").glob("*.open"))
    warcs = sorted((out / "warc").glob("*.warc.gz"))
    assert warcs
    check = subprocess.run([str(Path(shutil.which("warcio") or REPO / ".venv/bin/warcio")), "check", *map(str, warcs)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    # every item points at the archived response of its own URL
    for item in items:
        rec = read_record_at(out / "warc" / item["warc_filename"], item["warc_offset"])
        assert rec.rec_type in ("response", "revisit") and rec.url == item["url"]


def test_records_follow_the_warc_rules(demo_runs: dict[str, Any]) -> None:
    recs = records(demo_runs["out"])
    by_id = {r.record_id: r for r in recs}
    assert recs[0].rec_type == "warcinfo"
    responses = [r for r in recs if r.rec_type == "response"]
    for resp in responses:
        req = by_id[resp.concurrent_to]
        assert req.rec_type == "request" and req.concurrent_to == resp.record_id and req.url == resp.url
    # body as the server sent it: gzip-encoded responses keep their header and their gzip bytes
    encoded = [r for r in responses if (r.http_header("Content-Encoding") or "") == "gzip"
               and (r.http_header("Content-Type") or "").startswith("text/html")]
    assert encoded, "the demo server gzips HTML for clients that accept it"
    for resp in encoded[:5]:
        assert resp.payload[:2] == b"\x1f\x8b"
        html = gzip.decompress(resp.payload)
        assert b"<html" in html.lower()
    # one metadata record per page offered to extraction, pointing at its response
    metadata = [r for r in recs if r.rec_type == "metadata"]
    assert len(metadata) >= len(demo_runs["items_first"])
    for meta in metadata:
        fields = json.loads(meta.payload)
        assert by_id[meta.refers_to].rec_type in ("response", "revisit")
        assert {"extractor", "opencc", "trafilatura", "status"} <= set(fields)


def test_second_run_requests_no_article(demo_runs: dict[str, Any]) -> None:
    out = demo_runs["out"]
    assert read_items(out / "items.jsonl") == demo_runs["items_first"]
    report = demo_runs["report_second"]
    assert report["totals"]["new_items"] == 0
    assert report["totals"]["not_modified"] > 0
    for row in report["sources"].values():
        assert row["requests"].get("article", 0) == 0
        assert row["new_items"] == 0
    assert demo_runs["report_first"]["totals"]["new_items"] == len(demo_runs["items_first"])
    # 304s are archived as server-not-modified revisits referring to the first capture
    recs = records(out)
    by_id = {r.record_id: r for r in recs}
    revisits = [r for r in recs if r.rec_type == "revisit"]
    not_modified = [r for r in revisits if r.warc_header("WARC-Profile").endswith("/revisit/server-not-modified")]
    assert len(not_modified) == report["totals"]["not_modified"]
    assert all(r.http_status == 304 for r in not_modified)
    # robots.txt came back with the same bytes: an identical-payload-digest revisit
    same = [r for r in revisits if r not in not_modified]
    assert [r.url.rsplit("/", 1)[-1] for r in same] == ["robots.txt"]
    assert same[0].warc_header("WARC-Profile").endswith("/revisit/identical-payload-digest")
    for rev in revisits:
        assert rev.warc_header("WARC-Truncated") == "length"
        assert rev.payload_digest == by_id[rev.warc_header("WARC-Refers-To")].payload_digest
        target = by_id[rev.warc_header("WARC-Refers-To")]
        assert target.url == rev.warc_header("WARC-Refers-To-Target-URI")
        assert target.date == rev.warc_header("WARC-Refers-To-Date")
    assert (out / "runs.jsonl").read_text().count("\n") == 2


def test_replay_gives_the_same_items(demo_runs: dict[str, Any], tmp_path: Path) -> None:
    out = demo_runs["out"]
    proc = run_cli("replay", str(out / "warc"), "--out", str(tmp_path / "replayed"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert read_items(tmp_path / "replayed" / "items.jsonl") == demo_runs["items_first"]


def test_cdxj_index_matches_cdxj_indexer(demo_runs: dict[str, Any]) -> None:
    warc_dir = demo_runs["out"] / "warc"
    ours = (warc_dir / "index.cdxj").read_text(encoding="utf-8").splitlines()
    indexer = shutil.which("cdxj-indexer") or str(REPO / ".venv/bin/cdxj-indexer")
    theirs = subprocess.run([indexer, *sorted(map(str, warc_dir.glob("*.warc.gz")))], cwd=warc_dir,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    assert sorted(ours) == sorted(theirs)
    assert ours == sorted(ours)


def test_two_demo_runs_at_once_one_is_skipped(tmp_path: Path) -> None:
    out = tmp_path / "out"
    port = str(free_port())
    procs = [subprocess.Popen([__import__("sys").executable, "-m", "crawler.runs.cli", "demo", "--out", str(out),
                               "--port", port],
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [p.communicate(timeout=240) for p in procs]
    codes = [p.returncode for p in procs]
    assert codes == [0, 0], results
    skipped = [stdout for stdout, _ in results if stdout.startswith("skipped:")]
    assert len(skipped) == 1, results
    assert "in use by another healthcrawl run (pid" in skipped[0]


def test_scrapy_crawl_offline_from_the_archive(demo_runs: dict[str, Any], tmp_path: Path) -> None:
    """`scrapy crawl news` with ARCHIVE_REPLAY_FROM answers every request from the WARCs: the
    demo server is not running, and the items equal the live ones, WARC pointers included."""
    out = demo_runs["out"]
    items_path = tmp_path / "exported.jsonl"
    proc = subprocess.run(
        [__import__("sys").executable, "-m", "scrapy", "crawl", "news", "-a", f"sources_dir={out / '.demo-specs'}",
         "-s", f"ARCHIVE_REPLAY_FROM={out / 'warc'}", "-s", f"HEALTHCRAWL_OUT={tmp_path / 'offline'}",
         "-s", "GUARD_ALLOW_PRIVATE=1", "-s", "LOG_LEVEL=WARNING", "-O", str(items_path)],
        cwd=REPO, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    live = {i["id"]: i for i in demo_runs["items_first"]}
    offline = {i["id"]: i for i in read_items(tmp_path / "offline" / "items.jsonl")}
    assert offline.keys() == live.keys()
    assert families(list(offline.values())) == families(list(live.values()))
    for key, item in offline.items():
        assert {k: v for k, v in item.items() if k != "duplicate_of"} == \
               {k: v for k, v in live[key].items() if k != "duplicate_of"}
    assert not list((tmp_path / "offline" / "warc").glob("*.warc.gz")), "nothing new was fetched or archived"


def test_replay_caps_decompressed_bodies(demo_runs: dict[str, Any], tmp_path: Path) -> None:
    proc = run_cli("replay", str(demo_runs["out"] / "warc"), "--out", str(tmp_path / "capped"), "--max-body", "2000")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "body over cap" in proc.stdout and ".warc.gz at offset" in proc.stdout
    assert len(read_items(tmp_path / "capped" / "items.jsonl")) < len(demo_runs["items_first"])
    report = sorted((tmp_path / "capped" / "reports").glob("run-*.json"))
    assert report and json.loads(report[-1].read_text())["kind"] == "replay"


def test_readme_python_block_runs_as_written(demo_runs: dict[str, Any], tmp_path: Path) -> None:
    """The README's Python API block, run as written in a folder holding the Quick start's
    `demo-output/`: it reads the demo's WARC and prints articles."""
    import re
    import sys

    block = re.search(r"## Python API\n\n```python\n(.*?)```", (REPO / "README.md").read_text(encoding="utf-8"), re.S)
    assert block is not None
    code = block.group(1)
    assert len(code.strip().splitlines()) <= 10
    (tmp_path / "demo-output").symlink_to(demo_runs["out"], target_is_directory=True)
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    titles = {item["title"] for item in demo_runs["items_first"]}
    printed = [line for line in proc.stdout.splitlines() if line.strip()]
    # the demo's articles, with their dates (pages the crawl did not offer, such as the home page,
    # may print too: the API extracts whatever page it is given)
    articles = [line for line in printed if any(line.startswith(t + " 20") for t in titles)]
    assert len(articles) >= 5, proc.stdout[-2000:]


def test_replay_honours_the_settings_a_crawl_honours(demo_runs: dict[str, Any], tmp_path: Path) -> None:
    """`replay -s` runs the crawl's own stage sequence with those settings: tags off, dedup off and
    the page's own script kept give items without topics, without links and in Traditional
    where the page was; its report counts with the crawl's stats keys, per source."""
    out = tmp_path / "replayed"
    proc = run_cli("replay", str(demo_runs["out"] / "warc"), "--out", str(out), "--workers", "0",
                   "-s", "TAGS_ENABLED=False", "-s", "DEDUP_ENABLED=False", "-s", "EXTRACT_CONVERT_SCRIPT=False")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    items = read_items(out / "items.jsonl")
    crawled = demo_runs["items_first"]
    assert {i["id"] for i in items} == {i["id"] for i in crawled}
    assert any(i["duplicate_of"] for i in crawled) and not any(i["duplicate_of"] for i in items)
    assert any(i["topics"] for i in crawled) and not any(i["topics"] or i["regions"] for i in items)
    traditional = [i for i in crawled if i["script"] == "zh-Hant"]
    assert traditional, "the demo has a Traditional repost"
    kept = {i["id"]: i for i in items}
    for item in traditional:
        assert kept[item["id"]]["opencc_config"] is None and kept[item["id"]]["text"] != item["text"]
    report = json.loads(sorted((out / "reports").glob("run-*.json"))[-1].read_text(encoding="utf-8"))
    crawl_report = demo_runs["report_first"]
    assert report["totals"]["new_items"] == len(items)
    assert set(report["sources"]) <= set(crawl_report["sources"]) and len(report["sources"]) > 1


def test_extract_honours_settings(demo_runs: dict[str, Any], tmp_path: Path) -> None:
    """`extract -s` uses the same settings: a minimum text length above the page's rejects it."""
    item = demo_runs["items_first"][0]
    record = read_record_at(demo_runs["out"] / "warc" / item["warc_filename"], item["warc_offset"])
    page = tmp_path / "page.html"
    page.write_bytes(record.payload)
    ok = run_cli("extract", str(page), "--url", item["url"])
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["text"] == item["text"]
    refused = run_cli("extract", str(page), "--url", item["url"], "-s", f"EXTRACT_MIN_TEXT_CHARS={len(item['text']) * 10}")
    assert refused.returncode == 1 and "shorter than" in refused.stderr, refused.stderr

"""The same story on several sites (three loopback hosts): an exact copy, a Traditional copy
with injected pinyin readings, a repost with a new lead and a footer — all linked to one
canonical item; a different story on the same topic is not. Two runs: nothing re-requested.
A repost harvested a run before its original: the original becomes canonical in items.jsonl,
the exports, the run report and dedup-report, and a replay of the WARCs (repost first), a crawl
without the extraction pool and a crawl of both at once link the same way."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import opencc
from support import read_items, run_cli

STORY = [
    "近年来，湄潭县以县人民医院、县中医医院为牵头单位，组建2个紧密型县域医共体，将全县15个乡镇卫生院、"
    "社区卫生服务中心纳入医共体管理，实行人员、财务、药品耗材统一管理。",
    "医共体成立以来，县级医院累计下派医务人员126人次到基层坐诊带教，开展新技术新项目18项。"
    "医共体内建成影像、心电、检验、消毒供应等资源共享中心，基层检查检验结果在医共体内互认。",
    "2021年，全县基层医疗卫生机构诊疗人次占比达到62.4%，县域内住院率达到90.3%，"
    "“小病在基层、大病不出县”的就医格局逐步形成。",
    "下一步，湄潭县将深化医共体内部运行机制改革，推进医保基金总额付费，促进优质医疗资源扩容下沉和均衡布局。",
]
OTHER = [
    "今年以来，凤冈县持续推进县域医共体建设，县人民医院与14个乡镇卫生院签订帮扶协议，组建专家团队定期下乡义诊。",
    "凤冈县还投入资金1200万元，为乡镇卫生院配备数字化X光机、全自动生化分析仪等设备，基层服务能力明显增强。",
    "县卫生健康局负责人介绍，下一步将完善双向转诊机制，让群众在家门口就能享受到县级医院的医疗服务。",
    "截至目前，凤冈县家庭医生签约服务覆盖率达到68%，重点人群签约率超过85%。",
]
READINGS = {"醫": "yī", "體": "tǐ", "縣": "xiàn", "療": "liáo", "衛": "wèi", "進": "jìn"}


def page(title: str, paragraphs: list[str], *, chrome: str = "", footer: str = "",
         date: str = "2022-03-09 10:20", source: str = "县卫生健康局") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<div class='nav'>{chrome}<a href='/'>首页</a> <a href='/list.html'>新闻</a></div>"
            f"<div class='article'><h1>{title}</h1><p class='info'>发布时间：{date} 来源：{source}</p>"
            f"{body}</div><div class='footer'>{footer}</div></body></html>").encode("utf-8")


def listing(paths: list[str]) -> tuple[str, bytes]:
    links = "".join(f"<li><a href='{p}'>文章{i}</a></li>" for i, p in enumerate(paths))
    return "text/html; charset=utf-8", f"<html><body><ul>{links}</ul></body></html>".encode()


def traditional_with_readings(text: str) -> str:
    trad = opencc.OpenCC("s2t.json").convert(text)
    return re.sub("|".join(READINGS), lambda m: f"{m.group(0)}({READINGS[m.group(0)]})", trad)


SPEC = """
name = "{name}"
title = "{name}"
homepage = "{base}/"
region = {{ province = "贵州省", city = "遵义市" }}
[[listing]]
url = "{base}/list.html"
article_links = "/a/"
[politeness]
download_delay = 0.0
concurrency = 4
"""


def test_reposts_across_sites_are_linked_and_not_refetched(static_sites: Any, tmp_path: Path) -> None:
    html = "text/html; charset=utf-8"
    title = "湄潭县全力推进紧密型县域医共体建设"
    bureau = static_sites("127.0.0.2", {
        "/a/story.html": (html, page(title, STORY, footer="主办单位：湄潭县卫生健康局 黔ICP备12345678号")),
        "/a/other.html": (html, page("凤冈县医共体建设惠及基层群众", OTHER)),
        "/list.html": listing(["/a/story.html", "/a/other.html"]),
    })
    portal = static_sites("127.0.0.3", {
        "/a/copy.html": (html, page(title, STORY, chrome="<b>遵义新闻网</b>", footer="版权所有 遵义新闻网")),
        "/a/repost.html": (html, page(title, ["本报讯（记者 王明）" + STORY[0], *STORY[1:]],
                                       footer="联系电话：0851-12345678 扫一扫关注公众号")),
        "/list.html": listing(["/a/copy.html", "/a/repost.html"]),
    })
    park = static_sites("127.0.0.4", {
        "/a/trad.html": (html, page(traditional_with_readings(title), [traditional_with_readings(p) for p in STORY],
                                    footer="廣告合作請聯繫 138-0000-0000")),
        "/list.html": listing(["/a/trad.html"]),
    })
    specs = tmp_path / "specs"
    specs.mkdir()
    for name, site in (("bureau", bureau), ("portal", portal), ("park", park)):
        (specs / f"{name}.toml").write_text(SPEC.format(name=name, base=site.base_url), encoding="utf-8")
    out = tmp_path / "out"
    args = ("harvest", "--sources-dir", str(specs), "--out", str(out), "--allow-private", "-s", "AUTOTHROTTLE_ENABLED=0")
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    items = {i["url"].split("/a/")[1]: i for i in read_items(out / "items.jsonl")}
    assert set(items) == {"story.html", "other.html", "copy.html", "repost.html", "trad.html"}
    family = ["story.html", "copy.html", "repost.html", "trad.html"]
    roots = {items[n]["duplicate_of"] or items[n]["id"] for n in family}
    assert len(roots) == 1, {n: items[n]["duplicate_of"] for n in family}
    root = roots.pop()
    assert sum(items[n]["duplicate_of"] is None for n in family) == 1      # exactly one canonical copy
    assert root in {items[n]["id"] for n in family}
    assert items["other.html"]["duplicate_of"] is None
    assert items["trad.html"]["script"] == "zh-Hant" and "pinyin-removed" in items["trad.html"]["quality"]
    assert {items[n]["site"] for n in family} == {"127.0.0.2", "127.0.0.3", "127.0.0.4"}

    report = run_cli("dedup-report", "--out", str(out))
    assert report.returncode == 0 and "127.0.0.4" in report.stdout and title in report.stdout

    for site in (bureau, portal, park):
        site.requests.clear()
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    requested = [p for site in (bureau, portal, park) for p in site.requests]
    assert not [p for p in requested if p.startswith("/a/")], requested
    assert len(read_items(out / "items.jsonl")) == 5


def test_repost_harvested_first_is_relinked_to_the_original_everywhere(static_sites: Any, tmp_path: Path) -> None:
    html = "text/html; charset=utf-8"
    title = "湄潭县全力推进紧密型县域医共体建设"
    bureau = static_sites("127.0.0.2", {
        "/a/story.html": (html, page(title, STORY, footer="主办单位：湄潭县卫生健康局")),
        "/list.html": listing(["/a/story.html"]),
    })
    portal = static_sites("127.0.0.3", {   # the repost, five days later, harvested a run earlier
        "/a/repost.html": (html, page(title, ["本报讯（记者 王明）" + STORY[0], *STORY[1:]], date="2022-03-14 07:45",
                                       source="湄潭县卫生健康局", footer="版权所有 遵义新闻网")),
        "/a/copy.html": (html, page(title, STORY, date="2022-03-15 08:00", footer="扫一扫关注公众号")),
        "/list.html": listing(["/a/repost.html", "/a/copy.html"]),
    })
    specs = tmp_path / "specs"
    specs.mkdir()
    for name, site in (("bureau", bureau), ("portal", portal)):
        (specs / f"{name}.toml").write_text(SPEC.format(name=name, base=site.base_url), encoding="utf-8")
    common = ("--sources-dir", str(specs), "--allow-private", "-s", "AUTOTHROTTLE_ENABLED=0")

    out = tmp_path / "out"
    for source in ("portal", "bureau"):       # two runs: the original arrives in the second
        proc = run_cli("harvest", "--sources", source, "--out", str(out), *common)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    raw = [json.loads(line) for line in (out / "items.jsonl").read_text(encoding="utf-8").splitlines()]
    items = {i["url"].split("/a/")[1]: i for i in read_items(out / "items.jsonl")}
    original = items["story.html"]["id"]
    expected = {"story.html": None, "repost.html": original, "copy.html": original}
    assert {n: i["duplicate_of"] for n, i in items.items()} == expected
    relinks = [r for r in raw if r.get("kind") == "relink"]
    assert {r["id"] for r in relinks if r["duplicate_of"] == original} == {items["repost.html"]["id"],
                                                                           items["copy.html"]["id"]}
    assert [i.get("kind") for i in raw[:2]] == [None, None]            # run 1's item lines, unchanged
    assert all(i["duplicate_of"] != original for i in raw[:2])

    # the exports apply the relink records
    for fmt in ("csv", "sqlite", "parquet"):
        proc = run_cli("export", "--format", fmt, str(out / "items.jsonl"), "--out", str(tmp_path / f"a.{fmt}"))
        assert proc.returncode == 0, proc.stdout + proc.stderr
    with (tmp_path / "a.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3
    assert {r["url"].split("/a/")[1]: r["duplicate_of"] or None for r in rows} == expected
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "a.parquet", columns=["id", "duplicate_of"]).to_pylist()
    assert {r["id"]: r["duplicate_of"] for r in table} == {items[n]["id"]: d for n, d in expected.items()}
    db = sqlite3.connect(tmp_path / "a.sqlite")
    assert dict(db.execute("SELECT id, duplicate_of FROM articles")) == {items[n]["id"]: d for n, d in expected.items()}
    db.close()
    # dedup-report and the second run's report name the original as canonical
    report = run_cli("dedup-report", "--out", str(out))
    assert f"canonical {original}" in report.stdout and "first-seen" in report.stdout
    run_report = json.loads(sorted((out / "reports").glob("run-*.json"))[-1].read_text(encoding="utf-8"))
    [cluster] = run_report["charts"]["charts"]["duplicate_clusters"]
    assert cluster["size"] == 3 and cluster["urls"][0] == items["story.html"]["url"]   # canonical first
    assert run_report["totals"]["new_items"] == 1

    # a replay of both runs' WARCs (the repost's capture comes first), without and with the pool
    warcs = sorted((out / "warc").glob("*.warc.gz"))
    for workers in ("0", "2"):
        replayed = tmp_path / f"replayed-{workers}"
        proc = run_cli("replay", *map(str, warcs), "--out", str(replayed), "--workers", workers)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        got = {i["url"].split("/a/")[1]: i["duplicate_of"] for i in read_items(replayed / "items.jsonl")}
        assert got == expected, workers
    # both sources in one run, without the extraction pool: the same links
    together = tmp_path / "together"
    proc = run_cli("harvest", "--out", str(together), "--workers", "0", *common)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = {i["url"].split("/a/")[1]: i["duplicate_of"] for i in read_items(together / "items.jsonl")}
    assert got == expected
    # its report counts the portal's two copies as duplicates, whichever was fetched first
    sources = json.loads(sorted((together / "reports").glob("run-*.json"))[-1].read_text(encoding="utf-8"))["sources"]
    assert (sources["portal"]["duplicates"], sources["bureau"]["duplicates"]) == (2, 0)


def reordered_warc(warcs: list[Path], first: list[str], dest: Path) -> Path:
    """One .warc.gz with the records of `warcs` (one gzip member each, bytes unchanged): the
    warcinfo, then the records of the URLs in `first` (in that order), then the rest."""
    from warcio.archiveiterator import ArchiveIterator

    members: list[tuple[str, str, bytes]] = []
    for path in warcs:
        data = path.read_bytes()
        with path.open("rb") as fh:
            records = ArchiveIterator(fh)
            for record in records:
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                kind = record.rec_type
                records.read_to_end()
                start, length = records.get_record_offset(), records.get_record_length()
                members.append((kind, url.split("/", 3)[3] if url.count("/") >= 3 else url, data[start:start + length]))
    head = [m for m in members if m[0] == "warcinfo"][:1]
    ahead = [m for path in first for m in members if m[1] == path and m[0] != "warcinfo"]
    rest = [m for m in members if m not in head and m not in ahead and m[0] != "warcinfo"]
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(b"".join(m[2] for m in head + ahead + rest))
    return dest


def test_demo_county_original_is_canonical_live_and_in_replays_in_either_order(tmp_path: Path) -> None:
    """The demo's Traditional repost (2022-03-14) and the county bureau's original (2022-03-09):
    the original is canonical after the crawl (whichever the crawl met first), and after a replay
    of a WARC that holds the repost first, or the original first."""
    from support import free_port

    out = tmp_path / "demo"
    run_cli("demo", "--out", str(out), "--port", str(free_port()), check=True)
    items = {i["url"].split("/", 3)[3]: i for i in read_items(out / "items.jsonl")}
    county_path, repost_path = "county/xwzx/202203/t20220309_73248805.html", "repost/post/21502.html"
    county, repost = items[county_path], items[repost_path]
    assert county["published"].startswith("2022-03-09") and repost["published"].startswith("2022-03-14")
    assert repost["script"] == "zh-Hant"
    assert county["duplicate_of"] is None and repost["duplicate_of"] == county["id"]
    links = {i["id"]: i["duplicate_of"] for i in items.values()}
    warcs = sorted((out / "warc").glob("*.warc.gz"))
    for name, first in (("repost-first", [repost_path, county_path]), ("county-first", [county_path, repost_path])):
        warc = reordered_warc(warcs, first, tmp_path / name / "in" / "demo-reordered.warc.gz")
        replayed = tmp_path / name / "out"
        run_cli("replay", str(warc), "--out", str(replayed), check=True)
        got = read_items(replayed / "items.jsonl")
        assert got[0]["url"].endswith(first[0]), name             # the replay met that copy first
        assert {i["id"]: i["duplicate_of"] for i in got} == links, name
        report = run_cli("dedup-report", "--out", str(replayed), check=True).stdout
        assert f"canonical {county['id']}" in report
    relinked = [json.loads(line) for line in (tmp_path / "repost-first" / "out" / "items.jsonl").read_text().splitlines()
                if '"kind":"relink"' in line]
    mine = [(r["id"], r["duplicate_of"]) for r in relinked if {r["id"], r["duplicate_of"]} & {repost["id"], county["id"]}]
    assert mine == [(repost["id"], county["id"])]   # (other clusters move too when the crawl met a repost first)

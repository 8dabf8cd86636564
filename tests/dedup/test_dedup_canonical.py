"""The canonical copy of a repost cluster is its original, whatever the processing order; a move
of the canonical reaches items.jsonl as relink records, crash-safely, at a cost that follows
what changed."""

from __future__ import annotations

import itertools
import json
import random
import sqlite3
from pathlib import Path

import opencc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.dedup import DedupSettings, Deduplicator, current_links, dedup_report, iter_items
from crawler.dedup.canonical import Ranked, origins_of, pick_canonical, rank_key
from crawler.dedup.links import read_relinks, relinked_since
from crawler.extract import Extractor
from crawler.items import Article
from crawler.pages.process import CapturedPage, content_hash, process_page
from crawler.urls import article_id, canonicalize_url

DEMO_SITE = Path(__file__).resolve().parents[2] / "crawler" / "demo" / "site"
COUNTY = DEMO_SITE / "county" / "xwzx" / "202203" / "t20220309_73248805.html"
REPOST = DEMO_SITE / "repost" / "post" / "21502.html"
BODY = [
    "近日，德清县召开县域医共体建设工作推进会，总结2023年医共体建设成效，部署下一阶段重点任务。",
    "据了解，德清县自2018年起组建武康、新市、乾元三个医共体集团，实行人财物统一管理，推动优质医疗资源下沉基层。",
    "三年来，县人民医院累计选派128名骨干医师到乡镇卫生院驻点帮扶，开设专家门诊和联合病房，基层门急诊人次同比增长16.3%。",
    "医共体内建成区域影像、心电、检验三大共享中心，乡镇卫生院拍片、做心电图，县级医院专家实时出具诊断报告。",
    "今年，德清县还将推行按病种分值付费改革，完善双向转诊绿色通道，力争县域就诊率达到92%以上。",
]
OTHER = [
    "日前，德清县医共体总院组织专家团队深入莫干山镇，开展“健康义诊进山村”活动，为山区老人送去医疗服务。",
    "活动现场，来自县人民医院心内科、骨科、眼科的专家为村民测量血压血糖，解读体检报告，并开展用药指导。",
    "据介绍，莫干山镇60岁以上老人占常住人口的三成，高血压、糖尿病等慢性病患者较多，医共体将其列为重点人群。",
    "义诊结束后，专家团队还为镇卫生院医务人员开展了慢病规范化管理培训，现场演示动态血压监测设备的使用方法。",
]


# -- the rule ---------------------------------------------------------------------------------
def test_rank_orders_by_publication_then_fetch_then_url() -> None:
    fetched = "2026-11-25T08:35:19+00:00"
    assert rank_key("2022-03-09T10:20:00+08:00", fetched, "u") < rank_key("2022-03-14T07:45:00+08:00", fetched, "u")
    # no zone: China time; a date alone: the end of that day (the copy was out by then)
    assert rank_key("2022-03-09T10:20:00", fetched, "u") == rank_key("2022-03-09T02:20:00+00:00", fetched, "u")
    assert rank_key("2022-03-09", fetched, "u") > rank_key("2022-03-09T23:00:00+08:00", fetched, "u")
    assert rank_key("2022-03-09", fetched, "u") < rank_key("2022-03-10T00:00:01+08:00", fetched, "u")
    # undated: published no later than fetched; a date after the fetch counts as the fetch
    assert rank_key(None, "2022-03-10T00:00:00+00:00", "u") < rank_key("2022-03-14", fetched, "u")
    assert rank_key("2030-01-01", fetched, "u") == rank_key(None, fetched, "u")
    # ties: earliest fetched, then smallest canonical URL
    assert rank_key("2022-03-09", "2026-01-01T00:00:00+00:00", "http://b/") < \
        rank_key("2022-03-09", "2026-01-02T00:00:00+00:00", "http://a/")
    assert rank_key("2022-03-09", fetched, "http://a/") < rank_key("2022-03-09", fetched, "http://b/")


def test_named_origins_are_read_from_the_source_field_and_the_edges_of_the_text() -> None:
    assert origins_of("人民网-人民日报", "正文") == "people"
    assert origins_of(None, "本文转载自新华网，记者张三\n正文") == "xinhua"
    assert origins_of(None, "正文\n（来源：http://www.nhc.gov.cn/yzygj/s7659/a.shtml）") == "nhc"
    assert origins_of("据央视新闻", "正文") == "cctv"
    assert origins_of("县卫生健康局", "以下文章来源于湄潭县卫生健康局，转载请注明出处。") is None  # no site known
    assert origins_of(None, "来自全国各地的专家来到中国网民身边") is None                # prose, not an origin
    assert origins_of(None, "正" * 2000 + "来源：人民网") == "people"                    # the last lines
    assert origins_of(None, "来源：人民网" + "正" * 2000 + "结尾") == "people"             # the first lines


def test_a_member_from_the_named_origin_beats_an_earlier_date() -> None:
    original = Ranked(1, "health.people.com.cn", rank_key("2024-05-02", None, "http://health.people.com.cn/a"))
    early_repost = Ranked(2, "www.some-portal.cn", rank_key("2024-05-01", None, "http://www.some-portal.cn/b"),
                          cites="people")
    later = Ranked(3, "news.example.cn", rank_key("2024-05-03", None, "http://news.example.cn/c"))
    for order in itertools.permutations([original, early_repost, later]):
        assert pick_canonical(order) == original
    # nobody from the named outlet in the cluster: the earliest published wins
    assert pick_canonical([early_repost, later]) == early_repost


# -- the facade ------------------------------------------------------------------------------
class Feed:
    """Items with fixed publication and fetch times, checked in any order."""

    def __init__(self, dedup: Deduplicator) -> None:
        self.dedup = dedup

    def check(self, url: str, text: str, published: str | None, fetched: str, source: str | None = None) -> str | None:
        canonical = canonicalize_url(url)
        return self.dedup.check(article_id(canonical), canonical, text, content_hash(text),
                                site=canonical.split("/")[2], published=published, url=url, title=text[:10],
                                fetched_at=fetched, source=source).duplicate_of


def ident(url: str) -> str:
    return article_id(canonicalize_url(url))


COPIES = [  # (url, text, published, fetched): one story, one unrelated story
    ("http://a.county.gov.cn/t1.html", "\n".join(BODY), "2022-03-09T10:20:00+08:00", "2026-01-05T00:00:00+00:00"),
    ("http://portal.cn/p/2.html", "\n".join(["本报讯（记者 陈丽）", *BODY]), "2022-03-14", "2026-01-01T00:00:00+00:00"),
    ("http://blog.cn/x/3.html", "\n".join(BODY[:3] + BODY[4:] + ["责任编辑：王明"]), None, "2026-01-02T00:00:00+00:00"),
    ("http://hk.example.hk/4.html", opencc.OpenCC("t2s.json").convert(opencc.OpenCC("s2hk.json").convert("\n".join(BODY))),
     "2022-03-16T09:00:00+08:00", "2026-01-03T00:00:00+00:00"),
    ("http://other.cn/5.html", "\n".join(OTHER), "2021-01-01", "2026-01-04T00:00:00+00:00"),
]


def final_links(directory: Path, order: list[int]) -> dict[str, str | None]:
    """Links in items.jsonl (lines as written at check time, then relink records) after
    checking COPIES in `order`, the way the store pipeline writes them."""
    from crawler.store.jsonl import JsonLinesWriter

    items = JsonLinesWriter(directory / "items.jsonl")
    with Deduplicator(directory, DedupSettings(commit_every=2)) as dedup:
        feed = Feed(dedup)
        for n in order:
            url, text, published, fetched = COPIES[n]
            dup = feed.check(url, text, published, fetched)
            items.write(json.dumps({"id": ident(url), "duplicate_of": dup}))
            dedup.commit()
    items.close()
    return current_links(directory)


def test_the_original_is_canonical_whatever_the_order(tmp_path: Path) -> None:
    original = ident(COPIES[0][0])
    expected = {ident(u): (None if ident(u) == original else original) for u, *_ in COPIES[:4]}
    expected[ident(COPIES[4][0])] = None
    for n, order in enumerate(itertools.permutations(range(5))):
        if n % 7:          # 18 of the 120 orders, the repost-first ones among them
            continue
        assert final_links(tmp_path / str(n), list(order)) == expected, order


def test_repost_first_moves_the_canonical_and_says_so_in_items_jsonl(tmp_path: Path) -> None:
    links = final_links(tmp_path, [1, 2, 3, 0])   # the original comes last
    raw = [json.loads(line) for line in (tmp_path / "items.jsonl").read_text().splitlines()]
    relinks = [r for r in raw if r.get("kind") == "relink"]
    original = ident(COPIES[0][0])
    # the three reposts were written pointing at the portal copy, then relinked to the original
    assert {r["id"] for r in relinks} == {ident(COPIES[n][0]) for n in (1, 2, 3)}
    assert all(r["duplicate_of"] == original for r in relinks if r["id"] != original)
    assert [r["seq"] for r in relinks] == sorted(r["seq"] for r in relinks)
    assert links[ident(COPIES[1][0])] == original and links[original] is None
    # the items file's own readers agree with the index and the report
    assert [i["id"] for i in iter_items([tmp_path / "items.jsonl"])] == [ident(COPIES[n][0]) for n in (1, 2, 3, 0)]
    report = dedup_report(tmp_path)
    assert f"canonical {original}  {COPIES[0][0]}" in report
    # two reposts were written linked, three are linked now: one more for a run report to count
    assert relinked_since(tmp_path / "items.jsonl", 0) == {"-": 1}
    assert relinked_since(tmp_path / "items.jsonl", (tmp_path / "items.jsonl").stat().st_size) == {}


@settings(max_examples=25, deadline=None)
@given(st.permutations(list(range(5))), st.integers(1, 4))
def test_links_do_not_depend_on_order_or_commit_batches(order: list[int], batch: int) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        with Deduplicator(Path(tmp), DedupSettings(commit_every=batch)) as dedup:
            feed = Feed(dedup)
            for n in order:
                feed.check(*COPIES[n])
            clusters = {c.canonical_id: sorted(m.item_id for m in c.members) for c in dedup.clusters()}
    assert clusters == {ident(COPIES[0][0]): sorted(ident(u) for u, *_ in COPIES[:4])}


def test_a_bridge_merges_two_clusters_under_one_original(tmp_path: Path) -> None:
    half_a = BODY[:3] + OTHER[:1]
    half_b = BODY[3:] + OTHER[1:]
    whole = "\n".join(half_a + half_b)   # shares much with both halves' copies
    with Deduplicator(tmp_path, DedupSettings(threshold=0.3)) as dedup:
        feed = Feed(dedup)
        assert feed.check("http://x.cn/a", "\n".join(half_a), "2024-01-03", "2026-01-01T00:00:00+00:00") is None
        assert feed.check("http://y.cn/b", "\n".join(half_b), "2024-01-02", "2026-01-01T00:00:00+00:00") is None
        assert len(dedup.clusters()) == 0
        assert feed.check("http://z.cn/w", whole, "2024-01-01", "2026-01-01T00:00:00+00:00") is None
        [cluster] = dedup.clusters()
        assert cluster.canonical_id == ident("http://z.cn/w") and cluster.size == 3


def test_cost_follows_what_changed_not_the_archive(tmp_path: Path) -> None:
    with Deduplicator(tmp_path, DedupSettings()) as dedup:
        feed = Feed(dedup)
        for n in range(300):   # an archive of unrelated stories
            rng = random.Random(n)
            feed.check(f"http://filler.cn/{n}.html", "".join(chr(rng.randint(0x4E00, 0x62FF)) for _ in range(150)),
                       "2024-01-01", "2026-01-01T00:00:00+00:00")
        for n in (1, 2, 3):
            feed.check(*COPIES[n])
        before = dedup.moved
        feed.check(*COPIES[0])
        assert dedup.moved - before == 3            # the cluster's members, nothing else
    assert len(read_relinks([tmp_path / "items.jsonl"])) == 3


# -- crash safety ----------------------------------------------------------------------------
def test_a_crash_between_the_move_and_the_relink_records_is_repaired_on_the_next_commit(tmp_path: Path) -> None:
    from crawler.dedup import links as links_module

    dedup = Deduplicator(tmp_path, DedupSettings())
    feed = Feed(dedup)
    for n in (1, 2):
        feed.check(*COPIES[n])
    dedup.commit()
    feed.check(*COPIES[0])                      # moves the canonical
    real_drain = links_module.RelinkWriter.drain
    links_module.RelinkWriter.drain = lambda self, index: (_ for _ in ()).throw(OSError("killed"))  # type: ignore[method-assign]
    try:
        with pytest.raises(OSError):
            dedup.commit()                      # the move is committed, the records are not written
    finally:
        links_module.RelinkWriter.drain = real_drain  # type: ignore[method-assign]
    dedup._index.close()
    dedup.seen.close()
    assert read_relinks([tmp_path / "items.jsonl"]) == {}     # old links: still consistent
    with Deduplicator(tmp_path, DedupSettings()):             # next run: the outbox is drained
        pass
    original = ident(COPIES[0][0])
    assert read_relinks([tmp_path / "items.jsonl"]) == {ident(COPIES[1][0]): original, ident(COPIES[2][0]): original}


def test_records_written_twice_after_a_crash_before_the_mark_change_nothing(tmp_path: Path) -> None:
    with Deduplicator(tmp_path, DedupSettings()) as dedup:
        feed = Feed(dedup)
        for n in (1, 2, 0):
            feed.check(*COPIES[n])
    links = read_relinks([tmp_path / "items.jsonl"])
    (tmp_path / "items.jsonl.relinked").unlink()                # as if killed before the mark
    with Deduplicator(tmp_path, DedupSettings()):
        pass
    lines = (tmp_path / "items.jsonl").read_text().splitlines()
    assert len(lines) == 2 * len(links) and read_relinks([tmp_path / "items.jsonl"]) == links


def test_a_schema_1_index_is_upgraded_and_its_canonicals_re_picked(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "dedup.sqlite")
    db.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE members (id INTEGER PRIMARY KEY, item_id TEXT NOT NULL UNIQUE, canonical_id INTEGER NOT NULL,"
        " kind INTEGER NOT NULL, similarity REAL, content_key INTEGER, site TEXT, published TEXT, url TEXT,"
        " title TEXT, sig BLOB);"
        "CREATE TABLE bands (key INTEGER NOT NULL, item INTEGER NOT NULL, PRIMARY KEY (key, item)) WITHOUT ROWID;")
    params = {**DedupSettings().index_params(), "schema": "1"}
    db.executemany("INSERT INTO meta VALUES (?, ?)", [(k, str(v)) for k, v in params.items()])
    db.executemany("INSERT INTO members (id, item_id, canonical_id, kind, site, published, url) VALUES (?,?,?,?,?,?,?)",
                   [(1, "aaaa", 1, 0, "repost.cn", "2022-03-14", "http://repost.cn/1"),
                    (2, "bbbb", 1, 2, "county.gov.cn", "2022-03-09", "http://county.gov.cn/2")])
    db.commit()
    db.close()
    with Deduplicator(tmp_path, DedupSettings()) as dedup:
        [cluster] = dedup.clusters()
        assert cluster.canonical_id == "bbbb"
    assert read_relinks([tmp_path / "items.jsonl"]) == {"aaaa": "bbbb", "bbbb": None}


# -- real pages ------------------------------------------------------------------------------
def article(path: Path, url: str, fetched: str, headers: dict[str, str] | None = None, body: bytes | None = None) -> Article:
    page = CapturedPage(url=url, status=200, headers=headers or {"content-type": "text/html"},
                        body=body if body is not None else path.read_bytes(), fetched_at=fetched)
    return process_page(page, Extractor())


def link(dedup: Deduplicator, a: Article) -> str | None:
    return dedup.check(a.id, a.canonical_url, a.text, a.content_hash, site=a.site, published=a.published,
                       url=a.url, title=a.title, fetched_at=a.fetched_at, source=a.source).duplicate_of


def test_demo_county_original_beats_its_traditional_repost_fetched_first(tmp_path: Path) -> None:
    """The demo's stories: the county bureau's GBK page of 2022-03-09 and the Traditional
    repost of 2022-03-14 on the industrial-park blog, which a crawl fetches first."""
    repost = article(REPOST, "http://127.0.0.1:8765/repost/post/21502.html", "2026-11-25T08:35:10+00:00")
    county = article(COUNTY, "http://127.0.0.1:8765/county/xwzx/202203/t20220309_73248805.html",
                     "2026-11-25T08:35:19+00:00", {"content-type": "text/html; charset=gbk"})
    assert repost.script == "zh-Hant" and repost.published and repost.published.startswith("2022-03-14")
    assert county.published and county.published.startswith("2022-03-09")
    with Deduplicator(tmp_path, DedupSettings()) as dedup:
        assert link(dedup, repost) is None          # alone so far: canonical
        assert link(dedup, county) is None          # older: takes over
    assert read_relinks([tmp_path / "items.jsonl"]) == {repost.id: county.id}   # the repost's relink record


def test_traditional_hong_kong_copy_links_to_the_mainland_original_and_back(tmp_path: Path) -> None:
    """A Hong Kong copy (Big5-HKSCS, HK Traditional, converted with hk2s) of the county story:
    linked to the original when it is the later copy, canonical when it is the earlier one."""
    county = article(COUNTY, "http://127.0.0.1:8765/county/xwzx/202203/t20220309_73248805.html",
                     "2026-11-25T08:35:19+00:00", {"content-type": "text/html; charset=gbk"})
    hk_text = opencc.OpenCC("s2hk.json").convert(county.text)

    def hk_page(date: str) -> Article:
        paras = "".join(f"<p>{p}</p>" for p in hk_text.splitlines())
        html = (f"<html lang='zh-HK'><head><meta charset='big5-hkscs'><title>{opencc.OpenCC('s2hk.json').convert(county.title)}"
                f"</title></head><body><div class='article'><h1>{opencc.OpenCC('s2hk.json').convert(county.title)}</h1>"
                f"<p class='date'>發佈日期：{date}</p>{paras}</div></body></html>")
        return article(COUNTY, "https://www.health-news.hk/article/20220316.html", "2026-11-25T08:30:00+00:00",
                       {"content-type": "text/html; charset=big5-hkscs"}, html.encode("big5hkscs"))

    later = hk_page("2022-03-16 09:00")
    assert later.script == "zh-Hant" and later.opencc_config == "hk2s.json" and later.published
    with Deduplicator(tmp_path / "later", DedupSettings()) as dedup:
        assert link(dedup, later) is None
        assert link(dedup, county) is None
        [cluster] = dedup.clusters()
        assert cluster.canonical_id == county.id and cluster.members[1].kind == "new"
    earlier = hk_page("2022-03-08 09:00")
    with Deduplicator(tmp_path / "earlier", DedupSettings()) as dedup:
        assert link(dedup, county) is None
        assert link(dedup, earlier) is None
        assert dedup.clusters()[0].canonical_id == earlier.id


_MOVER = """
import json, sys
from crawler.dedup import DedupSettings, Deduplicator
from crawler.pages.process import content_hash
from crawler.store.jsonl import JsonLinesWriter
body = sys.argv[2]
dedup = Deduplicator(sys.argv[1], DedupSettings())
items = JsonLinesWriter(sys.argv[1] + "/items.jsonl", fsync_every=1)
i = 0
while True:                      # every copy is older than the one before: each check moves the canonical
    text = f"第{i % 3}稿。" + body
    item_id = f"{i:016x}"
    verdict = dedup.check(item_id, f"http://e{i}.cn/", text, content_hash(text), site=f"e{i}.cn",
                          published=f"{2020 - i // 12:04d}-{12 - i % 12:02d}-01", url=f"http://e{i}.cn/")
    items.write(json.dumps({"id": item_id, "duplicate_of": verdict.duplicate_of}))
    dedup.commit()
    i += 1
    if i == 30:
        print("moving", flush=True)
"""


def test_kill_9_at_any_moment_leaves_old_or_new_links_and_every_member(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    for delay in (0.0, 0.05, 0.13):
        folder = tmp_path / str(delay)
        folder.mkdir()
        proc = subprocess.Popen([sys.executable, "-c", _MOVER, str(folder), "\n".join(BODY)], stdout=subprocess.PIPE,
                                cwd=Path(__file__).resolve().parents[2])
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == b"moving"
            time.sleep(delay)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        lines = (folder / "items.jsonl").read_bytes().splitlines()
        assert all(json.loads(line) for line in lines if line.strip())       # no torn line survives a reopen
        with Deduplicator(folder, DedupSettings()) as dedup:                 # the next run: drains the outbox
            indexed = {m.item_id: c.canonical_id for c in dedup.clusters(min_size=1) for m in c.members}
        items = list(iter_items([folder / "items.jsonl"]))
        ids = [i["id"] for i in items]
        assert len(ids) == len(set(ids)) >= 30                               # every member, once
        for item in items:
            if item["id"] not in indexed:                                    # written, not committed (reconciled by the store)
                assert item["id"] == ids[-1]
                continue
            want = None if indexed[item["id"]] == item["id"] else indexed[item["id"]]
            assert item["duplicate_of"] == want, (delay, item)

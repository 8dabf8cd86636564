"""Two Redis workers pick the same canonical copies as one process: the original, whichever
worker meets which copy first; each worker's items.jsonl receives the relink records."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from support.distributed import items_of
from support import free_port, read_items, run_cli

from crawler.dedup import DedupSettings, Deduplicator
from crawler.dedup.links import read_relinks
from crawler.distributed.dedup_index import RedisDedupIndex
from crawler.pages.process import content_hash
from crawler.store.jsonl import JsonLinesWriter
from crawler.urls import article_id, canonicalize_url

pytestmark = pytest.mark.redis

BODY = [
    "近年来，湄潭县以县人民医院、县中医医院为牵头单位，组建2个紧密型县域医共体，将全县15个乡镇卫生院纳入医共体管理。",
    "医共体成立以来，县级医院累计下派医务人员126人次到基层坐诊带教，开展新技术新项目18项，建成影像、心电、检验共享中心。",
    "2021年，全县基层医疗卫生机构诊疗人次占比达到62.4%，县域内住院率达到90.3%，“小病在基层、大病不出县”格局逐步形成。",
    "下一步，湄潭县将深化医共体内部运行机制改革，推进医保基金总额付费，促进优质医疗资源扩容下沉和均衡布局。",
]
COPIES = [  # (url, text, published, fetched); the first is the original
    ("http://wjw.meitan.gov.cn/t1.html", "\n".join(BODY), "2022-03-09T10:20:00+08:00", "2026-01-05T00:00:00+00:00"),
    ("http://portal.example.cn/p/2.html", "\n".join(["本报讯（记者 王明）", *BODY]), "2022-03-14", "2026-01-01T00:00:00+00:00"),
    ("http://blog.example.cn/x/3.html", "\n".join(BODY[:3] + ["责任编辑：王明"]), None, "2026-01-02T00:00:00+00:00"),
    ("http://park.example.cn/4.html", "\n".join(BODY + ["扫一扫关注公众号"]), "2022-03-16", "2026-01-03T00:00:00+00:00"),
]


def ident(url: str) -> str:
    return article_id(canonicalize_url(url))


def check(dedup: Deduplicator, items: JsonLinesWriter, url: str, text: str, published: str | None,
          fetched: str) -> None:
    canonical = canonicalize_url(url)
    verdict = dedup.check(ident(url), canonical, text, content_hash(text), site=canonical.split("/")[2],
                          published=published, url=url, title=text[:10], fetched_at=fetched)
    items.write(json.dumps({"id": ident(url), "url": url, "duplicate_of": verdict.duplicate_of}))
    dedup.commit()


def test_two_workers_at_once_link_every_copy_to_the_original(redis_db: Any, redis_server: Any, tmp_path: Path) -> None:
    expected = {ident(u): None if n == 0 else ident(COPIES[0][0]) for n, (u, *_) in enumerate(COPIES)}
    for round_, split in enumerate(([[3, 1], [0, 2]], [[0, 3], [1, 2]], [[1, 2], [3, 0]])):
        redis_db.flushall()
        settings = DedupSettings()
        folders = [tmp_path / str(round_) / f"w{i}" for i in range(2)]
        barrier = threading.Barrier(2, timeout=60)

        def work(i: int) -> None:
            client = redis_server.client()
            dedup = Deduplicator(folders[i], settings, index=RedisDedupIndex(client, "t:dedup", settings.index_params()))
            items = JsonLinesWriter(folders[i] / "items.jsonl")
            barrier.wait()
            for n in split[i]:
                check(dedup, items, *COPIES[n])
            barrier.wait()            # both done: the last commit drains what the other queued
            dedup.close()
            items.close()

        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        got = {i["id"]: i["duplicate_of"] for i in items_of(folders)}
        assert got == expected, split
        # either worker's folder alone is current for its own items (it received every relink)
        for folder in folders:
            own = {i["id"]: i["duplicate_of"] for i in read_items(folder / "items.jsonl")}
            assert own == {k: expected[k] for k in own}
        assert not any((f / "dedup.sqlite").exists() for f in folders)
        # the same as one process with SQLite
        single = tmp_path / str(round_) / "single"
        with Deduplicator(single, settings) as dedup:
            writer = JsonLinesWriter(single / "items.jsonl")
            for n in split[0] + split[1]:
                check(dedup, writer, *COPIES[n])
            writer.close()
        assert {i["id"]: i["duplicate_of"] for i in read_items(single / "items.jsonl")} == expected
        assert read_relinks([f / "items.jsonl" for f in folders]).keys() <= expected.keys()


def test_demo_with_two_redis_workers_links_like_one_process(redis_server: Any, redis_db: Any, tmp_path: Path) -> None:
    port = str(free_port())   # one port for both runs: the same URLs, so the same item ids
    run_cli("demo", "--out", str(tmp_path / "single"), "--port", port, "--workers", "0", check=True)
    single = {i["id"]: i for i in read_items(tmp_path / "single" / "items.jsonl")}
    proc = run_cli("demo", "--out", str(tmp_path / "two"), "--port", port, "--redis-url", redis_server.url,
                   "--workers", "2")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    folders = [f for f in sorted((tmp_path / "two" / "workers").iterdir()) if not f.name.startswith(".")]
    two = {i["id"]: i for i in items_of(folders)}
    assert two.keys() == single.keys()
    assert {k: i["duplicate_of"] for k, i in two.items()} == {k: i["duplicate_of"] for k, i in single.items()}
    by_path = {i["url"].split("/", 3)[3]: i for i in two.values()}
    county = by_path["county/xwzx/202203/t20220309_73248805.html"]
    assert county["duplicate_of"] is None
    assert by_path["repost/post/21502.html"]["duplicate_of"] == county["id"]

"""Deduplicator: exact and near reposts linked to the original (here, with equal dates, the
first fetched); other stories left alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import opencc
import pytest

from crawler.dedup import DedupSettings, Deduplicator, DedupVerdict, dedup_report
from crawler.pages.process import content_hash
from crawler.urls import article_id, canonicalize_url

BODY = [
    "近日，德清县召开县域医共体建设工作推进会，总结2023年医共体建设成效，部署下一阶段重点任务。",
    "据了解，德清县自2018年起组建武康、新市、乾元三个医共体集团，实行人财物统一管理，推动优质医疗资源下沉基层。",
    "三年来，县人民医院累计选派128名骨干医师到乡镇卫生院驻点帮扶，开设专家门诊和联合病房，基层门急诊人次同比增长16.3%。",
    "医共体内建成区域影像、心电、检验三大共享中心，乡镇卫生院拍片、做心电图，县级医院专家实时出具诊断报告，群众在家门口就能看专家。",
    "在新市镇卫生院，村民王建华刚做完复查。“以前看病要跑到城里，现在家门口就能看专家，医保报销比例还更高，”他说。",
    "今年，德清县还将推行按病种分值付费改革，完善双向转诊绿色通道，力争县域就诊率达到92%以上。",
    "县卫生健康局局长沈志强表示，下一步将继续深化医共体建设，推动公共卫生和医疗服务深度融合，不断提升群众获得感。",
]
FOOTER_A = "（来源：湖州日报 记者 陈丽 通讯员 吴杰）\n责任编辑：姚国庆"
FOOTER_B = "【打印本页】【关闭窗口】\n主办单位：德清县卫生健康局 版权所有"
OTHER_STORY = [
    "日前，德清县医共体总院组织专家团队深入莫干山镇，开展“健康义诊进山村”活动，为山区老人送去医疗服务。",
    "活动现场，来自县人民医院心内科、骨科、眼科的专家为村民测量血压血糖，解读体检报告，并开展用药指导。",
    "据介绍，莫干山镇60岁以上老人占常住人口的三成，高血压、糖尿病等慢性病患者较多，医共体将其列为家庭医生签约服务重点人群。",
    "义诊结束后，专家团队还为镇卫生院医务人员开展了慢病规范化管理培训，现场演示动态血压监测设备的使用方法。",
    "医共体总院负责人介绍，今年将组织此类下乡义诊活动50场以上，推动医共体优质资源持续下沉，让山区群众少跑腿。",
]

_S2T = opencc.OpenCC("s2t.json")
_T2S = opencc.OpenCC("t2s.json")


class Feeder:
    """Checks texts under made-up URLs, the way the pipeline would: in fetch order (each check
    fetched one minute after the one before)."""

    def __init__(self, dedup: Deduplicator) -> None:
        self.dedup = dedup
        self.fetched = 0

    def check(self, url: str, text: str, *, published: str = "2024-03-01",
              source: str | None = None) -> tuple[str, DedupVerdict]:
        canonical = canonicalize_url(url)
        item_id = article_id(canonical)
        self.fetched += 1
        verdict = self.dedup.check(item_id, canonical, text, content_hash(text), site=canonical.split("/")[2],
                                   published=published, url=url, title=text[:12], source=source,
                                   fetched_at=f"2024-03-02T{self.fetched // 60:02d}:{self.fetched % 60:02d}:00+00:00")
        return item_id, verdict


def original() -> str:
    return "\n".join(BODY + [FOOTER_A])


@pytest.fixture()
def feeder(tmp_path: Path) -> Iterator[Feeder]:
    dedup = Deduplicator(tmp_path, DedupSettings())
    yield Feeder(dedup)
    dedup.close()


def test_first_copy_is_new_and_exact_copy_links_to_it(feeder: Feeder) -> None:
    first, v1 = feeder.check("http://www.hzrb.cn/a/1.html", original())
    assert v1 == DedupVerdict(None, "new")
    # same text, different whitespace, another site
    _, v2 = feeder.check("http://news.dqrb.cn/b/2.html", "\n\n".join(BODY + [FOOTER_A]).replace("。", "。 "))
    assert v2.kind == "exact" and v2.duplicate_of == first


MUTATIONS = {
    "other footer": "\n".join(BODY + [FOOTER_B]),
    "本报讯 lead": "\n".join(["本报讯（记者 陈丽 通讯员 吴杰）"] + BODY + [FOOTER_A]),
    "dropped paragraph": "\n".join(BODY[:3] + BODY[4:] + [FOOTER_A]),
    "traditional copy (t2s)": _T2S.convert(_S2T.convert("\n".join(BODY + [FOOTER_B]))),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_near_duplicate_is_linked_to_first_copy(feeder: Feeder, mutation: str) -> None:
    first, _ = feeder.check("http://www.hzrb.cn/a/1.html", original())
    _, verdict = feeder.check("http://wsjkw.zj.gov.cn/art/9.html", MUTATIONS[mutation])
    assert verdict.kind == "near", mutation
    assert verdict.duplicate_of == first
    assert verdict.similarity is not None and verdict.similarity >= feeder.dedup.settings.threshold


def test_signature_computed_elsewhere_is_used_when_its_hasher_matches(tmp_path: Path) -> None:
    """A worker's `(hasher key, signature)` stands in for hashing here; a foreign key is ignored."""
    from crawler.dedup.minhash import MinHasher

    settings = DedupSettings()
    hasher = MinHasher(settings.shingle_size, settings.num_perm)
    repost = MUTATIONS[sorted(MUTATIONS)[0]]
    other = "\n".join(OTHER_STORY + [FOOTER_A])

    def verdicts(directory: Path, sign: object) -> list[str]:
        with Deduplicator(directory, settings) as dedup:
            got = []
            for n, text in enumerate([original(), repost, other]):
                url = f"http://site{n}.cn/a/{n}.html"
                got.append(dedup.check(article_id(url), url, text, content_hash(text), site=f"site{n}.cn",
                                       published=None, url=url, minhash=sign(text)).kind)  # type: ignore[operator]
            return got

    def own(text: str) -> tuple[object, bytes]:
        return hasher.key, hasher.signature(text).tobytes()  # type: ignore[union-attr]

    assert verdicts(tmp_path / "a", lambda t: None) == ["new", "near", "new"]
    assert verdicts(tmp_path / "b", own) == ["new", "near", "new"]
    # the repost's signature replaced by the other story's: used, so the repost is not linked
    swapped = {repost: own(other)}
    assert verdicts(tmp_path / "c", lambda t: swapped.get(t) or own(t)) == ["new", "new", "near"]
    foreign = {repost: ((4, 64, 0), own(other)[1])}                 # another hasher's: ignored
    assert verdicts(tmp_path / "d", lambda t: foreign.get(t) or own(t)) == ["new", "near", "new"]


def test_traditional_copy_really_differs_before_conversion() -> None:
    traditional = _S2T.convert(original())
    assert traditional != original() and "醫" in traditional


def test_different_story_on_same_topic_is_not_linked(feeder: Feeder) -> None:
    feeder.check("http://www.hzrb.cn/a/1.html", original())
    other = "\n".join(OTHER_STORY + [FOOTER_A])
    assert "医共体" in other and "德清县" in other
    _, verdict = feeder.check("http://www.hzrb.cn/a/2.html", other)
    assert verdict == DedupVerdict(None, "new")


def test_links_go_to_cluster_root_never_a_chain(feeder: Feeder) -> None:
    root, _ = feeder.check("http://a.cn/1", original())
    # b is close to the root; c is built from b and is closer to b than to the root
    b_text = "\n".join(BODY[:3] + BODY[4:] + [FOOTER_B])
    b_id, vb = feeder.check("http://b.cn/1", b_text)
    c_text = "\n".join(["本报讯（记者 陈丽）"] + BODY[:3] + BODY[4:6] + [FOOTER_B])
    _, vc = feeder.check("http://c.cn/1", c_text)
    assert vb.duplicate_of == root
    assert vc.kind == "near" and vc.duplicate_of == root  # not b_id
    [cluster] = feeder.dedup.clusters()
    assert cluster.canonical_id == root
    assert [m.site for m in cluster.members] == ["a.cn", "b.cn", "c.cn"]
    assert cluster.members[0].kind == "new" and b_id in {m.item_id for m in cluster.members}


def _run(directory: Path, order: list[tuple[str, str]]) -> dict[str, str | None]:
    with Deduplicator(directory, DedupSettings()) as dedup:
        feeder = Feeder(dedup)
        return {url: feeder.check(url, text)[1].duplicate_of for url, text in order}


def test_same_dates_the_first_fetched_wins(tmp_path: Path) -> None:
    copies = [(f"http://site{i}.cn/a.html", text) for i, text in enumerate(MUTATIONS.values())]
    copies.append(("http://orig.cn/a.html", original()))
    forward = _run(tmp_path / "one", copies)
    again = _run(tmp_path / "two", copies)
    assert forward == again
    first_id = article_id(canonicalize_url(copies[0][0]))
    assert forward[copies[0][0]] is None
    assert all(forward[url] == first_id for url, _ in copies[1:])
    backward = _run(tmp_path / "three", copies[::-1])
    orig_id = article_id(canonicalize_url("http://orig.cn/a.html"))
    assert all(backward[url] == orig_id for url, _ in copies[:-1])


def test_recheck_is_idempotent_across_reopen(tmp_path: Path) -> None:
    order = [("http://a.cn/1", original()), ("http://b.cn/2", MUTATIONS["本报讯 lead"]),
             ("http://c.cn/3", "\n".join(OTHER_STORY))]
    first = _run(tmp_path, order)
    with Deduplicator(tmp_path, DedupSettings()) as dedup:
        feeder = Feeder(dedup)
        verdicts = {url: feeder.check(url + "?utm_source=replay", text)[1] for url, text in order}
        assert {v.kind for v in verdicts.values()} == {"same-id"}
        assert {url: v.duplicate_of for url, v in verdicts.items()} == first
        assert len(dedup) == 3 and len(dedup.seen) == 3


def test_short_texts_are_never_linked(feeder: Feeder) -> None:
    assert feeder.check("http://a.cn/1", "详见附件。")[1].kind == "new"
    assert feeder.check("http://b.cn/1", "详见附件。")[1] == DedupVerdict(None, "new")


def test_settings_pinned_in_the_index(tmp_path: Path) -> None:
    Deduplicator(tmp_path, DedupSettings()).close()
    with pytest.raises(ValueError, match="shingle_size=5.*shingle_size=4"):
        Deduplicator(tmp_path, DedupSettings(shingle_size=4))


def test_bad_settings_and_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="DEDUP_THRESHOLD"):
        DedupSettings(threshold=0)
    with pytest.raises(ValueError, match="DEDUP_BANDS"):
        DedupSettings(bands=40, rows=5)
    with Deduplicator(tmp_path, DedupSettings()) as dedup:
        with pytest.raises(ValueError, match="item abc: content_hash"):
            dedup.check("abc", "http://a.cn/", original(), "not-hex", site="a.cn", published=None,
                        url="http://a.cn/")


def test_from_scrapy_settings() -> None:
    from crawler.runs.config import build_settings

    s = DedupSettings.from_scrapy(build_settings(Path("unused"), {"DEDUP_THRESHOLD": "0.8", "DEDUP_DROP_REPOSTS": "true"}))
    assert s.threshold == 0.8 and s.drop_reposts and s.bands is not None
    # the option object's defaults are the project's settings (one place)
    assert DedupSettings.from_scrapy(build_settings(Path("unused"))) == DedupSettings()


def test_report_lists_clusters_largest_first(tmp_path: Path) -> None:
    order = [("http://www.hzrb.cn/1", original()), ("http://x.cn/2", "\n".join(OTHER_STORY)),
             ("http://wsjkw.zj.gov.cn/3", MUTATIONS["other footer"]),
             ("http://y.cn/4", "\n".join(OTHER_STORY + [FOOTER_B])),
             ("http://z.cn/5", MUTATIONS["dropped paragraph"])]
    _run(tmp_path, order)
    text = dedup_report(tmp_path)
    assert text.startswith("2 repost clusters, 3 reposts among 5 items")
    first, second = text.index("#1  3 copies on 3 sites"), text.index("#2  2 copies on 2 sites")
    assert first < second
    assert "wsjkw.zj.gov.cn" in text[first:second] and "x.cn" in text[second:]
    with pytest.raises(FileNotFoundError, match="dedup.sqlite"):
        dedup_report(tmp_path / "missing")


def test_other_story_sharing_a_background_paragraph_is_not_linked(feeder: Feeder) -> None:
    feeder.check("http://www.hzrb.cn/a/1.html", original())
    other = "\n".join(OTHER_STORY[:2] + [BODY[1]] + OTHER_STORY[2:] + [FOOTER_A])
    _, verdict = feeder.check("http://www.hzrb.cn/a/3.html", other)
    assert verdict == DedupVerdict(None, "new")


_DEDUP_WRITER = """
import sys
from hashlib import sha1, sha256
from crawler.dedup import DedupSettings, Deduplicator
body = sys.argv[2]
dedup = Deduplicator(sys.argv[1], DedupSettings(commit_every=50))
i = 0
while True:                      # never closes: killed from outside
    text = f"第{i}篇。" + body if i % 2 else "不同的稿件" + sha256(str(i).encode()).hexdigest() * 2
    dedup.check(f"{i:016x}", f"http://e.cn/{i}", text, sha1(text.encode()).hexdigest(),
                site="e.cn", published="2020-01-01", url=f"http://e.cn/{i}")
    i += 1
    if i == 200:
        print("committed-some", flush=True)
"""


def test_kill_9_mid_batch_leaves_a_usable_index(tmp_path: Path) -> None:
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    proc = subprocess.Popen([sys.executable, "-c", _DEDUP_WRITER, str(tmp_path), original()],
                            stdout=subprocess.PIPE, cwd=Path(__file__).resolve().parents[2])
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"committed-some"
        time.sleep(0.2)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    for name in ("dedup.sqlite", "seen.sqlite"):
        conn = sqlite3.connect(tmp_path / name)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", name
        conn.close()
    with Deduplicator(tmp_path, DedupSettings()) as dedup:
        n = len(dedup)
        assert n >= 200 and n % 50 == 0 and len(dedup.seen) == n
        # the odd items are reposts of item 1: one cluster, intact after the crash
        [cluster] = dedup.clusters()
        assert cluster.canonical_id == f"{1:016x}" and cluster.size == n // 2
        feeder = Feeder(dedup)
        _, verdict = feeder.check("http://after.cn/crash", original())
        assert verdict.kind == "near" and verdict.duplicate_of == f"{1:016x}"

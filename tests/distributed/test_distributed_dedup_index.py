"""The Redis near-duplicate index gives the same verdicts as the SQLite one, and links copies
checked by two workers at the same moment."""

from __future__ import annotations

import random
import threading
from pathlib import Path

import pytest

from crawler.dedup import DedupSettings, Deduplicator, DedupVerdict
from crawler.distributed.dedup_index import RedisDedupIndex
from crawler.pages.process import content_hash
from crawler.urls import article_id, canonicalize_url

pytestmark = pytest.mark.redis

PREFIX = "healthcrawl:t:dedup"


def story(seed: int, length: int = 400) -> str:
    rng = random.Random(seed)
    return "".join(chr(rng.randint(0x4E00, 0x62FF)) for _ in range(length))


def near_copy(text: str, seed: int, changes: int = 8) -> str:
    rng = random.Random(seed)
    chars = list(text)
    for _ in range(changes):
        chars[rng.randrange(len(chars))] = "的"
    return "".join(chars) + "（来源：某某日报）"


def corpus() -> list[tuple[str, str]]:
    a, b, c = story(1), story(2), story(3)
    return [
        ("http://one.example/a.html", a),
        ("http://two.example/a-repost.html", " ".join(a[i:i + 50] for i in range(0, len(a), 50))),  # exact
        ("http://one.example/b.html", b),
        ("http://three.example/b-near.html", near_copy(b, 7)),  # near
        ("http://one.example/c.html", c),
        ("http://one.example/short.html", "详见附件"),
        ("http://two.example/short.html", "详见附件"),
        ("http://one.example/a.html", a),  # same id again
        ("http://four.example/a-near.html", near_copy(a, 9)),
    ]


def feed(dedup: Deduplicator, url: str, text: str) -> DedupVerdict:
    canonical = canonicalize_url(url)
    return dedup.check(article_id(canonical), canonical, text, content_hash(text), site=canonical.split("/")[2],
                       published="2024-03-01", url=url, title=text[:8])


def redis_dedup(client, tmp_path: Path, settings: DedupSettings | None = None) -> Deduplicator:  # type: ignore[no-untyped-def]
    settings = settings or DedupSettings()
    from crawler.distributed.seen_store import RedisSeenStore

    return Deduplicator(tmp_path, settings, seen_store=RedisSeenStore(client, key="healthcrawl:t:seen"),
                        index=RedisDedupIndex(client, PREFIX, settings.index_params()))


def test_same_verdicts_and_clusters_as_sqlite(redis_db, redis_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sqlite = Deduplicator(tmp_path / "sqlite", DedupSettings())
    shared = redis_dedup(redis_server.client(), tmp_path / "redis")
    try:
        expected = [feed(sqlite, url, text) for url, text in corpus()]
        got = [feed(shared, url, text) for url, text in corpus()]
        assert got == expected
        assert {v.kind for v in got} == {"new", "exact", "near", "same-id"}
        assert shared.clusters() == sqlite.clusters()
        assert len(shared) == len(sqlite)
        assert not (tmp_path / "redis" / "dedup.sqlite").exists()  # nothing written locally
    finally:
        sqlite.close()
        shared.close()


def test_two_workers_checking_two_copies_at_once_link_them(redis_db, redis_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = story(11)
    for round_ in range(5):
        redis_db.flushall()
        workers = [redis_dedup(redis_server.client(), tmp_path / f"w{i}") for i in range(2)]
        barrier = threading.Barrier(2)
        verdicts: list[DedupVerdict] = [None, None]  # type: ignore[list-item]

        def work(i: int) -> None:
            barrier.wait()
            verdicts[i] = feed(workers[i], f"http://site{i}.example/{round_}.html", near_copy(text, i, changes=2))

        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(v.kind for v in verdicts) == ["near", "new"], verdicts
        for w in workers:
            w.close()


def test_other_dedup_settings_on_the_same_crawl_are_refused(redis_db) -> None:  # type: ignore[no-untyped-def]
    RedisDedupIndex(redis_db, PREFIX, DedupSettings().index_params())
    with pytest.raises(ValueError, match="num_perm=128, settings ask for num_perm=64"):
        RedisDedupIndex(redis_db, PREFIX, DedupSettings(num_perm=64).index_params())

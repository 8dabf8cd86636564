"""crawler.pages.pool.ExtractionPool: the same results as inline extraction, in order, from a plain
loop (replay) and from an asyncio loop (crawl); a killed worker loses no page."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Iterator

import pytest

from crawler.extract import Extractor
from crawler.pages.process import CapturedPage
from crawler.pages.pool import ExtractionPool
from crawler.pages.stages import process_and_tag

EX = Extractor()
PARAGRAPHS = ["县域医共体建设持续推进，乡镇卫生院服务能力明显提升，群众在家门口就能看病就医。",
              "县人民医院下派医务人员到基层坐诊带教，开展新技术新项目，培养基层骨干医生。",
              "医共体内建成影像、心电、检验等资源共享中心，检查检验结果在医共体内互认。",
              "家庭医生签约服务覆盖率稳步提高，重点人群签约率超过八成，慢病管理更加规范。"]


def _page(n: int) -> CapturedPage:
    """Article pages, with pages too short to be articles, HTTP errors and binary bodies among them."""
    url = f"http://127.0.0.1:9/a/{n}.html"
    if n % 7 == 3:
        body = "<html><body><div>短讯</div></body></html>".encode()
    elif n % 11 == 5:
        body = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
    else:
        paras = "".join(f"<p>第{n}号文章。{p}</p>" for p in PARAGRAPHS[n % 4:] + PARAGRAPHS[:n % 4])
        body = f"<html><head><title>医共体建设第{n}篇</title></head><body><div>{paras}</div></body></html>".encode()
    return CapturedPage(url=url, status=404 if n % 13 == 9 else 200, headers={"content-type": "text/html"},
                        body=body, fetched_at="2026-01-01T00:00:00+00:00", extra={"warc_ref": object()})


PAGES = [_page(n) for n in range(40)]
REGION = {"province": "贵州省", "city": "遵义市", "county": None}


def _inline() -> list[object]:
    return [process_and_tag(page, EX, REGION, tag=True) for page in PAGES]


@pytest.fixture(scope="module")
def expected() -> list[object]:
    return _inline()


@pytest.fixture
def pool() -> Iterator[ExtractionPool]:
    made = ExtractionPool(2, EX, inflight=2, batch=3)
    yield made
    made.close()


def test_inline_results_are_a_mix(expected: list[object]) -> None:
    kinds = {type(r).__name__ if not isinstance(r, tuple) else r[0] for r in expected}
    assert {"Article", "no-main-text", "not-html", "http-error"} <= kinds, kinds


def test_map_ordered_equals_inline_in_input_order(pool: ExtractionPool, expected: list[object]) -> None:
    got = list(pool.map_ordered(((page, n) for n, page in enumerate(PAGES)), region_of=lambda _: REGION))
    assert [n for _, n, _ in got] == list(range(len(PAGES)))
    assert [page for page, _, _ in got] == PAGES              # the caller's pages, capture refs kept
    assert [r for _, _, r in got] == expected
    untagged = [r for _, _, r in pool.map_ordered((page, n) for n, page in enumerate(PAGES))]
    article = next(r for r in untagged if not isinstance(r, tuple))
    assert article.regions == [] and article.topics == []      # no region_of: not tagged


def test_workers_sign_articles_for_dedup(expected: list[object]) -> None:
    from crawler.dedup.minhash import MinHasher

    hasher = MinHasher(5, 128)
    signing = ExtractionPool(1, EX, hasher=hasher)
    try:
        got = [r for _, _, r in signing.map_ordered((page, n) for n, page in enumerate(PAGES))]
    finally:
        signing.close()
    articles = [r for r in got if not isinstance(r, tuple)]
    assert articles and all(a._minhash[0] == hasher.key for a in articles)
    assert all(a._minhash[1] == hasher.signature(a.text).tobytes() for a in articles)


def test_async_process_from_many_tasks(pool: ExtractionPool, expected: list[object]) -> None:
    async def main() -> list[object]:
        return list(await asyncio.gather(*(pool.process(page, REGION, tag=True) for page in PAGES)))

    assert asyncio.run(main()) == expected
    assert all(not worker.sent for worker in pool._pool)


def _kill(pool: ExtractionPool, index: int) -> int:
    pid = pool._pool[index].process.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while pool._pool[index].process.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    return pid


def test_killed_worker_loses_no_page(pool: ExtractionPool, expected: list[object],
                                     caplog: pytest.LogCaptureFixture) -> None:
    dead = _kill(pool, 0)
    with caplog.at_level(logging.ERROR, logger="crawler.pages.pool"):
        got = [r for _, _, r in pool.map_ordered(((page, n) for n, page in enumerate(PAGES)),
                                                 region_of=lambda _: REGION)]
    assert got == expected
    assert dead not in {w.process.pid for w in pool._pool} and all(w.process.is_alive() for w in pool._pool)
    assert "extraction worker" in caplog.text and "extracting its" in caplog.text


def test_killed_worker_under_the_async_loop(pool: ExtractionPool, expected: list[object]) -> None:
    async def main() -> list[object]:
        first = await pool.process(PAGES[0], REGION, tag=True)     # readers registered
        _kill(pool, 1)
        rest = await asyncio.gather(*(pool.process(page, REGION, tag=True) for page in PAGES[1:]))
        return [first, *rest]

    assert asyncio.run(main()) == expected


def test_close_stops_the_workers() -> None:
    made = ExtractionPool(2, EX)
    processes = [w.process for w in made._pool]
    made.close()
    assert all(not p.is_alive() for p in processes)


def test_needs_a_worker() -> None:
    with pytest.raises(ValueError, match="at least one worker"):
        ExtractionPool(0, EX)

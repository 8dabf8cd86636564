"""Leases on the shared queue (`crawler.distributed.lease`) against a real redis-server."""

from __future__ import annotations

import time

import pytest

from crawler.distributed.keys import CrawlKeys
from crawler.distributed.lease import LeaseBoard

pytestmark = pytest.mark.redis

KEYS = CrawlKeys("t")


def board(client, owner: str, timeout: float = 30.0) -> LeaseBoard:  # type: ignore[no-untyped-def]
    return LeaseBoard(client, KEYS, owner, timeout=timeout)


def queue(client, *payloads: bytes, score: float = 0) -> None:  # type: ignore[no-untyped-def]
    for p in payloads:
        client.zadd(KEYS.requests, {p: score})


def test_first_worker_seeds_a_fresh_run_and_clears_the_old_dupefilter(redis_db) -> None:  # type: ignore[no-untyped-def]
    redis_db.sadd(KEYS.dupefilter, "fp-of-last-run")
    a, b = board(redis_db, "a#1"), board(redis_db, "b#1")
    assert a.join() == ("seed", 0)
    assert not redis_db.exists(KEYS.dupefilter)
    assert b.join() == ("join", 0)
    assert not a.finished()  # not seeded yet
    assert not b.mark_seeded()  # only the seeder marks the run seeded
    assert a.mark_seeded()
    assert a.finished() and b.finished()


def test_pop_leases_until_acked(redis_db) -> None:  # type: ignore[no-untyped-def]
    a = board(redis_db, "a#1")
    a.join()
    a.mark_seeded()
    queue(redis_db, b"high", score=-5)
    queue(redis_db, b"low", score=0)
    assert a.pop("1") == b"high"  # lowest score = highest priority first
    assert redis_db.zcard(KEYS.requests) == 1 and a.held() == 1
    assert a.pop("2") == b"low"
    assert a.pop("3") is None
    assert not a.finished()  # leases outstanding
    assert a.ack(["1", "2"]) == 2
    assert a.held() == 0 and a.finished()


def test_dead_worker_leases_return_to_the_queue_with_their_priority(redis_db) -> None:  # type: ignore[no-untyped-def]
    dead, live = board(redis_db, "dead#1", timeout=0.3), board(redis_db, "live#1", timeout=0.3)
    dead.join()
    live.join()
    queue(redis_db, b"p-9", score=-9)
    queue(redis_db, b"p0", score=0)
    assert dead.pop("1") == b"p-9"
    assert dead.pop("2") == b"p0"
    assert live.heartbeat() == 0  # dead's beat is fresh: nothing taken from it
    time.sleep(0.5)
    assert live.heartbeat() == 2
    assert dead.held() == 0
    assert [(m, s) for m, s in redis_db.zrange(KEYS.requests, 0, -1, withscores=True)] == [(b"p-9", -9.0),
                                                                                          (b"p0", 0.0)]
    assert "dead#1" not in live.status()["workers"]


def test_a_restarted_worker_takes_back_what_its_previous_incarnation_held(redis_db) -> None:  # type: ignore[no-untyped-def]
    old = board(redis_db, "w0#old")
    old.join()
    old.mark_seeded()
    queue(redis_db, b"req")
    assert old.pop("1") == b"req"
    new = board(redis_db, "w0#new")
    role, requeued = new.join()  # old's heartbeat is fresh, but it is the same worker id
    assert requeued == 1 and role == "join"
    assert new.pop("1") == b"req"


def test_release_requeues_and_leaves(redis_db) -> None:  # type: ignore[no-untyped-def]
    a, b = board(redis_db, "a#1"), board(redis_db, "b#1")
    a.join()
    b.join()
    queue(redis_db, b"x", b"y")
    a.pop("1")
    assert a.release() == 1
    assert redis_db.zcard(KEYS.requests) == 2
    assert list(b.status()["workers"]) == ["b#1"]


def test_seeding_is_taken_over_when_the_seeder_died(redis_db) -> None:  # type: ignore[no-untyped-def]
    seeder = board(redis_db, "s#1", timeout=0.3)
    assert seeder.join()[0] == "seed"
    queue(redis_db, b"first start request")
    time.sleep(0.5)
    other = board(redis_db, "o#1", timeout=0.3)
    assert other.join()[0] == "seed"  # the seeder is gone before marking the run seeded
    assert other.mark_seeded()


def test_a_finished_run_lets_the_next_worker_start_a_fresh_one(redis_db) -> None:  # type: ignore[no-untyped-def]
    a, b = board(redis_db, "a#1"), board(redis_db, "b#1")
    a.join()
    b.join()
    a.mark_seeded()
    redis_db.sadd(KEYS.dupefilter, "fp")
    assert a.finished()
    c = board(redis_db, "c#1")
    assert c.join()[0] == "seed"  # b is still registered, but the run it belongs to is over
    assert not redis_db.exists(KEYS.dupefilter)


def test_owner_must_name_the_incarnation(redis_db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="worker id"):
        LeaseBoard(redis_db, KEYS, "no-incarnation", timeout=1)


def test_a_late_worker_of_the_same_launch_joins_the_finished_run(redis_db) -> None:  # type: ignore[no-untyped-def]
    a = board(redis_db, "a#1")
    assert a.join("launch-1")[0] == "seed"
    a.mark_seeded()
    redis_db.sadd(KEYS.dupefilter, "fp")
    assert a.finished()
    a.release()
    late = board(redis_db, "late#1")
    assert late.join("launch-1")[0] == "join"  # its launch's run is over: nothing to do
    assert late.finished() and redis_db.sismember(KEYS.dupefilter, "fp")
    late.release()
    assert board(redis_db, "next#1").join("launch-2")[0] == "seed"  # a new launch starts a new run


def test_push_filters_by_fingerprint_in_the_same_step(redis_db) -> None:  # type: ignore[no-untyped-def]
    a = board(redis_db, "a#1")
    assert a.push("fp1", -1, b"req1")
    assert not a.push("fp1", -1, b"req1-again")  # seen: not queued
    assert a.push(None, 0, b"start")  # dont_filter: always queued, no fingerprint
    assert redis_db.smembers(KEYS.dupefilter) == {b"fp1"}
    assert redis_db.zrange(KEYS.requests, 0, -1) == [b"req1", b"start"]

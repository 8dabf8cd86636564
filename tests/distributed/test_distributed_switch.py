"""The REDIS_URL switch and the Redis client policy (no redis-server needed: a closed port)."""

from __future__ import annotations

import logging
import socket

import pytest
import redis

from crawler.distributed.connection import RedisHealth, RedisUnavailable, check_reachable, redis_client, safe_url
from crawler.runs.config import build_settings


def crawl_settings(tmp_path, overrides=None):  # type: ignore[no-untyped-def]
    """The settings a crawler of this run ends up with: ours, then the add-ons' (as Scrapy does)."""
    from scrapy.crawler import Crawler

    from spiders.news import NewsSpider

    crawler = Crawler(NewsSpider, build_settings(tmp_path, overrides))
    crawler.addons.load_settings(crawler.settings)  # what Crawler._apply_settings does first
    return crawler.settings


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def test_without_redis_url_nothing_changes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = crawl_settings(tmp_path)
    assert settings.get("SCHEDULER") == "scrapy.core.scheduler.Scheduler"
    assert "scrapy_redis" not in str(settings.get("DUPEFILTER_CLASS"))
    assert not settings.get("ARCHIVE_HOST_TAG")
    assert "crawler.distributed.seeding.SeedOnceMiddleware" not in settings.getdict("SPIDER_MIDDLEWARES")


def test_redis_url_switches_the_shared_parts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert "crawler.distributed.addon.RedisAddon" in build_settings(tmp_path).getdict("ADDONS")
    settings = crawl_settings(tmp_path, {"REDIS_URL": "redis://127.0.0.1:1/0", "DISTRIBUTED_WORKER_ID": "m1-0"})
    assert settings.get("SCHEDULER") == "crawler.distributed.scheduler.LeasedScheduler"
    assert settings.get("DUPEFILTER_CLASS") == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings.getbool("SCHEDULER_PERSIST")
    assert settings.get("SCHEDULER_QUEUE_CLASS") == "scrapy_redis.queue.PriorityQueue"
    assert settings.get("ARCHIVE_HOST_TAG") == "m1-0"
    assert "crawler.distributed.seeding.SeedOnceMiddleware" in str(settings.getdict("SPIDER_MIDDLEWARES"))
    assert settings.get("DEDUP_SEEN_STORE_CLASS") == "crawler.distributed.seen_store.RedisSeenStore"
    assert settings.get("DEDUP_INDEX_CLASS") == "crawler.distributed.dedup_index.RedisDedupIndex"
    assert settings.getint("CRAWL_SITEMAP_BATCH") == 0  # announced articles go to the shared queue


def test_check_reachable_is_one_line_naming_the_url_without_password() -> None:
    url = closed_port_url().replace("redis://", "redis://user:s3cret@")
    with pytest.raises(RedisUnavailable) as info:
        check_reachable(url, timeout=1)
    message = str(info.value)
    assert message.startswith("cannot reach Redis at redis://user:***@127.0.0.1:") and "\n" not in message
    assert "s3cret" not in message
    assert safe_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_retries_are_bounded_logged_and_then_redis_is_lost(caplog: pytest.LogCaptureFixture) -> None:
    health = RedisHealth(closed_port_url(), retries=3, backoff=0.01, backoff_max=0.02, timeout=1)
    lost: list[BaseException] = []
    health.on_lost(lost.append)
    client = redis_client(health)
    with caplog.at_level(logging.WARNING, logger="crawler.distributed.connection"):
        with pytest.raises(redis.ConnectionError):
            client.get("x")
    attempts = [r for r in caplog.records if "attempt" in r.getMessage()]
    assert len(attempts) == 4 and health.url in attempts[0].getMessage()  # the first try and 3 retries
    assert "attempt 4 of 4" in attempts[-1].getMessage()
    assert len(lost) == 1 and health.lost is lost[0]
    caplog.clear()
    with pytest.raises(redis.ConnectionError):  # once lost: fails at once, no more retries
        client.pipeline().set("a", "b").execute()
    assert not [r for r in caplog.records if "attempt" in r.getMessage()]
    assert len(lost) == 1


def test_bad_retry_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="retries=-1"):
        RedisHealth("redis://x", retries=-1)

"""RedisSeenStore against a real redis-server on loopback (skipped when the binary is missing)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.dedup.seen import SeenStore

pytestmark = pytest.mark.redis

REDIS_SERVER = shutil.which("redis-server")


@pytest.fixture()
def redis_url(tmp_path: Path) -> Iterator[str]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server binary not on PATH (apt-get install redis-server to run this test)")
    redis = pytest.importorskip("redis")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def test_redis_seen_store_follows_the_protocol(redis_url: str) -> None:
    from crawler.distributed.seen_store import RedisSeenStore

    store = RedisSeenStore.from_url(redis_url, commit_every=3)
    assert isinstance(store, SeenStore)
    assert not store.has("http://e.cn/a")
    store.add("http://e.cn/a", "aaaa", "2024-01-01T00:00:00+00:00")
    store.add("http://e.cn/a", "bbbb", "2025-01-01T00:00:00+00:00")
    store.add_many((f"http://e.cn/{i}", None, "2024-01-01T00:00:00+00:00") for i in range(10))
    assert store.has("http://e.cn/a") and len(store) == 11
    assert store.get("http://e.cn/a") == ("aaaa", "2024-01-01T00:00:00+00:00")
    store.close()
    again = RedisSeenStore.from_url(redis_url)
    assert len(again) == 11 and again.has("http://e.cn/9")
    again.close()

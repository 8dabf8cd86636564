"""A real redis-server on 127.0.0.1 for the distributed tests.

Started per test module on a port chosen at run time, in a temporary folder, with
``--save "" --appendonly no`` (nothing persists unless a test asks for ``SHUTDOWN SAVE``).
Without the ``redis-server`` binary the tests are skipped with the reason — except when the
environment variable ``CI`` is set: then they fail, because CI must run them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


REDIS_BINARY = shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisProcess:
    """One redis-server child process; `stop()` / `start()` keep the port and the folder."""

    def __init__(self, directory: Path) -> None:
        assert REDIS_BINARY
        self.directory = directory
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisProcess":
        self.proc = subprocess.Popen(
            [str(REDIS_BINARY), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory), "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def client(self):  # type: ignore[no-untyped-def]
        import redis

        return redis.Redis.from_url(self.url)

    def stop(self, *, save: bool = False) -> None:
        """Shut the server down (``SHUTDOWN SAVE`` keeps the data for the next `start`)."""
        if self.proc is None:
            return
        try:
            self.client().shutdown(save=save, nosave=not save)
        except Exception:  # the shutdown closes the connection; that is the expected answer
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def _require_redis() -> None:
    if REDIS_BINARY is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed, and CI is set: the distributed tests must run in CI "
                        "(apt-get install redis-server)")
        pytest.skip("redis-server is not installed (apt-get install redis-server); distributed tests skipped")


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    _require_redis()
    server = RedisProcess(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_db(redis_server: RedisProcess):  # type: ignore[no-untyped-def]
    """A client on the module's server, emptied before the test."""
    client = redis_server.client()
    client.flushall()
    yield client
    client.close()


@pytest.fixture(autouse=True)
def _no_leftover_workers() -> Iterator[None]:
    yield
    from support.distributed import kill_leftovers

    kill_leftovers()

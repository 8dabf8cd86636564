"""Redis clients for distributed mode: bounded, logged retries and one "Redis is gone" signal.

`redis_client(url, health)` builds a `redis.Redis` whose commands, pipelines and scripts are
retried on connection errors and timeouts with exponential backoff (`RedisHealth.retries`
attempts, sleeps `base * 2**n` capped at `backoff_max`), each failed attempt logged as one
warning naming the URL. When the retries of one call are exhausted the `RedisHealth` shared by
every client of the crawl is marked *lost*: its listeners run once (the scheduler stops the
crawl cleanly, reason ``redis-unavailable``) and every later call fails at once instead of
sleeping again, so closing the spider does not wait out a backoff per command.

`check_reachable(url)` is the start-up check: it raises `RedisUnavailable` with a one-line
message naming the URL (password hidden) when Redis does not answer PING.

Settings (read by `RedisHealth.from_settings`): ``DISTRIBUTED_REDIS_RETRIES`` (default 6),
``DISTRIBUTED_REDIS_BACKOFF`` (first sleep, default 0.5 s), ``DISTRIBUTED_REDIS_BACKOFF_MAX``
(default 8 s), ``DISTRIBUTED_REDIS_TIMEOUT`` (socket and connect timeout, default 10 s).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from crawler.exceptions import RedisUnavailable

logger = logging.getLogger(__name__)

RETRYABLE = (redis.ConnectionError, redis.TimeoutError, ConnectionError, TimeoutError)


def safe_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (for logs and error messages)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


class RedisHealth:
    """Shared by every Redis client of one crawl: retry budget, and whether Redis is lost."""

    def __init__(self, url: str, *, retries: int = 6, backoff: float = 0.5, backoff_max: float = 8.0,
                 timeout: float = 10.0) -> None:
        if retries < 0 or backoff < 0 or backoff_max < 0 or timeout <= 0:
            raise ValueError(f"Redis retry settings must be >= 0 (timeout > 0), got retries={retries}, "
                             f"backoff={backoff}, backoff_max={backoff_max}, timeout={timeout}")
        self.url = url
        self.retries = retries
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.timeout = timeout
        self.lost: BaseException | None = None
        self._listeners: list[Callable[[BaseException], None]] = []

    @classmethod
    def from_settings(cls, settings: Any) -> "RedisHealth":
        url = settings.get("REDIS_URL")
        if not url:
            raise ValueError("REDIS_URL is not set: distributed mode needs a Redis URL")
        return cls(url, retries=settings.getint("DISTRIBUTED_REDIS_RETRIES"),
                   backoff=settings.getfloat("DISTRIBUTED_REDIS_BACKOFF"),
                   backoff_max=settings.getfloat("DISTRIBUTED_REDIS_BACKOFF_MAX"),
                   timeout=settings.getfloat("DISTRIBUTED_REDIS_TIMEOUT"))

    def on_lost(self, listener: Callable[[BaseException], None]) -> None:
        self._listeners.append(listener)

    def mark_lost(self, error: BaseException) -> None:
        if self.lost is not None:
            return
        self.lost = error
        for listener in list(self._listeners):
            listener(error)


class LoggedRetry(Retry):
    """redis-py `Retry` that logs each failed attempt and reports exhaustion to `RedisHealth`.

    redis-py deep-copies the retry object into every connection; this one returns itself so all
    connections of all clients of a crawl share one budget and one *lost* state.
    """

    def __init__(self, health: RedisHealth) -> None:
        super().__init__(ExponentialBackoff(cap=health.backoff_max, base=health.backoff / 2 if health.backoff else 0),
                         health.retries, supported_errors=RETRYABLE)
        self.health = health

    def __deepcopy__(self, memo: dict[int, Any]) -> "LoggedRetry":
        return self

    def call_with_retry(self, do: Callable[[], Any], fail: Callable[..., Any],
                        is_retryable: Callable[[Exception], bool] | None = None,
                        with_failure_count: bool = False) -> Any:
        if self.health.lost is not None:
            self.update_retries(0)  # already given up: fail fast, do not sleep again
        started = time.monotonic()

        attempts = [0]

        def noted(error: Exception, *count: int) -> Any:
            attempts[0] += 1
            if self.health.lost is None and self._retries > 0:
                logger.warning("Redis at %s: %s (attempt %d of %d, %.1f s so far)", safe_url(self.health.url),
                               error, attempts[0], self._retries + 1, time.monotonic() - started)
            return fail(error, *count)

        try:
            return super().call_with_retry(do, noted, is_retryable, with_failure_count)
        except RETRYABLE as exc:
            if self.health.lost is None:
                self.health.mark_lost(exc)
            raise


def redis_client(health: RedisHealth, *, decode_responses: bool = False) -> redis.Redis:
    """A client for `health.url` with the retry policy above."""
    return redis.Redis.from_url(
        health.url, retry=LoggedRetry(health), retry_on_error=list(RETRYABLE),
        socket_timeout=health.timeout, socket_connect_timeout=health.timeout,
        decode_responses=decode_responses,
    )


def check_reachable(url: str, timeout: float = 3.0) -> None:
    """Raise `RedisUnavailable` (one line, naming the URL) unless Redis at `url` answers PING."""
    try:
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    except ValueError as exc:
        raise RedisUnavailable(f"bad Redis URL {safe_url(url)!r}: {exc}") from None
    try:
        client.ping()
    except redis.RedisError as exc:
        raise RedisUnavailable(f"cannot reach Redis at {safe_url(url)}: {exc}") from None
    finally:
        client.close()

"""The distributed scheduler: scrapy-redis's Redis queue and dupefilter, with leases.

`LeasedScheduler` is `scrapy_redis.scheduler.Scheduler` (priority queue in
``<p>:requests``, request fingerprints in ``<p>:dupefilter``, ``SCHEDULER_PERSIST`` forced on)
with these changes:

- its Redis client and the dupefilter's are built by `crawler.distributed.connection`
  (bounded, logged retries; one shared "lost" state) instead of scrapy-redis's own;
- `enqueue_request` writes fingerprint and request in one Redis step (`LeaseBoard.push`);
- `next_request` leases instead of popping (`crawler.distributed.lease`); a periodic tick
  (``DISTRIBUTED_POLL``) acks the leases of requests the engine has finished with
  (`engine_hooks.in_progress`), beats the heartbeat and re-queues dead workers' leases every
  ``DISTRIBUTED_HEARTBEAT``, and wakes an idle engine;
- on ``spider_idle`` the spider stays open (`DontCloseSpider`) until the whole run is finished —
  seeded, queue empty, no live worker holding a lease — since another worker's response can
  still add requests;
- on close it re-queues what it still holds and leaves the crawl (the queue is kept);
- when Redis is lost (retries exhausted anywhere in the crawl) it logs one CRITICAL line naming
  the URL, acks nothing more (what was not acked is re-queued once Redis is back and the lease
  times out, or at once when this worker id restarts) and closes the spider with reason
  ``redis-unavailable``: WARC files are closed, items written stay valid.

Stats: ``distributed/leased``, ``distributed/acked``, ``distributed/requeued`` (other workers'
leases this worker put back), ``distributed/released``.
"""

from __future__ import annotations

import importlib
import itertools
import logging
from typing import Any

import redis
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from twisted.internet import reactor, task

from crawler.distributed import engine_hooks
from crawler.distributed.connection import safe_url
from crawler.distributed.context import Distributed
from crawler.distributed.lease import LeaseBoard

logger = logging.getLogger(__name__)

REDIS_ERRORS: tuple[type[BaseException], ...] = (redis.RedisError, ConnectionError, TimeoutError)


class LeasedScheduler(Scheduler):
    def __init__(self, server: Any, *, crawler: Crawler, **kwargs: Any) -> None:
        super().__init__(server, persist=True, **kwargs)
        self.crawler = crawler
        self.dist = Distributed.of(crawler)
        self.board: LeaseBoard | None = None
        self._tokens = itertools.count(1)
        self._leased: dict[str, Request] = {}
        self._loop: task.LoopingCall | None = None
        self._last_beat = 0.0
        self.lost = False
        self.dist.health.on_lost(self._redis_lost)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "LeasedScheduler":
        settings = crawler.settings
        dist = Distributed.of(crawler)
        server = dist.client()
        server.ping()  # fails fast (after the retries) when Redis is not there
        kwargs: dict[str, Any] = {
            "queue_key": dist.keys.requests,
            "queue_cls": settings.get("SCHEDULER_QUEUE_CLASS"),  # set by the RedisAddon
            "dupefilter": RFPDupeFilter(server, key=dist.keys.dupefilter, debug=settings.getbool("DUPEFILTER_DEBUG")),
        }
        serializer = settings.get("SCHEDULER_SERIALIZER")
        if serializer:
            kwargs["serializer"] = importlib.import_module(serializer)  # a module with loads/dumps
        instance = cls(server, crawler=crawler, **kwargs)
        instance.stats = crawler.stats
        crawler.signals.connect(instance._spider_idle, signal=signals.spider_idle)
        return instance

    # -- lifecycle --------------------------------------------------------------------------
    def open(self, spider: Any) -> None:
        super().open(spider)
        self.board = LeaseBoard(self.server, self.dist.keys, self.dist.owner, timeout=self.dist.lease_timeout)
        self.dist.board = self.board
        role, requeued = self.board.join(self.dist.run_tag)
        self.dist.role = role
        self.stats.set_value("distributed/worker", self.dist.worker_id)
        self._last_beat = reactor.seconds()  # type: ignore[attr-defined]
        logger.info("distributed: worker %s joined crawl %s at %s as %s (%d queued, %d re-queued from dead "
                    "workers)", self.dist.worker_id, self.dist.keys.crawl, safe_url(self.dist.health.url),
                    "seeder" if role == "seed" else "joiner", len(self.queue), requeued)
        self._loop = task.LoopingCall(self._tick)
        self._loop.start(self.dist.poll, now=False)

    def close(self, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self.board is not None and self.board.requeued:
            self.stats.set_value("distributed/requeued", self.board.requeued)
        if self.lost or self.board is None:
            logger.warning("distributed: %s closing without Redis; %d leases stay in Redis and return to the "
                           "queue when Redis is back", self.dist.worker_id, len(self._leased))
            return
        try:
            self._ack_finished()
            released = self.board.release()
        except REDIS_ERRORS as exc:
            logger.warning("distributed: could not hand back leases on close: %s", exc)
            return
        if released:
            self.stats.inc_value("distributed/released", released)
            logger.info("distributed: %s handed %d unfinished requests back to the queue", self.dist.worker_id,
                        released)

    # -- queue ------------------------------------------------------------------------------
    def enqueue_request(self, request: Request) -> bool:
        if self.lost or self.board is None:
            return False
        fingerprint = None if request.dont_filter else self.df.request_fingerprint(request)
        try:
            queued = self.board.push(fingerprint, -request.priority, self.queue._encode_request(request))
        except REDIS_ERRORS as exc:
            self._redis_lost(exc)
            return False
        if not queued:
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if self.lost or self.board is None:
            return None
        token = str(next(self._tokens))
        try:
            payload = self.board.pop(token)
        except REDIS_ERRORS as exc:
            self._redis_lost(exc)
            return None
        if payload is None:
            return None
        request = self.queue._decode_request(payload)
        self._leased[token] = request
        self.stats.inc_value("scheduler/dequeued/redis")
        self.stats.inc_value("distributed/leased")
        return request

    def has_pending_requests(self) -> bool:
        if self.lost:
            return False
        try:
            return len(self.queue) > 0
        except REDIS_ERRORS as exc:
            self._redis_lost(exc)
            return False

    def __len__(self) -> int:
        return 0 if self.lost else len(self.queue)

    # -- leases -----------------------------------------------------------------------------
    def _ack_finished(self) -> None:
        """Ack every leased request the engine is done with."""
        busy = engine_hooks.in_progress(self.crawler.engine)
        if busy is None or self.board is None:
            return
        done = [token for token, request in self._leased.items() if request not in busy]
        if done:
            self.board.ack(done)
            for token in done:
                del self._leased[token]
            self.stats.inc_value("distributed/acked", len(done))

    def _tick(self) -> None:
        if self.lost or self.board is None:
            return
        try:
            self._ack_finished()
            now = reactor.seconds()  # type: ignore[attr-defined]
            if now - self._last_beat >= self.dist.heartbeat:
                self._last_beat = now
                requeued = self.board.heartbeat()
                if requeued:
                    logger.warning("distributed: re-queued %d requests held by a worker that stopped "
                                   "beating for %.0f s", requeued, self.dist.lease_timeout)
        except REDIS_ERRORS as exc:
            self._redis_lost(exc)
            return
        engine_hooks.wake(self.crawler.engine)

    def _spider_idle(self, spider: Any) -> None:
        if self.board is None:
            return
        if self.lost:  # the engine may reach idle before _redis_lost's close runs: same reason
            raise CloseSpider("redis-unavailable")
        try:
            self._ack_finished()
            before = self.board.requeued
            finished = self.board.finished()
            if self.board.requeued > before:
                logger.warning("distributed: re-queued %d requests held by a worker that stopped beating for "
                               "%.0f s", self.board.requeued - before, self.dist.lease_timeout)
            if finished:
                logger.info("distributed: crawl %s finished (queue empty, no leases held)", self.dist.keys.crawl)
                return
        except REDIS_ERRORS as exc:
            self._redis_lost(exc)
            raise CloseSpider("redis-unavailable") from exc
        raise DontCloseSpider("distributed: other workers are still working on this run")

    def _redis_lost(self, error: BaseException) -> None:
        if self.lost:
            return
        self.lost = True
        logger.critical("distributed: Redis at %s unavailable after %d retries (%s); worker %s stops cleanly, "
                        "unfinished requests stay leased in Redis", safe_url(self.dist.health.url),
                        self.dist.health.retries, error, self.dist.worker_id)
        self.stats.set_value("distributed/redis_lost", str(error))
        if self.dist.health.lost is None:
            self.dist.health.mark_lost(error)
        engine = self.crawler.engine
        if engine is not None:
            reactor.callLater(0, _close, engine)  # type: ignore[attr-defined]


def _close(engine: Any) -> None:
    from scrapy.utils.defer import deferred_from_coro

    if engine.spider is not None and getattr(getattr(engine, "_slot", None), "closing", None) is None:
        deferred_from_coro(engine.close_spider_async(reason="redis-unavailable"))

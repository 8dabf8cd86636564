"""The extraction pool: worker processes running `process_page` (+ tagging) for a crawl or a replay.

`ExtractionPool(workers, extractor)` starts `workers` processes from a clean forkserver
(never forked from a running reactor); each builds nothing but what its `Extractor` needs,
warms trafilatura, lxml and OpenCC on a small page, then answers messages: a list of
`(page, region, tag)` jobs in, a list of results (`Article` or `(reason, message)`) out.

No helper threads run in the calling process: messages go over two pipes per worker (1 MiB
buffers on Linux), written and read
by the caller itself — `await pool.process(page, …)` from the crawl's asyncio loop (the loop
watches the pipes, `loop.add_reader`), `pool.map_ordered(pairs, …)` from replay's plain loop
(`multiprocessing.connection.wait`). `concurrent.futures.ProcessPoolExecutor` was measured
here first: its feeder and manager threads take the GIL from the reactor thread at every
submit (about 4 ms of a 10 ms page, stalled in the wake-up write), so the pool used fewer
cores than it had.

At most `inflight` messages wait at each worker (default 2: one being worked on, one ready),
so memory stays bounded; a worker drains its pipe as messages arrive (a reader thread of its
own), so the caller's writes do not wait for the page being worked on. Pages the workers
cannot take yet wait in the caller, in order, and leave together in the next message (up to
`batch`). Pages cross without `extra` (capture references stay here).
If a worker dies, the pages it held are extracted in the calling process (logged) and a new
worker takes its place. Setting: `EXTRACT_WORKERS` (see `crawler.pipelines.process`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import fcntl
import logging
import multiprocessing
import os
import pickle
import queue
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

from crawler.dedup.minhash import MinHasher
from crawler.extract import Extractor
from crawler.items import Article
from crawler.pages.process import CapturedPage
from crawler.pages.stages import Result, process_and_tag

__all__ = ["ExtractionPool", "pool_size"]

logger = logging.getLogger(__name__)

Job = tuple[CapturedPage, Any, bool]          # page, region, tag
T = TypeVar("T")

# A small Traditional-Chinese page run once in every new worker: loads trafilatura's and
# lxml's parsers and the OpenCC dictionaries before the first real page arrives.
_WARM_PAGE = CapturedPage(
    url="http://warm.invalid/a/1.html", status=200, headers={"content-type": "text/html; charset=utf-8"},
    body=("<html><head><title>醫院推進醫共體建設</title></head><body><div class='content'>"
          + "<p>近日，縣人民醫院召開醫共體建設工作推進會，全縣基層醫療機構全部接入區域健康信息平臺。</p>" * 6
          + "</div></body></html>").encode("utf-8"),
    fetched_at="2024-01-01T00:00:00+00:00",
)


def pool_size(workers: int) -> int:
    """`EXTRACT_WORKERS` / `--workers` as a process count: negative means one per CPU."""
    return (os.cpu_count() or 1) if workers < 0 else workers


# -- worker side --------------------------------------------------------------------------
# Workers run at a lower priority than the caller: when the machine has fewer free cores than
# processes, the crawl's reactor (which every page passes through) keeps its core, and the
# workers use what is left instead of taking time slices from it.
WORKER_NICE = 5


def _run(jobs: list[Job], extractor: Extractor, hasher: MinHasher | None = None) -> list[Result]:
    """The results of one message's jobs; with `hasher`, each article also gets its MinHash
    signature (dedup then skips hashing it in the caller)."""
    results = [process_and_tag(page, extractor, region, tag=tag) for page, region, tag in jobs]
    if hasher is not None:
        for result in results:
            if isinstance(result, Article):
                signature = hasher.signature(result.text)
                result._minhash = (hasher.key, None if signature is None else signature.tobytes())
    return results


def _worker_main(inbound: Connection, outbound: Connection, extractor: Extractor,
                 hasher: MinHasher | None = None) -> None:
    """A worker's life: warm up, then answer job lists until the pipe closes. A reader thread
    drains the pipe into a queue as messages arrive, so the caller's writes never wait for the
    page being worked on (and a large answer can never meet a large question head-on)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C reaches the whole group: the crawler stops us
    try:
        os.nice(WORKER_NICE)
    except OSError:
        pass
    inbox: queue.SimpleQueue[bytes] = queue.SimpleQueue()

    def read() -> None:
        while True:
            try:
                message = inbound.recv_bytes()
            except (EOFError, OSError):
                message = b""
            inbox.put(message)
            if not message:
                return

    threading.Thread(target=read, name="healthcrawl-extract-inbox", daemon=True).start()
    process_and_tag(_WARM_PAGE, extractor, None, tag=True)
    while True:
        message = inbox.get()
        if not message:
            return
        jobs: list[Job] = pickle.loads(message)
        results = _run(jobs, extractor, hasher)
        try:
            outbound.send_bytes(pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL))
        except (OSError, ValueError):
            return


def _pool_context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["crawler.pages.pool", "crawler.pages.process", "crawler.extract"])
        return context
    return multiprocessing.get_context("spawn")


# -- caller side --------------------------------------------------------------------------
PIPE_BYTES = 1 << 20   # Linux pipes hold 64 KiB by default; a batch of pages is bigger


def _widen(conn: Connection) -> None:
    """Give a pipe 1 MiB of buffer (Linux, within the unprivileged limit), so writing a message
    seldom waits for the other side to read; elsewhere, or if refused, keep the default."""
    try:
        fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        pass



@dataclass
class _Message:
    """Jobs sent to a worker in one message, and where their results go."""

    jobs: list[Job]
    deliver: Callable[[list[Result]], None]


@dataclass(eq=False)
class _Worker:
    process: multiprocessing.process.BaseProcess
    to_worker: Connection
    conn: Connection                                          # answers come back here
    sent: deque[_Message] = field(default_factory=deque)   # messages it holds, oldest first


class ExtractionPool:
    """`workers` processes running `process_and_tag`; see the module docstring."""

    def __init__(self, workers: int, extractor: Extractor, *, inflight: int = 2, batch: int = 8,
                 hasher: MinHasher | None = None) -> None:
        """`hasher`: the run's dedup `MinHasher`; workers then sign each article they extract."""
        if workers < 1:
            raise ValueError(f"an extraction pool needs at least one worker, got {workers}")
        self.workers = workers
        self.extractor = extractor
        self.inflight = max(1, inflight)
        self.batch = max(1, batch)
        self.hasher = hasher
        self._context = _pool_context()
        self._pool = [self._start() for _ in range(workers)]
        self._queue: deque[tuple[Job, Callable[[Result], None]]] = deque()   # async jobs not sent yet
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def _start(self) -> _Worker:
        their_in, to_worker = self._context.Pipe(duplex=False)
        from_worker, their_out = self._context.Pipe(duplex=False)
        for conn in (to_worker, from_worker):
            _widen(conn)
        process = self._context.Process(target=_worker_main, args=(their_in, their_out, self.extractor, self.hasher),
                                        daemon=True, name="healthcrawl-extract")
        process.start()
        their_in.close()
        their_out.close()
        return _Worker(process, to_worker, from_worker)

    @staticmethod
    def _bare(page: CapturedPage) -> CapturedPage:
        return dataclasses.replace(page, extra={}) if page.extra else page

    # -- sending, receiving, a worker's death ----------------------------------------------
    def _send(self, worker: _Worker, message: _Message) -> bool:
        try:
            worker.to_worker.send_bytes(pickle.dumps(message.jobs, protocol=pickle.HIGHEST_PROTOCOL))
        except (OSError, ValueError) as exc:
            self._replace(worker, f"{type(exc).__name__}: {exc}", extra=[message])
            return False
        worker.sent.append(message)
        return True

    def _receive(self, worker: _Worker) -> None:
        """Read one answer of `worker` and deliver it to its oldest message."""
        try:
            results: list[Result] = pickle.loads(worker.conn.recv_bytes())
        except (EOFError, OSError, pickle.UnpicklingError) as exc:
            self._replace(worker, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
            return
        worker.sent.popleft().deliver(results)

    def _replace(self, worker: _Worker, why: str, extra: list[_Message] | None = None) -> None:
        """A dead worker: its pages are extracted here, a new worker takes its place."""
        held = list(worker.sent) + list(extra or [])
        worker.sent.clear()
        code = worker.process.exitcode
        logger.error("extraction worker %s failed (%s, exit code %s); extracting its %d pages in this process",
                     worker.process.pid, why, code, sum(len(m.jobs) for m in held))
        if self._loop is not None:
            self._loop.remove_reader(worker.conn.fileno())
        worker.conn.close()
        worker.to_worker.close()
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(timeout=5)
        index = self._pool.index(worker)
        if not self._closed:
            self._pool[index] = fresh = self._start()
            if self._loop is not None:
                self._loop.add_reader(fresh.conn.fileno(), self._readable, fresh)
        for message in held:
            message.deliver(_run(message.jobs, self.extractor))

    # -- the crawl: one page at a time from the asyncio loop -------------------------------
    async def process(self, page: CapturedPage, region: Any = None, *, tag: bool = False) -> Result:
        """The result for one page, computed by a worker; the loop stays free meanwhile."""
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            for worker in self._pool:
                loop.add_reader(worker.conn.fileno(), self._readable, worker)
        future: asyncio.Future[Result] = loop.create_future()

        def deliver(result: Result) -> None:
            if not future.done():
                future.set_result(result)

        self._queue.append(((self._bare(page), region, tag), deliver))
        self._dispatch()
        return await future

    def _dispatch(self) -> None:
        """Send queued pages to workers that hold fewer than `inflight` messages."""
        while self._queue:
            worker = min(self._pool, key=lambda w: len(w.sent))
            if len(worker.sent) >= self.inflight:
                return
            taken = [self._queue.popleft() for _ in range(min(self.batch, len(self._queue)))]
            callbacks = [deliver for _, deliver in taken]

            def deliver_all(results: list[Result], callbacks: list[Callable[[Result], None]] = callbacks) -> None:
                for callback, result in zip(callbacks, results):
                    callback(result)

            self._send(worker, _Message([job for job, _ in taken], deliver_all))

    def _readable(self, worker: _Worker) -> None:
        if worker in self._pool and worker.sent:
            self._receive(worker)
        elif worker in self._pool:     # EOF with nothing held: the worker died idle
            self._replace(worker, "pipe closed")
        self._dispatch()

    # -- replay: an ordered stream from a plain loop ---------------------------------------
    def map_ordered(self, pairs: Iterable[tuple[CapturedPage, T]], *, region_of: Any = None,
                    batch: int | None = None) -> Iterator[tuple[CapturedPage, T, Result]]:
        """(page, context, result) for each (page, context) of `pairs`, in input order. Pages
        go out in batches of `batch`; at most `inflight` batches wait at each worker (bounded
        memory). With `region_of(context)`, articles are also tagged in the worker."""
        tag = region_of is not None
        size = batch or self.batch
        order: deque[tuple[list[tuple[CapturedPage, T]], list[list[Result]]]] = deque()
        source = iter(pairs)
        exhausted = False

        def fill() -> None:
            nonlocal exhausted
            while not exhausted:
                idle = [w for w in self._pool if len(w.sent) < self.inflight]
                if not idle:
                    return
                chunk = [pair for _, pair in zip(range(size), source)]
                if not chunk:
                    exhausted = True
                    return
                box: list[list[Result]] = []
                order.append((chunk, box))
                jobs = [(self._bare(page), region_of(context) if tag else None, tag) for page, context in chunk]
                self._send(min(idle, key=lambda w: len(w.sent)), _Message(jobs, box.append))

        fill()
        while order:
            while order and order[0][1]:
                chunk, box = order.popleft()
                for (page, context), result in zip(chunk, box[0]):
                    yield page, context, result
                fill()
            if not order:
                break
            busy = {w.conn: w for w in self._pool if w.sent}
            for conn in wait(list(busy)):
                self._receive(busy[conn])  # type: ignore[index]
            fill()

    # -- shutting down -----------------------------------------------------------------------
    def close(self) -> None:
        """Stop the workers (pages still queued are dropped: the caller is done with them)."""
        self._closed = True
        for worker in self._pool:
            if self._loop is not None and not self._loop.is_closed():
                try:
                    self._loop.remove_reader(worker.conn.fileno())
                except (ValueError, OSError):
                    pass
            try:
                worker.to_worker.send_bytes(b"")
            except (OSError, ValueError):
                pass
            worker.to_worker.close()
            worker.conn.close()
        for worker in self._pool:
            worker.process.join(timeout=10)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=5)
        self._queue.clear()

"""The two places where distributed mode looks inside Scrapy's engine (Scrapy 2.19).

Scrapy has no signal for "the engine is completely done with this request" (response
downloaded, callback run, its items through every pipeline stage, its new requests scheduled).
The engine keeps exactly that set itself: a request enters `engine._slot.inprogress` when it is
handed to the downloader and leaves it after `_handle_downloader_output` — the scraper and the
item pipeline — has finished. `in_progress()` reads it, so a lease is acked only then.

An idle engine polls its scheduler only on its 5-second heartbeat; `wake()` asks for the next
loop now, so a worker picks up requests other workers pushed within `DISTRIBUTED_POLL`.

Both are covered by the distributed end-to-end tests: if Scrapy renames the slot, they fail.
"""

from __future__ import annotations

from typing import Any


def _slot(engine: Any) -> Any:
    return getattr(engine, "_slot", None)


def in_progress(engine: Any) -> set[Any] | None:
    """Requests the engine has not finished with, or None when the engine has no slot."""
    slot = _slot(engine)
    if slot is None:
        return None
    found = getattr(slot, "inprogress", None)
    if found is None:
        raise RuntimeError("scrapy engine has no _slot.inprogress: crawler.distributed.engine_hooks needs updating")
    return found


def wake(engine: Any) -> None:
    slot = _slot(engine)
    if slot is not None and slot.closing is None:
        slot.nextcall.schedule()

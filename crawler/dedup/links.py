"""Relink records: how ``items.jsonl`` learns that a cluster's canonical copy moved.

``items.jsonl`` is append-only: an item's line keeps the ``duplicate_of`` it had when it was
written. When a later copy turns out to be older (`crawler.dedup.canonical`), the index moves
the cluster's canonical and queues one change per member in its outbox, in the same
transaction as the move. After each commit, `RelinkWriter.drain` appends them to the items
file as **relink records**, one JSON object per line::

    {"kind":"relink","index":"<index uid>","seq":17,"id":"<item id>","duplicate_of":"<id>"|null}

and then notes the last ``seq`` written in ``<items file>.relinked`` (``"<uid> <seq>"``,
replaced atomically). An item never has a ``kind`` field (`Article` forbids extra fields), so
the two kinds of line cannot be confused.

The current link of an item: the ``duplicate_of`` of its **last relink record** (within one
file, later lines win; across the files of several folders — the worker folders of one
distributed crawl, which share one index — the highest ``seq`` wins), else the one on its own
line. Every reader in the project applies this: `iter_items`, `read_relinks`, `apply_links`
here; the export, the run report, the WACZ pages, ``dedup-report`` (which reads the index).

Crash safety: each record is one ``write`` of a whole line on an ``O_APPEND`` descriptor
(`crawler.store.jsonl.JsonLinesWriter`: a torn tail is cut on the next open). A crash before
the move commits leaves the old links everywhere; after it, the outbox still holds the change
and the next `drain` (next commit, next run) writes it; a crash between the records' ``fsync``
and the mark's rename writes them again — identical lines, harmless. So a reader sees, for each
item, either the old link or the new one; no line is ever rewritten or removed, so no member
is lost. Cost: one indexed query per commit, plus one line per member whose link changed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

__all__ = ["RELINK_KIND", "RelinkWriter", "is_relink", "is_relink_line", "read_relinks", "current_links",
           "apply_links", "iter_items", "relinked_since"]

RELINK_KIND = "relink"
_PREFIX = b'{"kind":"relink"'
MARK_SUFFIX = ".relinked"


class RelinkSource(Protocol):
    uid: str

    def relinks_after(self, seq: int, limit: int = ...) -> list[tuple[int, str, str | None]]: ...


def relink_line(uid: str, seq: int, item_id: str, duplicate_of: str | None) -> str:
    return json.dumps({"kind": RELINK_KIND, "index": uid, "seq": seq, "id": item_id, "duplicate_of": duplicate_of},
                      ensure_ascii=False, separators=(",", ":"))


def is_relink(record: Any) -> bool:
    """Is this parsed line a relink record (not an item)?"""
    return isinstance(record, dict) and record.get("kind") == RELINK_KIND


def is_relink_line(line: bytes | str) -> bool:
    """Cheap test on a raw line (no JSON parsing): relink records start with ``{"kind":"relink"``."""
    raw = line.encode("utf-8") if isinstance(line, str) else line
    return raw.lstrip()[:len(_PREFIX)] == _PREFIX


def _file_relinks(path: Path) -> dict[str, tuple[int, str | None]]:
    found: dict[str, tuple[int, str | None]] = {}
    with Path(path).open("rb") as fh:
        for raw in fh:
            if not is_relink_line(raw):
                continue
            try:
                rec = json.loads(raw)
                found[str(rec["id"])] = (int(rec["seq"]), rec["duplicate_of"])
            except (ValueError, KeyError, TypeError):
                continue  # a torn or foreign line: the item lines stand
    return found


def read_relinks(paths: Iterable[Path]) -> dict[str, str | None]:
    """Item id -> current ``duplicate_of`` for every item a relink record names in `paths`
    (missing files are skipped). Items without a record keep the link on their own line."""
    merged: dict[str, tuple[int, str | None]] = {}
    for path in paths:
        if not Path(path).is_file():
            continue
        for item_id, (seq, dup) in _file_relinks(Path(path)).items():
            if item_id not in merged or seq >= merged[item_id][0]:
                merged[item_id] = (seq, dup)
    return {item_id: dup for item_id, (_seq, dup) in merged.items()}


def current_links(out_dir: Path | str, items_file: str = "items.jsonl") -> dict[str, str | None]:
    """Item id -> current ``duplicate_of`` of every item of an output folder's items file."""
    path = Path(out_dir) / items_file
    links: dict[str, str | None] = {}
    for item in iter_items([path]):
        links[str(item["id"])] = item.get("duplicate_of")
    return links


def apply_links(items: Iterable[dict[str, Any]], links: dict[str, str | None]) -> Iterator[dict[str, Any]]:
    """The items with ``duplicate_of`` replaced where `links` (from `read_relinks`) has a newer one;
    relink records among `items` are dropped."""
    for item in items:
        if is_relink(item):
            continue
        item_id = item.get("id")
        if item_id in links:
            item = {**item, "duplicate_of": links[item_id]}
        yield item


def iter_items(paths: Iterable[Path]) -> Iterator[dict[str, Any]]:
    """Every item line of `paths` (parsed JSON, in file order) with its current link; relink
    records, blank and unparsable lines are left out. Two passes: relinks first."""
    files = [Path(p) for p in paths]
    links = read_relinks(files)
    for path in files:
        if not path.is_file():
            continue
        with path.open("rb") as fh:
            for raw in fh:
                if not raw.strip() or is_relink_line(raw):
                    continue
                try:
                    item = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(item, dict):
                    yield from apply_links([item], links)


def relinked_since(path: Path, offset: int) -> dict[str, int]:
    """For the items written after byte `offset` (one run's), per ``source_name`` ("-" when
    none): how many more of them are reposts now than when their lines were written — what a
    run report adds to its duplicate counts. Relinks of this run's items come after its lines,
    so only the run's part of the file is read (twice: relinks, then items); memory follows
    the number of relinks."""
    path = Path(path)
    if not path.is_file():
        return {}
    links: dict[str, str | None] = {}
    with path.open("rb") as fh:
        fh.seek(offset)
        for raw in fh:
            if is_relink_line(raw):
                try:
                    rec = json.loads(raw)
                    links[str(rec["id"])] = rec["duplicate_of"]
                except (ValueError, KeyError, TypeError):
                    continue
    delta: dict[str, int] = {}
    if not links:
        return delta
    with path.open("rb") as fh:
        fh.seek(offset)
        for raw in fh:
            if is_relink_line(raw) or not raw.strip():
                continue
            try:
                item = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(item, dict) or item.get("id") not in links:
                continue
            change = (links[item["id"]] is not None) - (item.get("duplicate_of") is not None)
            if change:
                source = str(item.get("source_name") or "-")
                delta[source] = delta.get(source, 0) + change
    return delta


class RelinkWriter:
    """Copies an index's queued link changes into an items file (see module docstring)."""

    def __init__(self, items_path: Path) -> None:
        self.items_path = Path(items_path)
        self.mark_path = self.items_path.with_name(self.items_path.name + MARK_SUFFIX)
        self._mark: tuple[str, int] | None = None
        self._writer: Any = None
        self.written = 0

    def _read_mark(self, uid: str) -> int:
        if self._mark is None:
            try:
                text = self.mark_path.read_text(encoding="utf-8").split()
                self._mark = (text[0], int(text[1]))
            except (OSError, IndexError, ValueError):
                self._mark = ("", 0)
        stored_uid, seq = self._mark
        return seq if stored_uid == uid else 0   # another (new) index: its changes start at 1

    def _write_mark(self, uid: str, seq: int) -> None:
        tmp = self.mark_path.with_name(self.mark_path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(f"{uid} {seq}\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.mark_path)
        self._mark = (uid, seq)

    def drain(self, index: RelinkSource) -> int:
        """Append every change queued after the mark; returns how many records were written."""
        from crawler.store.jsonl import JsonLinesWriter

        uid = index.uid
        seq = self._read_mark(uid)
        count = 0
        while True:
            rows = index.relinks_after(seq)
            if not rows:
                break
            if self._writer is None:
                self._writer = JsonLinesWriter(self.items_path)
            # one write for the batch: whole lines or none (a torn tail is cut on the next open)
            self._writer.write("\n".join(relink_line(uid, row_seq, item_id, dup) for row_seq, item_id, dup in rows))
            self._writer.sync()
            seq = rows[-1][0]
            self._write_mark(uid, seq)
            count += len(rows)
        self.written += count
        return count

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

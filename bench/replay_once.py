"""One replay measurement in this process, with numbers out (a child of replay/memory benches).

    python bench/replay_once.py replay WARC_DIR --out DIR [--workers N]
    python bench/replay_once.py baseline WARC_DIR
    python bench/replay_once.py read WARC_DIR          # archive.reader alone
    python bench/replay_once.py read-warcio WARC_DIR   # warcio.ArchiveIterator alone

`replay`: `crawler.runs.replay.run_replay(WARC_DIR, DIR, workers=N)` — what `healthcrawl replay`
runs (read records, extract, tag, dedup, store). `baseline`: bare `warcio.ArchiveIterator`
over the same files and `trafilatura.extract` on every 200 HTML response, nothing stored.
`read` / `read-warcio`: reading alone, every record with its body decoded
(`archive.reader.iter_records`, digests checked, vs `ArchiveIterator(check_digests=True)` +
`content_stream().read()`: the same work), nothing extracted; also reports `cpu_seconds`
(this process's CPU time: steadier than wall time on a shared machine).
Prints one JSON line: `responses` (response records in the files), `seconds` (the work
only, imports excluded), `exit_code`, `max_rss_kb` (this process's peak RSS, `VmHWM`).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.summary import peak_rss_kb  # noqa: E402


def warc_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name.endswith((".warc.gz", ".warc")))


def baseline(directory: Path) -> dict[str, Any]:
    import trafilatura
    from warcio.archiveiterator import ArchiveIterator

    t0 = time.monotonic()
    responses = extracted = 0
    for path in warc_files(directory):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type != "response":
                    continue
                responses += 1
                http = record.http_headers
                if http is None or http.get_statuscode() != "200" or \
                        not (http.get_header("Content-Type") or "text/html").startswith("text/html"):
                    continue
                if trafilatura.extract(record.content_stream().read()) is not None:
                    extracted += 1
    return {"responses": responses, "extracted": extracted, "seconds": round(time.monotonic() - t0, 3),
            "exit_code": 0}


def read(directory: Path, *, warcio: bool) -> dict[str, Any]:
    """Read every record of the files with its decoded body; count responses and body bytes."""
    from warcio.archiveiterator import ArchiveIterator

    from archive.reader import ArchivedRecord, iter_records

    t0, c0 = time.monotonic(), time.process_time()
    responses = records = body_bytes = 0
    for path in warc_files(directory):
        if warcio:
            with path.open("rb") as fh:
                for record in ArchiveIterator(fh, check_digests=True):
                    records += 1
                    responses += record.rec_type == "response"
                    body_bytes += len(record.content_stream().read())
        else:
            for item in iter_records(path):
                if isinstance(item, ArchivedRecord):
                    records += 1
                    responses += item.rec_type == "response"
                    body_bytes += len(item.payload)
    return {"responses": responses, "records": records, "body_bytes": body_bytes,
            "seconds": round(time.monotonic() - t0, 3), "cpu_seconds": round(time.process_time() - c0, 3),
            "exit_code": 0}


def replay(directory: Path, out: Path, workers: int) -> dict[str, Any]:
    from crawler.runs.replay import run_replay

    responses = count_responses(directory)
    printed = io.StringIO()
    t0 = time.monotonic()
    with redirect_stdout(printed):
        code = run_replay([directory], out, workers=workers)
    seconds = time.monotonic() - t0
    return {"responses": responses, "seconds": round(seconds, 3), "exit_code": code, "workers": workers,
            "summary": printed.getvalue().splitlines()[0] if printed.getvalue() else ""}


def count_responses(directory: Path) -> int:
    from warcio.archiveiterator import ArchiveIterator

    count = 0
    for path in warc_files(directory):
        with path.open("rb") as fh:
            count += sum(1 for record in ArchiveIterator(fh) if record.rec_type == "response")
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="One replay (or baseline) measurement.")
    parser.add_argument("mode", choices=["replay", "baseline", "read", "read-warcio"])
    parser.add_argument("warc_dir", type=Path)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args(argv)
    if args.mode == "baseline":
        result = baseline(args.warc_dir)
    elif args.mode.startswith("read"):
        result = read(args.warc_dir, warcio=args.mode == "read-warcio")
    else:
        if args.out is None:
            parser.error("replay needs --out")
        result = replay(args.warc_dir, args.out, args.workers)
    result["max_rss_kb"] = peak_rss_kb()
    print(json.dumps(result, ensure_ascii=False))
    return int(result["exit_code"])


if __name__ == "__main__":
    sys.exit(main())

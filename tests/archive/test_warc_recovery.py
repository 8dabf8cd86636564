"""archive.recovery: leftover *.warc.gz.open files after a crash become readable WARCs."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support.archives import capture, read_records

from archive.reader import ArchivedRecord, DamagedRecord, iter_records
from archive.recovery import recover_open_files
from archive.writer import WarcWriter

ROOT = Path(__file__).resolve().parents[2]


def open_file_with_captures(directory: Path, n: int) -> tuple[WarcWriter, Path, list]:
    writer = WarcWriter(directory, host_tag="news.example.cn")
    refs = [capture(writer, url=f"https://news.example.cn/{i}.html")[0] for i in range(n)]
    return writer, writer.current_path, refs


def abandon(writer: WarcWriter) -> None:
    """Drop the writer's handle (and lock) without closing the WARC, as a crash would."""
    writer._fh.close()  # noqa: SLF001
    writer._fh = None  # noqa: SLF001
    writer._closed = True  # noqa: SLF001


def test_cut_mid_record_is_truncated_to_last_complete_record(tmp_path: Path, caplog) -> None:  # noqa: ANN001
    writer, open_path, refs = open_file_with_captures(tmp_path, 3)
    abandon(writer)
    data = open_path.read_bytes()
    cut = refs[2].offset + refs[2].length // 2
    open_path.write_bytes(data[:cut])
    with caplog.at_level(logging.WARNING, logger="archive.recovery"):
        [report] = recover_open_files(tmp_path)
    assert report.action == "truncated"
    assert report.kept_records == 1 + 2 * 2 and report.dropped_bytes == cut - refs[2].offset
    assert report.final_path.name == refs[0].filename and report.final_path.exists()
    assert not list(tmp_path.glob("*.open"))
    items = list(iter_records(report.final_path))
    assert all(isinstance(i, ArchivedRecord) for i in items) and len(items) == 5
    assert report.final_path.stat().st_size == refs[2].offset
    tail = tmp_path / "quarantine" / (refs[0].filename + ".tail")
    assert tail.read_bytes() == data[refs[2].offset:cut]
    assert open_path.name in caplog.text


def test_complete_open_file_is_just_closed(tmp_path: Path) -> None:
    writer, open_path, refs = open_file_with_captures(tmp_path, 2)
    abandon(writer)
    size = open_path.stat().st_size
    [report] = recover_open_files(tmp_path)
    assert (report.action, report.kept_records, report.dropped_bytes) == ("closed", 5, 0)
    assert report.final_path.stat().st_size == size
    assert not (tmp_path / "quarantine").exists()


def test_unreadable_file_is_quarantined(tmp_path: Path) -> None:
    bad = tmp_path / "healthcrawl-20261125081500123-00000.warc.gz.open"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage that is no gzip")
    [report] = recover_open_files(tmp_path)
    assert report.action == "quarantined" and report.kept_records == 0
    assert report.final_path == tmp_path / "quarantine" / bad.name
    assert report.final_path.read_bytes() == b"\x1f\x8b\x08\x00garbage that is no gzip"
    assert not bad.exists()


def test_recovery_never_overwrites(tmp_path: Path) -> None:
    writer, open_path, refs = open_file_with_captures(tmp_path, 1)
    abandon(writer)
    existing = tmp_path / refs[0].filename
    existing.write_bytes(b"someone else's file")
    [report] = recover_open_files(tmp_path)
    assert existing.read_bytes() == b"someone else's file"
    assert report.final_path != existing and report.final_path.name.endswith("-r1.warc.gz")
    assert len(read_records(report.final_path)) == 3


def test_live_file_is_left_alone(tmp_path: Path) -> None:
    writer, open_path, _ = open_file_with_captures(tmp_path, 1)
    [report] = recover_open_files(tmp_path)
    assert report.action == "skipped-in-use" and open_path.exists()
    capture(writer)  # the writer is undisturbed
    writer.close()
    assert len(read_records(writer.closed_files[0])) == 5


@pytest.mark.parametrize("partial", [False, True])
def test_kill_9_mid_crawl(tmp_path: Path, partial: bool) -> None:
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path[:0] = [{str(ROOT)!r}, {str(Path(__file__).parents[1])!r}]
        from archive.writer import WarcWriter
        from support.archives import capture
        w = WarcWriter({str(tmp_path)!r}, host_tag="news.example.cn")
        for i in range(4):
            ref, _ = capture(w, url=f"https://news.example.cn/{{i}}.html")
            w.write_metadata(url=f"https://news.example.cn/{{i}}.html", refers_to=ref, fields={{"i": i}})
        if {partial!r}:
            # half a record reaches the disk, as if killed inside write()
            w._fh.write(b"\\x1f\\x8b\\x08\\x00" + os.urandom(300))
            w._fh.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == -9, proc.stderr.decode()
    [leftover] = list(tmp_path.glob("*.warc.gz.open"))
    before = leftover.stat().st_size
    [report] = recover_open_files(tmp_path)
    assert report.action == ("truncated" if partial else "closed")
    assert report.dropped_bytes == (304 if partial else 0)
    assert report.kept_records == 1 + 4 * 3
    assert report.final_path.stat().st_size == before - report.dropped_bytes
    assert not list(tmp_path.glob("*.open"))
    items = list(iter_records(report.final_path))
    assert not any(isinstance(i, DamagedRecord) for i in items)
    assert [i.url for i in items if i.rec_type == "response"] == [f"https://news.example.cn/{i}.html" for i in range(4)]
    assert recover_open_files(tmp_path) == []  # second run: nothing left to do

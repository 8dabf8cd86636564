"""The WARC writer under a failing device: a metadata record (as a capture before it) that
cannot be written whole is cut back, so the file never holds a torn gzip member, and the
error names the file. Closed files then index like cdxj-indexer."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest
from support.faults import cdxj_indexer_lines

from archive.cdxj import write_index
from archive.reader import ArchivedRecord, iter_records
from archive.writer import WarcWriter


class _FillingDevice:
    """Wraps the writer's file: accepts `budget` more bytes (partial writes included), then ENOSPC."""

    def __init__(self, raw: Any, budget: int) -> None:
        self.raw, self.budget = raw, budget

    def write(self, data: Any) -> int:
        if self.budget <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        n = self.raw.write(bytes(data)[: self.budget])
        self.budget -= n
        return n

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


def _capture(writer: WarcWriter, n: int) -> Any:
    return writer.write_capture(url=f"http://a.cn/{n}.html", method="GET", request_headers=[("Host", "a.cn")],
                                request_body=b"", status=200, reason="OK",
                                response_headers=[("Content-Type", "text/html")], body=f"<p>{n}</p>".encode() * 300)


@pytest.mark.parametrize("budget", [0, 1, 40, 200])
def test_metadata_record_on_a_full_disk_leaves_no_torn_member(tmp_path: Path, budget: int) -> None:
    writer = WarcWriter(tmp_path, prefix="t", max_size=10_000_000)
    refs = [_capture(writer, n) for n in range(3)]
    real = writer._fh  # noqa: SLF001 - the device fills up under the open file
    writer._fh = _FillingDevice(real, budget)  # type: ignore[assignment]  # noqa: SLF001
    with pytest.raises(OSError) as info:
        writer.write_metadata(url="http://a.cn/2.html", refers_to=refs[2], fields={"text": "卫生" * 500})
    assert ".warc.gz.open" in str(info.value) and "No space left" in str(info.value)
    writer._fh = real  # noqa: SLF001 - space again
    ref = writer.write_metadata(url="http://a.cn/2.html", refers_to=refs[2], fields={"n": 2})
    writer.close()
    path = writer.closed_files[0]
    records = list(iter_records(path))
    assert all(isinstance(r, ArchivedRecord) for r in records), [r for r in records if not isinstance(r, ArchivedRecord)]
    assert [r.rec_type for r in records].count("metadata") == 1 and records[-1].offset == ref.offset
    write_index(tmp_path)
    assert (tmp_path / "index.cdxj").read_text("utf-8").splitlines() == cdxj_indexer_lines(tmp_path)

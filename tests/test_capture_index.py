"""`crawler.store.capture_index.CaptureIndex`: payload digests of records in a WARC file that is
still open are found by this run (revisits) but published to `captures.sqlite` — visible to
later runs — only when that file is closed; a run that dies first leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

from archive.writer import CaptureRef
from crawler.store.capture_index import CaptureIndex, payload_digest


def ref(filename: str, offset: int, body: bytes) -> CaptureRef:
    return CaptureRef(filename, offset, 100 + offset, f"<urn:uuid:{offset:08d}>", payload_digest(body),
                      "2026-01-02T03:04:05Z")


def test_pending_digest_found_now_published_when_its_file_closes(tmp_path: Path) -> None:
    index = CaptureIndex(tmp_path)
    first, second = ref("a.warc.gz", 0, b"one"), ref("b.warc.gz", 500, b"two")
    index.add_payload("http://x.cn/1.html", first)
    index.add_payload("http://x.cn/copy.html", ref("a.warc.gz", 900, b"one"))  # same payload: first one kept
    index.add_payload("http://x.cn/2.html", second)
    hit = index.find_payload(first.payload_digest)
    assert hit is not None and hit.url == "http://x.cn/1.html" and hit.ref == first
    assert index.pending_payloads() == 2
    other_run = CaptureIndex(tmp_path)
    assert other_run.find_payload(first.payload_digest) is None  # not durable yet
    index.file_closed(tmp_path / "a.warc.gz")
    assert index.pending_payloads() == 1
    published = other_run.find_payload(first.payload_digest)
    assert published is not None and published.ref == first and published.url == "http://x.cn/1.html"
    assert other_run.find_payload(second.payload_digest) is None  # b.warc.gz still open
    found = index.find_payload(second.payload_digest)
    assert found is not None and found.ref == second
    index.close()
    other_run.close()


def test_digests_of_a_file_never_closed_are_not_kept(tmp_path: Path) -> None:
    index = CaptureIndex(tmp_path)
    lost = ref("a.warc.gz", 0, b"lost")
    index.add_payload("http://x.cn/1.html", lost)
    index.close()  # the process ends before a.warc.gz is closed
    again = CaptureIndex(tmp_path)
    assert again.find_payload(lost.payload_digest) is None and again.pending_payloads() == 0
    again.close()

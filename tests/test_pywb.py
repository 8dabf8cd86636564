"""Our archive replays in pywb, the Webrecorder wayback machine.

One demo crawl is loaded into pywb three ways, then served by one ``wayback`` process on a
free loopback port:

- ``coll``: ``wb-manager init`` + ``wb-manager add`` of the WARC files (pywb indexes them);
- ``ours``: a ``config.yaml`` collection that points at our own ``warc/index.cdxj``;
- ``packed``: ``wb-manager add --unpack-wacz`` of the WACZ that ``crawler.store.wacz`` writes.

pywb pins ``redis==2.10.6`` and brings ``brotlipy`` (which installs a second ``brotli``
module), so it cannot share the project venv with scrapy-redis / redis>=5 and brotli>=1.2.
The fixture installs ``PYWB_REQUIREMENT`` into its own venv, kept between runs in
``$HEALTHCRAWL_PYWB_VENV`` (default ``~/.cache/healthcrawl/pywb-<version>-py<X.Y>``).
If that install fails the tests are skipped, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock
from support import free_port, read_items, run_cli

from archive.reader import read_record_at
from crawler.store.wacz import write_wacz

PYWB_VERSION = "2.10.0"
PYWB_REQUIREMENT = f"pywb=={PYWB_VERSION}"

# ---------------------------------------------------------------------- pywb install
def _unavailable(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"pywb is required under CI: {message}")
    pytest.skip(message)


def _tools_venv() -> Path:
    default = Path.home() / ".cache" / "healthcrawl" / f"pywb-{PYWB_VERSION}-py{sys.version_info[0]}.{sys.version_info[1]}"
    return Path(os.environ.get("HEALTHCRAWL_PYWB_VENV", default))


def _pywb_ready(venv: Path) -> bool:
    python = venv / "bin" / "python"
    if not all((venv / "bin" / tool).exists() for tool in ("python", "wayback", "wb-manager")):
        return False
    probe = subprocess.run([str(python), "-c", "import pywb; print(pywb.__version__)"],
                           capture_output=True, text=True, timeout=60)
    return probe.returncode == 0 and probe.stdout.strip() == PYWB_VERSION


@pytest.fixture(scope="session")
def pywb_bin() -> Path:
    """bin/ folder of a venv with pywb (wayback, wb-manager), installed on first use."""
    venv = _tools_venv()
    venv.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(venv) + ".lock", timeout=900):
        if not _pywb_ready(venv):
            steps = [[sys.executable, "-m", "venv", "--clear", str(venv)],
                     [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check",
                      "-q", PYWB_REQUIREMENT]]
            for step in steps:
                try:
                    done = subprocess.run(step, capture_output=True, text=True, timeout=600)
                except subprocess.TimeoutExpired:
                    _unavailable(f"`{' '.join(step)}` timed out after 600 s")
                if done.returncode != 0:
                    _unavailable(f"`{' '.join(step)}` exited {done.returncode}: {done.stderr[-1500:]}")
            if not _pywb_ready(venv):
                _unavailable(f"{venv}: pywb {PYWB_VERSION} installed but `import pywb` fails")
    return venv / "bin"


# ---------------------------------------------------------------------- crawl + pywb server
@dataclass
class Replay:
    base: str                # http://127.0.0.1:PORT
    out: Path                # demo crawl output folder
    items: list[dict[str, Any]]
    index: dict[tuple[str, int], tuple[str, dict[str, Any]]]   # (filename, offset) -> (timestamp, json)
    log: Path

    def capture(self, item: dict[str, Any]) -> tuple[str, str]:
        """(timestamp, archived URL) of the response record an item was extracted from."""
        timestamp, data = self.index[(item["warc_filename"], item["warc_offset"])]
        return timestamp, data["url"]

    def get(self, path: str, *, gzip_ok: bool = False) -> tuple[int, dict[str, str], bytes]:
        headers = {"Accept-Encoding": "gzip"} if gzip_ok else {}
        request = urllib.request.Request(self.base + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()


def _run(cmd: list[str], cwd: Path) -> None:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr[-3000:]}"


def _wait_until_up(proc: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"wayback exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(base + "/", timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"wayback did not answer on {base} within 60 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def replay(pywb_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replay]:
    work = tmp_path_factory.mktemp("pywb")
    out = work / "crawl"
    run_cli("demo", "--out", str(out), "--port", str(free_port()), check=True)
    warcs = sorted((out / "warc").glob("*.warc.gz"))
    assert warcs, f"the demo crawl wrote no WARC into {out / 'warc'}"

    root = work / "pywb"
    root.mkdir()
    wb_manager = str(pywb_bin / "wb-manager")
    _run([wb_manager, "init", "coll"], root)
    _run([wb_manager, "add", "coll", *map(str, warcs)], root)
    wacz = write_wacz(out / "warc", work / "crawl.wacz", title="healthcrawl demo")
    _run([wb_manager, "init", "packed"], root)
    _run([wb_manager, "add", "--unpack-wacz", "packed", str(wacz)], root)
    (root / "config.yaml").write_text(
        "collections:\n"
        "  ours:\n"
        f"    index_paths: {out / 'warc' / 'index.cdxj'}\n"
        f"    archive_paths: {out / 'warc'}/\n", encoding="utf-8")

    index: dict[tuple[str, int], tuple[str, dict[str, Any]]] = {}
    for line in (out / "warc" / "index.cdxj").read_text(encoding="utf-8").splitlines():
        _key, timestamp, raw = line.split(" ", 2)
        data = json.loads(raw)
        index[(data["filename"], int(data["offset"]))] = (timestamp, data)

    port = free_port()
    log = work / "wayback.log"
    with open(log, "wb") as log_fh:
        proc = subprocess.Popen([str(pywb_bin / "wayback"), "-b", "127.0.0.1", "-p", str(port), "-d", str(root)],
                                cwd=root, stdout=log_fh, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(proc, base, log)
        yield Replay(base, out, read_items(out / "items.jsonl"), index, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def _archived(replay: Replay, item: dict[str, Any], *, decoded: bool) -> bytes:
    record = read_record_at(replay.out / "warc" / item["warc_filename"], item["warc_offset"],
                            decode_payload=decoded)
    assert record.rec_type == "response" and record.http_status == 200, (item["url"], record.rec_type)
    return record.payload


def _archived_title(replay: Replay, item: dict[str, Any]) -> bytes:
    """``<title>...</title>`` of the archived page as the site sent it (items hold the
    normalised, Simplified title; the page may be Traditional or GBK)."""
    found = re.search(rb"<title>.*?</title>", _archived(replay, item, decoded=True), re.S)
    assert found, f"archived page {item['url']} has no <title>"
    return found.group(0)


def _utf8_item(replay: Replay) -> dict[str, Any]:
    """A UTF-8 article whose page links to other pages (WeChat-style pages have no links, so
    there is nothing to see rewritten); the items' order depends on fetch order."""
    return next(i for i in replay.items if i.get("charset") == "utf-8"
                and b'href="/' in _archived(replay, i, decoded=True))


def _assert_id_mode_returns_every_article(replay: Replay, coll: str) -> None:
    assert len(replay.items) >= 10, f"demo crawl gave only {len(replay.items)} items"
    wrong: list[str] = []
    for item in replay.items:
        timestamp, url = replay.capture(item)
        status, headers, body = replay.get(f"/{coll}/{timestamp}id_/{url}", gzip_ok=True)
        raw = _archived(replay, item, decoded=False)
        if status != 200 or body != raw:
            wrong.append(f"{url}: HTTP {status} {headers.get('Content-Type')}, {len(body)} bytes, "
                         f"archived {len(raw)} bytes")
    assert not wrong, f"{len(wrong)}/{len(replay.items)} articles not replayed byte for byte from {coll}:\n" + \
        "\n".join(wrong[:5])


# ---------------------------------------------------------------------- tests
def test_wb_manager_indexes_every_article(replay: Replay) -> None:
    indexed = (replay.out.parent / "pywb" / "collections" / "coll" / "indexes" / "index.cdxj").read_text("utf-8")
    for item in replay.items:
        _timestamp, url = replay.capture(item)
        assert f'"url": "{url}"' in indexed, f"wb-manager add did not index {url}"


def test_id_mode_returns_the_archived_bytes(replay: Replay) -> None:
    _assert_id_mode_returns_every_article(replay, "coll")


def test_id_mode_without_gzip_returns_the_decoded_page(replay: Replay) -> None:
    item = replay.items[0]
    timestamp, url = replay.capture(item)
    status, headers, body = replay.get(f"/coll/{timestamp}id_/{url}")
    assert status == 200, (url, status)
    assert "Content-Encoding" not in headers
    assert body == _archived(replay, item, decoded=True)
    assert _archived_title(replay, item) in body


def test_replay_mode_shows_the_article_with_rewritten_links(replay: Replay) -> None:
    item = _utf8_item(replay)
    timestamp, url = replay.capture(item)
    status, _headers, frame = replay.get(f"/coll/{timestamp}/{url}")
    assert status == 200, (url, status)
    assert f'"url": "{url}"'.encode() in frame and f'"request_ts": "{timestamp}"'.encode() in frame, \
        "the top frame must load this capture into its content frame"
    status, headers, body = replay.get(f"/coll/{timestamp}mp_/{url}")
    assert status == 200, (url, status)
    assert headers.get("Content-Type", "").startswith("text/html"), headers.get("Content-Type")
    assert _archived_title(replay, item) in body
    page = body.decode("utf-8")
    assert f"{replay.base}/coll/{timestamp}mp_/" in page or f"/coll/{timestamp}mp_/" in page, \
        "links in the replayed page are not rewritten into the archive"


def test_our_cdxj_index_serves_the_articles_directly(replay: Replay) -> None:
    _assert_id_mode_returns_every_article(replay, "ours")


def test_wacz_unpacked_into_pywb_replays_every_article(replay: Replay) -> None:
    _assert_id_mode_returns_every_article(replay, "packed")
    item = _utf8_item(replay)
    timestamp, url = replay.capture(item)
    status, _headers, body = replay.get(f"/packed/{timestamp}mp_/{url}")
    assert status == 200, (url, status)
    assert _archived_title(replay, item) in body


def test_timestampless_url_shows_the_article_not_its_metadata(replay: Replay) -> None:
    """Asked for an article without a timestamp, pywb serves its latest capture: that must be
    the page, never our JSON metadata record (written after it, with a urn: target so its SURT
    key is not the page's)."""
    wrong: list[str] = []
    for coll in ("coll", "ours", "packed"):
        for item in replay.items:
            _timestamp, url = replay.capture(item)
            status, headers, body = replay.get(f"/{coll}/id_/{url}")
            if status != 200 or not headers.get("Content-Type", "").startswith("text/html") \
                    or body != _archived(replay, item, decoded=True):
                wrong.append(f"{coll} {url}: HTTP {status} {headers.get('Content-Type')} {body[:60]!r}")
    assert not wrong, f"{len(wrong)} timestamp-less lookups did not give the page:\n" + "\n".join(wrong[:5])
    status, _headers, body = replay.get(f"/coll/{replay.capture(replay.items[0])[1]}")
    assert status == 200 and b"application/json" not in body[:200]


def test_unknown_url_is_not_found(replay: Replay) -> None:
    status, _headers, _body = replay.get("/coll/20000101000000id_/http://127.0.0.1:1/never-crawled/")
    assert status == 404

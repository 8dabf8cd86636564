"""The HTML report as a person sees it: headless Chromium renders it and dumps its DOM.

Skipped when chromium is not installed (`apt-get install chromium`) — except in CI (env CI set),
where a missing browser is a failure, so the check can never silently vanish.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

pytestmark = pytest.mark.chromium

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars",
]


def _chromium() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium not installed in CI: apt-get install chromium")
        pytest.skip("chromium not installed: apt-get install chromium")
    return path


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    return subprocess.run(
        [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=90, check=False,
    )


def _png_pixels(data: bytes) -> tuple[int, int, set[bytes]]:
    """Decode an 8-bit RGB/RGBA PNG (what Chromium writes) and return width, height, colours seen."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    height = colour_type = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour_type = struct.unpack(">IIBB", body[:10])
            assert depth == 8
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    channels = {2: 3, 6: 4}[colour_type]
    raw = zlib.decompress(idat)
    stride = width * channels
    colours: set[bytes] = set()
    prev = bytearray(stride)
    for r in range(height):
        f = raw[r * (stride + 1)]
        line = bytearray(raw[r * (stride + 1) + 1 : (r + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        prev = line
        if r % 5 == 0:  # sample every 5th pixel of every 5th row
            colours.update(bytes(line[i : i + 3]) for i in range(0, stride, channels * 5))
    return width, height, colours


def test_screenshot_and_dom(report_dir: Path, tmp_path: Path) -> None:
    html = report_dir / "report.html"
    shot = tmp_path / "report.png"
    result = _run([f"--screenshot={shot}", "--window-size=1200,2000", html.as_uri()], tmp_path)
    assert shot.exists(), f"no screenshot; chromium said:\n{result.stderr[-2000:]}"
    data = shot.read_bytes()
    assert len(data) > 20_000, f"screenshot only {len(data)} bytes"
    width, height, colours = _png_pixels(data)
    assert (width, height) == (1200, 2000)
    assert len(colours) > 10, "screenshot is (nearly) one colour"
    # the bar colours of the charts are on screen
    assert bytes.fromhex("3b6ea5") in colours and bytes.fromhex("b03a3a") in colours

    dom = _run(["--dump-dom", html.as_uri()], tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count('class="chart"') == 6
    for name in ("items_per_source", "items_over_time", "run_history", "items_per_region", "duplicate_clusters",
                 "failures_by_kind"):
        assert f'data-chart="{name}"' in dom.stdout
    assert "简阳市医共体建设" in dom.stdout
    assert 'class="generated"' in dom.stdout


MEASURE = """<script>
addEventListener("load", () => {
  const texts = [];
  for (const t of document.querySelectorAll("svg.chart text.label, svg.chart text.tick")) {
    const box = t.getBBox();
    texts.push({chart: t.ownerSVGElement.dataset.chart, cls: t.getAttribute("class"), left: box.x,
                right: box.x + box.width, room: t.ownerSVGElement.viewBox.baseVal.width});
  }
  document.body.dataset.measured = JSON.stringify({texts, font: getComputedStyle(document.body).fontFamily});
});
</script>"""


def test_labels_fit_in_the_browser(tmp_path: Path) -> None:
    """Long Chinese labels and many time-series ticks, measured by the browser itself."""
    import json

    import lxml.html

    from crawler.report import RunStats, write_report

    items = [{"source_name": f"贵州省遵义市赤水市卫生健康局政务公开栏目第{i}号", "published": f"20{10 + i % 15}-0{1 + i % 9}-1{i % 10}"}
             for i in range(60)]
    page, _ = write_report(tmp_path, RunStats(), items, [], title="标签测试")
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = _run(["--virtual-time-budget=3000", "--dump-dom", probe.as_uri()], tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    measured = json.loads(lxml.html.fromstring(dom.stdout).xpath("string(//body/@data-measured)"))
    assert "Noto Sans CJK SC" in measured["font"] and "Microsoft YaHei" in measured["font"]
    texts = measured["texts"]
    assert sum(t["cls"] == "label" for t in texts) >= 40 and sum(t["cls"] == "tick" for t in texts) >= 3
    for t in texts:
        assert t["left"] >= -0.5 and t["right"] <= t["room"] + 0.5, t  # nothing clipped at the chart's edges
    ticks = [t for t in texts if t["cls"] == "tick"]
    for a, b in zip(ticks, ticks[1:]):
        if a["chart"] == b["chart"]:
            assert a["right"] <= b["left"] + 0.5, (a, b)  # tick labels never overlap

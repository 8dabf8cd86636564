"""The operator's config file (healthcrawl.toml in the output folder or --config) and the global
politeness caps: a spec may be stricter than the operator's caps, never looser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support import run_cli

from crawler.runs.demo import render_specs

FIXED = ["--allow-private", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY_JITTER=0"]


def _source(out: Path, name: str = "demo-blog") -> dict[str, Any]:
    """The per-source row of the run's JSON report."""
    (path,) = sorted((out / "reports").glob("run-*.json"))
    return json.loads(path.read_text(encoding="utf-8"))["sources"][name]


def test_s_download_delay_slows_a_spec_that_says_zero(demo_server: Any, tmp_path: Path) -> None:
    specs = render_specs(demo_server.base_url, tmp_path / "specs")
    assert "download_delay = 0.0" in (specs / "demo-blog.toml").read_text(encoding="utf-8")
    proc = run_cli("harvest", "--sources-dir", str(specs), "--sources", "demo-blog", "--out", str(tmp_path / "out"),
                   *FIXED, "-s", "DOWNLOAD_DELAY=1")
    assert proc.returncode == 0, proc.stderr
    blog = _source(tmp_path / "out")
    assert blog["pages_fetched"] >= 5
    assert blog["seconds"] >= 0.95 * (blog["pages_fetched"] - 1)  # one second between requests to the host
    warning = [line for line in proc.stderr.splitlines() if "placeholder" in line]
    assert len(warning) == 1 and "contact" in warning[0] and "healthcrawl.toml" in warning[0]


def test_config_file_found_in_the_output_folder(demo_server: Any, tmp_path: Path) -> None:
    render_specs(demo_server.base_url, tmp_path / "specs")
    out = tmp_path / "out"
    out.mkdir()
    (out / "healthcrawl.toml").write_text(
        'contact = "mailto:ops@example.org"\nsources_dir = "../specs"\n'
        "[politeness]\ndownload_delay = 0.0\nconcurrency = 1\n", encoding="utf-8")
    proc = run_cli("harvest", "--out", str(out), "--sources", "demo-county", *FIXED)
    assert proc.returncode == 0, proc.stderr
    assert "placeholder" not in proc.stderr
    agents = {r.user_agent for r in demo_server.requests}
    assert agents and all("+mailto:ops@example.org" in (a or "") for a in agents), agents
    assert _source(out, "demo-county")["new_items"] > 0


def test_config_given_names_the_output_folder_and_caps_the_delay(demo_server: Any, tmp_path: Path) -> None:
    render_specs(demo_server.base_url, tmp_path / "etc" / "specs")
    config = tmp_path / "etc" / "healthcrawl.toml"
    config.write_text('contact = "https://example.org/ops"\nsources_dir = "specs"\nout = "../var/out"\n'
                      "[politeness]\ndownload_delay = 1\n", encoding="utf-8")
    proc = run_cli("harvest", "--config", str(config), "--sources", "demo-blog", *FIXED)
    assert proc.returncode == 0, proc.stderr
    blog = _source(tmp_path / "var" / "out")
    assert blog["seconds"] >= 0.95 * (blog["pages_fetched"] - 1) and blog["new_items"] > 0


def test_bad_config_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "healthcrawl.toml"
    for text, needle in [('contct = "x"\n', "unknown key 'contct'"),
                         ("[politeness]\ndownload_delay = -1\n", "'politeness.download_delay' must be"),
                         ("contact = \n", "not valid TOML")]:
        config.write_text(text, encoding="utf-8")
        proc = run_cli("harvest", "--config", str(config))
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2 and len(lines) == 1 and needle in lines[0] and str(config) in lines[0], proc.stderr
    proc = run_cli("crawl", "http://example.cn/", "--config", str(tmp_path / "none.toml"))
    assert proc.returncode == 2 and "--config" in proc.stderr and "none.toml" in proc.stderr


def test_autothrottle_never_loosens_a_stricter_spec(demo_server: Any, tmp_path: Path) -> None:
    specs = render_specs(demo_server.base_url, tmp_path / "specs")
    blog = specs / "demo-blog.toml"
    blog.write_text(blog.read_text(encoding="utf-8").replace("download_delay = 0.0", "download_delay = 1.0"),
                    encoding="utf-8")
    proc = run_cli("harvest", "--sources-dir", str(specs), "--sources", "demo-blog", "--out", str(tmp_path / "out"),
                   "--allow-private", "-s", "AUTOTHROTTLE_ENABLED=1", "-s", "DOWNLOAD_DELAY_JITTER=0",
                   "-s", "HEALTHCRAWL_CONTACT=mailto:ops@example.org")
    assert proc.returncode == 0, proc.stderr
    row = _source(tmp_path / "out")
    assert row["seconds"] >= 0.95 * (row["pages_fetched"] - 1)  # fast answers did not lower the spec's delay


class _SlowSite:
    """A listing with eight article links on 127.0.0.1; every answer takes 0.3 s, and the most
    requests in flight at once are counted."""

    def __init__(self) -> None:
        import threading
        import time
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        site = self
        self.lock = threading.Lock()
        self.active = self.most = 0

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                with site.lock:
                    site.active += 1
                    site.most = max(site.most, site.active)
                time.sleep(0.3)
                links = "".join(f'<li><a href="/a/{n}.html">第{n}篇</a></li>' for n in range(8))
                body = f"<html><body><ul>{links}</ul></body></html>".encode()
                self.send_response(404 if self.path == "/robots.txt" else 200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                with site.lock:
                    site.active -= 1

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_concurrency_cap_bounds_a_spec(tmp_path: Path) -> None:
    site = _SlowSite()
    try:
        specs = tmp_path / "specs"
        specs.mkdir()
        (specs / "slow.toml").write_text(
            f'name = "slow"\ntitle = "slow"\nhomepage = "{site.url}/"\nregion = {{ province = "贵州省", code = "520000" }}\n'
            f'verified_offline = true\n\n[[listing]]\nurl = "{site.url}/list/index.html"\narticle_links = "/a/\\\\d+\\\\.html$"\n'
            "max_pages = 1\n\n[politeness]\ndownload_delay = 0.1\nconcurrency = 8\n", encoding="utf-8")
        # (with a delay of 0, Scrapy 2.19's downloader starts every queued request of a slot at once
        # whatever its concurrency; with a delay it starts one per delay while a slot is free)
        common = ["--sources-dir", str(specs), *FIXED, "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "RETRY_TIMES=0",
                  "-s", "HEALTHCRAWL_CONTACT=mailto:ops@example.org"]
        run_cli("harvest", "--out", str(tmp_path / "free"), *common)
        free = site.most
        site.most = 0
        run_cli("harvest", "--out", str(tmp_path / "capped"), *common, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1")
        assert free > 1 and site.most == 1, (free, site.most)  # the spec's 8 was bounded by the operator's 1
    finally:
        site.close()

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

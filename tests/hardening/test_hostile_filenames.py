"""File names from untrusted text stay inside their folder: `crawler.security.filenames.safe_component`,
WARC names built from a host tag and prefix (`archive.naming`), and source spec names (checked
by regex in `spiders.spec`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.naming import sanitise_tag, warc_name
from archive.writer import WarcWriter
from crawler.security.filenames import safe_component, safe_join
from spiders.spec import SpecError, load_specs

HOSTILE = ["../etc/passwd", "..", ".", "", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "%252e%252e%252f", "a\x00b",
           "x" * 4096, "CON", "con.txt", "LPT1", "nul", "a/b\\c", "/abs/path", "C:\\win", "\ud800lone",
           " .hidden ", "新闻网站", "..\\..\\boot.ini", "\n\r\t"]


def _is_safe(name: str, max_len: int = 100) -> bool:
    return (0 < len(name) <= max_len and name not in (".", "..") and "/" not in name and "\\" not in name
            and "\x00" not in name and ".." not in name and name.split(".")[0].upper() not in ("CON", "NUL", "LPT1")
            and name == name.strip(". "))


@pytest.mark.parametrize("name", HOSTILE)
def test_safe_component_hostile_names(name: str, tmp_path: Path) -> None:
    safe = safe_component(name)
    assert _is_safe(safe), repr(safe)
    path = safe_join(tmp_path, name)
    path.write_text("x")  # the file system accepts it, and it is directly in the folder
    assert path.parent == tmp_path and path.exists()


def test_safe_component_keeps_good_names_and_separates_different_ones() -> None:
    assert safe_component("gd-wsjkw.jsonl") == "gd-wsjkw.jsonl"
    assert safe_component("a/b") != safe_component("a_b")
    assert len({safe_component(n) for n in HOSTILE}) == len(HOSTILE)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.integers(min_value=16, max_value=200))
def test_safe_component_property(name: str, max_len: int) -> None:
    assert _is_safe(safe_component(name, max_len), max_len)


@pytest.mark.parametrize("tag", HOSTILE)
def test_warc_host_tag_and_prefix_are_sanitised(tag: str, tmp_path: Path) -> None:
    name = warc_name(tag, 1, tag)
    assert "/" not in name and "\\" not in name and "\x00" not in name and not name.startswith(".")
    assert len(name) < 200
    assert set(sanitise_tag(tag)) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-")


def test_warc_writer_with_hostile_tag_writes_inside_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "warc"
    folder.mkdir()
    with WarcWriter(folder, prefix="../../evil", max_size=10_000_000, host_tag="%2e%2e%2f..\x00/" + "h" * 4000) as w:
        w.write_capture(url="http://a.cn/", method="GET", request_headers=[("Host", "a.cn")], request_body=b"",
                        status=200, reason="OK", response_headers=[("Content-Type", "text/html")], body=b"<p>x</p>",
                        http_version="HTTP/1.1")
    everything = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert everything and all(p.parent == folder for p in everything), everything
    assert all(len(p.name) < 255 for p in everything)


@pytest.mark.parametrize("name", ["../evil", "a/b", "CON\x00", "x" * 65, ".hidden", "Upper"])
def test_spec_names_are_validated(name: str, tmp_path: Path) -> None:
    spec = (f'name = "{name.encode("unicode_escape").decode()}"\ntitle = "t"\nhomepage = "https://a.cn/"\n'
            'region = { province = "广东省" }\n[[listing]]\nurl = "https://a.cn/list/"\n')
    (tmp_path / "bad.toml").write_text(spec, encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_specs(tmp_path)
    assert "bad.toml" in str(info.value) and "name" in str(info.value)
    assert os.listdir(tmp_path) == ["bad.toml"]

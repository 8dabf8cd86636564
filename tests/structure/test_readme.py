"""README.md stays a front page: at most 300 lines, a Quick start of exactly two commands, and
links to manuals that exist. (Its Python block is run by tests/test_demo_e2e.py.)"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_is_at_most_300_lines() -> None:
    assert len(README.splitlines()) <= 300


def test_quick_start_is_exactly_two_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```[a-z]*\n(.*?)```", quick, re.S)
    commands = [line for block in blocks for line in block.splitlines() if line.strip()]
    assert len(commands) == 2, commands
    assert "healthcrawl demo" in commands[0] and "pytest" in commands[1]


def test_every_linked_manual_exists() -> None:
    links = re.findall(r"\]\(((?:docs/)[^)#]+)", README)
    assert links, "the README links its manuals"
    missing = [link for link in links if not (REPO / link).is_file()]
    assert not missing, missing
    for manual in (REPO / "docs").glob("*.md"):
        assert f"docs/{manual.name}" in README, f"docs/{manual.name} is not linked from the README"

"""Every default lives in crawler/settings.py: the code reads settings without a fallback value,
and every setting it reads is defined there or by Scrapy (or scrapy-redis, for its own)."""

from __future__ import annotations

import re
from pathlib import Path

import scrapy.settings.default_settings as scrapy_defaults

import crawler.settings as ours

REPO = Path(__file__).resolve().parents[2]
READ = re.compile(r"""settings\.get(?:bool|int|float|dict|list|dictorlist)?\(\s*["']([A-Z][A-Z0-9_]+)["']\s*(,)?""")
READ_OR = re.compile(r"""settings\.get(?:bool|int|float|dict|list)?\(\s*["']([A-Z][A-Z0-9_]+)["']\s*\)\s+or\s""")
INDEXED = re.compile(r"""settings\[\s*["']([A-Z][A-Z0-9_]+)["']\s*\]""")
# scrapy-redis reads these itself; we only pass them on
SCRAPY_REDIS = {"SCHEDULER_SERIALIZER", "SCHEDULER_QUEUE_CLASS", "SCHEDULER_PERSIST", "DUPEFILTER_DEBUG"}


def sources() -> list[Path]:
    return [p for top in ("crawler", "spiders") for p in (REPO / top).rglob("*.py")
            if "site" not in p.relative_to(REPO).parts[2:3]]


def test_settings_are_read_without_a_fallback() -> None:
    wrong = []
    for path in sources():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in READ.finditer(line):
                if match.group(2):
                    wrong.append(f"{path.relative_to(REPO)}:{number}: {match.group(1)} read with a fallback")
            for match in READ_OR.finditer(line):
                wrong.append(f"{path.relative_to(REPO)}:{number}: {match.group(1)} read with `or` a fallback")
    assert not wrong, "\n".join(wrong)


def test_every_setting_read_is_defined() -> None:
    missing = []
    for path in sources():
        text = path.read_text(encoding="utf-8")
        for name in set(READ.findall(text) and [m[0] for m in READ.findall(text)]) | set(INDEXED.findall(text)):
            if not (hasattr(ours, name) or hasattr(scrapy_defaults, name) or name in SCRAPY_REDIS):
                missing.append(f"{path.relative_to(REPO)}: {name}")
    assert not missing, "settings read but defined nowhere (add them to crawler/settings.py):\n" + "\n".join(missing)


def test_every_project_setting_is_documented_where_it_is_defined() -> None:
    text = (REPO / "crawler" / "settings.py").read_text(encoding="utf-8")
    doc = ours.__doc__ or ""
    undocumented = []
    for name in dir(ours):
        if not name.isupper() or hasattr(scrapy_defaults, name):
            continue
        line = next(l for l in text.splitlines() if l.startswith(f"{name} ="))
        prefix = name.split("_", 1)[0]
        if "#" not in line and name not in doc and f"`{prefix}_*`" not in doc:
            undocumented.append(name)
    assert not undocumented, f"settings without a comment or a docstring entry: {undocumented}"

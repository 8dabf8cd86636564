"""Golden pages: one per kind of source, extracted and compared field by field.

Each `pages/NAME.html` imitates a seed kind around the seed text (verbatim), and each
`pages/demo_SECTION.html` is one page of that section of the bundled demo site as its server
sends it (bytes, Content-Type, URL); the reviewed item is `expected/NAME.json`. To add a page, drop the files in and run
`python -m tests.golden.regenerate NAME`, then review the new JSON by eye.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/ has no __init__.py

from tests.golden.regenerate import EXPECTED, FIELDS, extract_golden, golden_names  # noqa: E402

HOW_TO_FIX = ("If the change is intended, run `python -m tests.golden.regenerate {name}` and "
              "review `git diff tests/golden/expected/{name}.json` by eye before committing.")


@pytest.mark.parametrize("name", golden_names())
def test_golden_page(name: str) -> None:
    expected_file = EXPECTED / f"{name}.json"
    assert expected_file.exists(), f"no expected/{name}.json. " + HOW_TO_FIX.format(name=name)
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    actual = extract_golden(name)
    for field in FIELDS:
        assert actual[field] == expected.get(field), (
            f"{name}: field {field!r} differs\n  expected: {expected.get(field)!r}\n"
            f"  actual:   {actual[field]!r}\n" + HOW_TO_FIX.format(name=name))


def test_golden_set_covers_every_seed_kind() -> None:
    assert len(golden_names()) >= 5
    sections = ("chinanews", "county", "wechat", "portal", "blog", "repost")
    missing = [s for s in sections if f"demo_{s}" not in golden_names()]
    assert not missing, f"no golden page for demo section(s) {missing}"

"""Rewrite tests/golden/expected/NAME.json from the current extractor.

    python -m tests.golden.regenerate [NAME ...]

Run it after an intended change in extraction, then REVIEW THE DIFF BY EYE (`git diff
tests/golden/expected`) before committing: the expected files are the reviewed truth.
A golden page is `pages/NAME.html` (+ optional `pages/NAME.headers.json`, a JSON object of
response headers, and `pages/NAME.url` holding the URL); adding a page is dropping the files
in and running this command for it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from crawler.extract import Extractor, extract_page

HERE = Path(__file__).resolve().parent
PAGES = HERE / "pages"
EXPECTED = HERE / "expected"
FIELDS = ("title", "published", "date_source", "source", "author", "authors", "account", "editor",
          "disclosure", "charset", "script", "opencc_config", "quality", "text")


def golden_names() -> list[str]:
    return sorted(p.stem for p in PAGES.glob("*.html"))


def extract_golden(name: str) -> dict[str, Any]:
    """The fields of a golden page as the current extractor produces them."""
    page = PAGES / f"{name}.html"
    headers_file = PAGES / f"{name}.headers.json"
    url_file = PAGES / f"{name}.url"
    headers = json.loads(headers_file.read_text(encoding="utf-8")) if headers_file.exists() else {}
    url = url_file.read_text(encoding="utf-8").strip() if url_file.exists() else f"http://golden.test/{name}.html"
    result = extract_page(page.read_bytes(), url=url, headers=headers, extractor=Extractor())
    return {field: getattr(result, field) for field in FIELDS}


def main(argv: list[str] | None = None) -> int:
    names = (argv if argv is not None else sys.argv[1:]) or golden_names()
    EXPECTED.mkdir(exist_ok=True)
    for name in names:
        data = extract_golden(name)
        (EXPECTED / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n",
                                               encoding="utf-8")
        print(f"wrote expected/{name}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())

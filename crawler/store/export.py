"""Export JSON-lines item files to Parquet, CSV or SQLite for analysis.

    from crawler.store.export import export
    n = export([Path("out/items/items-0001.jsonl")], "parquet", Path("articles.parquet"))

Input: our item files, one `Article.model_dump_json()` per line, and the relink records dedup
appends when a cluster's canonical moves (`crawler.dedup.links`: applied, so every exported
`duplicate_of` is the current one). Every other line is validated as an `Article`; a line that is not valid JSON or not a valid Article is skipped and reported once as
`ExportWarning("items.jsonl:17: ...")` (and counted in `ExportResult.bad_lines`), so one broken
line does not lose a whole export. Columns are the Article fields, in model order.

One rule for a repeated `id` in every format: the last copy in the files wins (the newest
extraction), at the place of that last copy. Filters (`ExportFilter`, `healthcrawl export
--since/--source/--no-reposts`): `since` keeps items published on or after a date (items
without a date are left out), `sources` keeps items whose `source_name` (or `site`) is listed,
`no_reposts` leaves out items with a `duplicate_of`.

Formats:
- **parquet** (pyarrow, the `[export]` extra): list fields stay typed — `regions` and
  `publisher_region` are structs, `topics`/`quality`/`authors` lists of strings — so
  `duckdb.sql("select unnest(topics) ...")` works; `published` and `fetched_at` are timestamps
  (UTC; a date without a time is midnight +08:00), `disclosure_written`/`_published` dates.
- **csv**: UTF-8, without a BOM unless `bom=True` (`--bom`: what Excel needs to read Chinese);
  nested fields (`regions`, `publisher_region`, `topics`, `quality`, `authors`) are JSON strings
  with real characters.
- **sqlite**: table `articles` (nested fields as JSON text, usable with `json_each`) and an FTS5
  table `articles_fts(title, text)` with the `trigram` tokenizer, linked by rowid. Trigram needs
  SQLite ≥ 3.34 and matches substrings of **3 or more characters**: `MATCH '医共体'` works, but
  a 2-character query such as `医保` matches nothing there. For those, use
  `articles_fts MATCH` only for ≥ 3 characters and fall back to
  `SELECT ... FROM articles WHERE title LIKE '%医保%' OR text LIKE '%医保%'` — or call
  `search_sqlite(db, query)`, which picks the right one.

Scrapy's own feed exports (`scrapy crawl news -O items.csv`) use the exporters at the end of
this module (setting `FEED_EXPORTERS`): plain values for nested fields in JSON and JSON lines,
JSON text in CSV and XML cells, as here.

The `healthcrawl export` command is a thin wrapper over `export()`; there are no settings.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
import warnings
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Literal

from pydantic import BaseModel, ValidationError
from scrapy.exporters import CsvItemExporter, JsonItemExporter, JsonLinesItemExporter, XmlItemExporter

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


@dataclass
class ExportFilter:
    """Which items an export keeps (see the module docstring)."""

    since: dt.date | None = None
    sources: Collection[str] | None = None
    no_reposts: bool = False

    def keeps(self, article: Article) -> bool:
        if self.no_reposts and article.duplicate_of:
            return False
        if self.sources is not None and (article.source_name or article.site) not in self.sources:
            return False
        if self.since is not None:
            return article.published is not None and dt.date.fromisoformat(article.published[:10]) >= self.since
        return True


def _parsed_lines(paths: list[Path], result: ExportResult, *, warn: bool) -> Iterator[tuple[int, Article]]:
    """(position, Article) of every valid item line; bad lines are counted (and warned about)."""
    from crawler.dedup.links import is_relink_line

    position = 0
    for path in paths:
        with Path(path).open(encoding="utf-8") as handle:
            for lineno, line in enumerate(handle, start=1):
                if not line.strip() or is_relink_line(line):
                    continue
                position += 1
                try:
                    yield position, Article.model_validate_json(line)
                except ValidationError as exc:
                    if not warn:
                        continue
                    first = exc.errors()[0]
                    where = ".".join(str(p) for p in first.get("loc", ())) or "line"
                    reason = f"{path}:{lineno}: {where}: {first.get('msg')}"
                    result.bad_lines.append(reason)
                    warnings.warn(reason, ExportWarning, stacklevel=3)


def read_items(paths: list[Path], result: ExportResult | None = None,
               keep: ExportFilter | None = None) -> Iterator[Article]:
    """Yield valid Articles from JSON-lines files with their current ``duplicate_of`` (relink
    records applied, `crawler.dedup.links`), one per id (its last copy, at that copy's place),
    those `keep` keeps; skip and warn about bad lines. Reads the files twice (ids first), so
    memory holds one position per id, not the items."""
    from crawler.dedup.links import read_relinks

    result = result if result is not None else ExportResult()
    paths = [Path(p) for p in paths]
    links = read_relinks(paths)
    last = {article.id: position for position, article in _parsed_lines(paths, result, warn=False)}
    for position, article in _parsed_lines(paths, result, warn=True):
        if last.get(article.id) != position:
            continue
        if article.id in links:
            article.duplicate_of = links[article.id]
        if keep is None or keep.keeps(article):
            yield article


def _row(article: Article, *, nested_as_json: bool) -> dict[str, Any]:
    row = article.model_dump(mode="json")
    if nested_as_json:
        for key in NESTED:
            row[key] = None if row[key] is None else json.dumps(row[key], ensure_ascii=False)
    return row


CHINA = dt.timezone(dt.timedelta(hours=8))


def _timestamp(value: str | None) -> dt.datetime | None:
    """An ISO date or datetime as an aware datetime (a date alone: midnight +08:00)."""
    if not value:
        return None
    if "T" not in value:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), CHINA)
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA)


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if value else None
    except ValueError:  # a disclosure field is free text when the page says something odd
        return None


def _write_parquet(articles: Iterator[Article], out: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    region = pa.struct(
        [("code", pa.string()), ("name", pa.string()), ("full_name", pa.string()),
         ("level", pa.string()), ("matched", pa.string())]
    )
    stamp = pa.timestamp("us", tz="UTC")
    types = {
        "warc_offset": pa.int64(), "relevance": pa.float64(), "publisher_region": region,
        "regions": pa.list_(region), "topics": pa.list_(pa.string()), "quality": pa.list_(pa.string()),
        "authors": pa.list_(pa.string()), "published": stamp, "fetched_at": stamp,
        "disclosure_written": pa.date32(), "disclosure_published": pa.date32(),
    }
    schema = pa.schema([(name, types.get(name, pa.string())) for name in COLUMNS])
    rows = []
    for article in articles:
        row = _row(article, nested_as_json=False)
        row["published"] = _timestamp(row["published"])
        row["fetched_at"] = _timestamp(row["fetched_at"])
        for key in ("disclosure_written", "disclosure_published"):
            row[key] = _date(row[key])
        rows.append(row)
    table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, out)
    return len(rows)


def _write_csv(articles: Iterator[Article], out: Path, *, bom: bool = False) -> int:
    n = 0
    with out.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
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
            con.execute(f"INSERT INTO articles VALUES ({placeholders})", [row[c] for c in COLUMNS])
            n += 1
        con.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
        con.commit()
    finally:
        con.close()
    return n


def export(items_paths: list[Path], fmt: Format, out: Path, *, keep: ExportFilter | None = None,
           bom: bool = False) -> int:
    """Export the items of `items_paths` to `out` in `fmt`; return the number of rows written.

    Bad lines are skipped with an `ExportWarning` naming file:line. An existing `out` is
    replaced. A repeated `id` keeps its last copy, in every format. `keep` filters the items;
    `bom` starts a CSV with a UTF-8 byte order mark.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    for path in items_paths:
        if not Path(path).is_file():
            raise FileNotFoundError(f"items file not found: {path}")
    out.parent.mkdir(parents=True, exist_ok=True)
    articles = read_items([Path(p) for p in items_paths], keep=keep)
    if fmt == "csv":
        return _write_csv(articles, out, bom=bom)
    writer = {"parquet": _write_parquet, "sqlite": _write_sqlite}[fmt]
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


# -- Scrapy's feed exports (setting FEED_EXPORTERS) ---------------------------------------------

def plain_item(item: Any, *, nested_as_json: bool) -> dict[str, Any]:
    """An item as plain JSON values (`Article.model_dump(mode="json")`); with `nested_as_json`,
    lists and objects become JSON text (for CSV and XML cells)."""
    if isinstance(item, BaseModel):
        row = item.model_dump(mode="json")
    else:  # a dict or a scrapy.Item: both are mappings
        row = json.loads(json.dumps(dict(item), ensure_ascii=False,
                                    default=lambda v: v.model_dump(mode="json") if isinstance(v, BaseModel) else str(v)))
    if nested_as_json:
        row = {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else ("" if v is None else v)
               for k, v in row.items()}
    return row


class _Plain:
    """Mixin: each item as `plain_item` before the Scrapy exporter writes it."""

    nested_as_json = False

    def export_item(self, item: Any) -> None:
        super().export_item(plain_item(item, nested_as_json=self.nested_as_json))  # type: ignore[misc]


class PlainJsonItemExporter(_Plain, JsonItemExporter):
    """`-O items.json`: nested fields as JSON objects and lists."""


class PlainJsonLinesItemExporter(_Plain, JsonLinesItemExporter):
    """`-O items.jsonl`: one `Article` per line, nested fields as JSON objects and lists."""


class PlainCsvItemExporter(_Plain, CsvItemExporter):
    """`-O items.csv`: nested fields as JSON text, as `healthcrawl export --format csv`."""

    nested_as_json = True


class PlainXmlItemExporter(_Plain, XmlItemExporter):
    """`-O items.xml`: nested fields as JSON text in the element."""

    nested_as_json = True

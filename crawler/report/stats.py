"""Run statistics and the numbers a run report shows.

`RunStats` is what the crawl runner fills from Scrapy's stats (one `SourceStats` per source
spec or site); `summarise()` turns it, the items written and the duplicate clusters into one
plain dict — the content of `report.json` and the input of the HTML and text renderers.
Nothing here reads settings or files.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

UNKNOWN = "unknown"


@dataclass
class SourceStats:
    """Counters for one source over one run."""

    pages_fetched: int = 0
    new_items: int = 0
    duplicates: int = 0
    not_modified: int = 0
    failures: dict[str, list[str]] = field(default_factory=dict)
    """failure kind (e.g. "http_404", "timeout", "extract_empty") → URLs that failed that way"""
    seconds: float = 0.0

    def add_failure(self, kind: str, url: str) -> None:
        self.failures.setdefault(kind, []).append(url)


@dataclass
class RunStats:
    """Counters for a whole run: one SourceStats per source name."""

    sources: dict[str, SourceStats] = field(default_factory=dict)
    started_at: str | None = None
    """ISO 8601 time the run started"""
    duration_seconds: float | None = None
    """wall-clock duration; when None, the largest per-source `seconds` is used"""

    def source(self, name: str) -> SourceStats:
        """The counters of one source, created on first use."""
        return self.sources.setdefault(name, SourceStats())

    @property
    def duration(self) -> float:
        if self.duration_seconds is not None:
            return self.duration_seconds
        return max((s.seconds for s in self.sources.values()), default=0.0)


def _as_dict(item: Any) -> Mapping[str, Any]:
    if isinstance(item, Mapping):
        return item
    dump = getattr(item, "model_dump", None)
    if callable(dump):
        return dump()
    raise TypeError(f"report item must be a dict or an Article, got {type(item).__name__}")


def _province_name(region: Mapping[str, Any]) -> str:
    """Province of a RegionTag dict: its GB/T 2260 province name (code's first 2 digits)."""
    from crawler.tags.regions import Gazetteer  # local: the report works without tags data too

    code = str(region.get("code") or "")
    province = Gazetteer.load().divisions.get(code[:2] + "0000") if len(code) == 6 else None
    if province is not None:
        return province.name
    return str(region.get("full_name") or region.get("name") or UNKNOWN)


def item_province(item: Mapping[str, Any]) -> str:
    """The province an item is about: its first region, else its publisher's region."""
    regions = item.get("regions") or []
    region = regions[0] if regions else item.get("publisher_region")
    if not region:
        return UNKNOWN
    return _province_name(_as_dict(region))


def _day(published: Any) -> str:
    if not published:
        return UNKNOWN
    text = str(published)[:10]
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return UNKNOWN
    return text


def time_series(per_day: Mapping[str, int]) -> dict[str, Any]:
    """Dated counts as a time series with no gaps: one point per day when the dates span at
    most 62 days, per week (Mondays) up to two years, else per month; `points` are
    [period start (ISO date), count]; `undated` counts items without a date."""
    dated = {dt.date.fromisoformat(day): n for day, n in per_day.items() if day != UNKNOWN}
    undated = int(per_day.get(UNKNOWN, 0))
    if not dated:
        return {"unit": "day", "points": [], "undated": undated}
    first, last = min(dated), max(dated)
    span = (last - first).days
    unit = "day" if span <= 62 else "week" if span <= 730 else "month"

    def bucket(day: dt.date) -> dt.date:
        if unit == "week":
            return day - dt.timedelta(days=day.weekday())
        return day.replace(day=1) if unit == "month" else day

    counts: Counter[dt.date] = Counter()
    for day, n in dated.items():
        counts[bucket(day)] += n
    points, current = [], bucket(first)
    while current <= bucket(last):
        points.append([current.isoformat(), counts.get(current, 0)])
        if unit == "day":
            current += dt.timedelta(days=1)
        elif unit == "week":
            current += dt.timedelta(days=7)
        else:
            current = (current.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return {"unit": unit, "points": points, "undated": undated}


def _cluster_summary(cluster: Mapping[str, Any]) -> dict[str, Any]:
    members = list(cluster.get("members") or [])
    sites = cluster.get("sites")
    if sites is None:
        sites = [str(_as_dict(m).get("site")) for m in members if _as_dict(m).get("site")]
    size = int(cluster.get("size") or len(members) or len(sites))
    label = str(cluster.get("title") or cluster.get("canonical_id") or cluster.get("id") or "?")
    urls = [str(_as_dict(m).get("url")) for m in members if _as_dict(m).get("url")]
    return {"label": label, "size": size, "sites": sorted(set(sites)), "urls": urls}


def summarise(
    stats: RunStats, items: Iterable[Any], clusters: Iterable[Mapping[str, Any]], *, title: str
) -> dict[str, Any]:
    """All numbers of the report as a JSON-ready dict.

    `items` are Article objects or dicts shaped like `Article.model_dump()`; `clusters` are
    dicts with `members` (dicts with `url`, `site`) or `sites`/`size`, and an optional `title`
    or `canonical_id` used as the label.
    """
    per_source: Counter[str] = Counter()
    per_day: Counter[str] = Counter()
    per_region: Counter[str] = Counter()
    n_items = 0
    for raw in items:
        item = _as_dict(raw)
        n_items += 1
        per_source[str(item.get("source_name") or item.get("site") or UNKNOWN)] += 1
        per_day[_day(item.get("published"))] += 1
        per_region[item_province(item)] += 1

    failures: dict[str, list[str]] = {}
    for source in stats.sources.values():
        for kind, urls in source.failures.items():
            failures.setdefault(kind, []).extend(urls)
    failure_rows = sorted(
        ({"kind": k, "count": len(v), "examples": v[:3]} for k, v in failures.items()),
        key=lambda r: (-r["count"], r["kind"]),
    )
    cluster_rows = sorted((_cluster_summary(c) for c in clusters), key=lambda r: (-r["size"], r["label"]))

    src = stats.sources.values()
    totals = {
        "pages_fetched": sum(s.pages_fetched for s in src),
        "items": n_items,
        "new_items": sum(s.new_items for s in src),
        "duplicates": sum(s.duplicates for s in src),
        "not_modified": sum(s.not_modified for s in src),
        "failures": sum(r["count"] for r in failure_rows),
        "duplicate_clusters": len(cluster_rows),
        "duration_seconds": round(stats.duration, 3),
    }
    days = sorted(per_day.items(), key=lambda kv: (kv[0] == UNKNOWN, kv[0]))
    return {
        "title": title,
        "started_at": stats.started_at,
        "totals": totals,
        "sources": {
            name: {
                "pages_fetched": s.pages_fetched,
                "new_items": s.new_items,
                "duplicates": s.duplicates,
                "not_modified": s.not_modified,
                "failures": sum(len(v) for v in s.failures.values()),
                "failure_kinds": {kind: {"count": len(urls), "examples": urls[:3]}
                                  for kind, urls in sorted(s.failures.items())},
                "seconds": round(s.seconds, 3),
            }
            for name, s in sorted(stats.sources.items())
        },
        "charts": {
            "items_per_source": [[k, v] for k, v in sorted(per_source.items(), key=lambda kv: (-kv[1], kv[0]))],
            "items_per_day": [[k, v] for k, v in days],
            "items_over_time": time_series(per_day),
            "items_per_region": [
                [k, v] for k, v in sorted(per_region.items(), key=lambda kv: (kv[0] == UNKNOWN, -kv[1], kv[0]))
            ],
            "duplicate_clusters": cluster_rows,
            "failures_by_kind": failure_rows,
        },
    }

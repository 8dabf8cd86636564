"""Which copy of a repost cluster is the original: a pure function of the cluster's members.

The rule (also in ``docs/dedup.md``):

1. **Named origin.** Reposts often say where they come from — the page's 来源 field
   (``来源：人民网``) or a line such as ``转载自新华网``, ``本文来源于…``, ``以下文章来源于…``.
   `origins_of` turns those names into outlet keys (``crawler/dedup/outlets.toml``: an outlet's
   names and hosts; a name that is itself a domain is its own key). When some member of the
   cluster is *from* an outlet that a member names (its host is one of the outlet's hosts or a
   subdomain of one), only such members can be canonical.
2. **Earliest published.** Among those (or among all members when no named origin is in the
   cluster), the copy published first wins. A copy's publication time is its ``published``
   (without a zone: China time, +08:00; a date without a time: the end of that day, because the
   copy appeared no later than that); a copy with no date counts as published when it was
   fetched — it cannot be newer than that — and so does a date after the fetch (a bogus date).
3. **Ties**: the earliest fetched, then the smallest canonical URL (unique per item).

`rank_key(published, fetched_at, canonical_url)` encodes rules 2 and 3 as one string that sorts
the way the rule does (UTC times, fixed width); it is stored with every member of the index.
`pick_canonical(members)` applies rule 1 and the rank over any collection of `Ranked`
members; it depends on nothing but the members — not on processing order, pool size, worker
count or how the work was split into runs — so both index backends and every reader get the
same answer from the same members.

No settings: the outlet table is data (`outlets.toml`), loaded once.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["Ranked", "rank_key", "origins_of", "outlet_of", "is_from", "pick_canonical", "sort_key"]

CHINA = dt.timezone(dt.timedelta(hours=8))
UNKNOWN_TIME = "9999-12-31T23:59:59"
_OUTLETS_FILE = Path(__file__).with_name("outlets.toml")
_DOMAIN = re.compile(r"(?:https?://)?((?:[a-z0-9-]+\.)+[a-z]{2,})", re.IGNORECASE)
# a named origin inside the text: 转载自X / 转自X / 来源：X / 来源于X / 本文来源：X / 以下文章来源于X / 稿件来源…
_NAMED = re.compile(r"(?:转载自|转载于|转自|来源于|来源自|来源)\s*[：:]?\s*([^\s，,。；;、）)】\]|]{2,60})")
_CUT = re.compile(r"(?:，|,|。|；|;|\s|记者|作者|编辑|责任编辑|通讯员|转载请|原标题|\(|（|【).*$")
_EDGE_CHARS = 300   # reposts state their origin in the first or last characters of the text


@dataclass(frozen=True)
class Ranked:
    """What the rule needs of one member: its index id, host, rank key and named origins (and
    its item id where the caller has it at hand)."""

    id: int
    site: str | None
    rank: str
    cites: str | None = None   # outlet keys the member names as its origin, "|"-joined
    item_id: str | None = None


def _utc(value: dt.datetime) -> str:
    offset = value.utcoffset()
    naive = value.replace(tzinfo=None) - (offset if offset is not None else _CHINA_OFFSET)
    return naive.isoformat(timespec="seconds")


_CHINA_OFFSET = dt.timedelta(hours=8)


def _fetched(fetched_at: str | None) -> str:
    if not fetched_at:
        return UNKNOWN_TIME
    if len(fetched_at) == 25 and fetched_at.endswith("+00:00") and fetched_at[10] == "T":
        return fetched_at[:19]   # the crawl's own format: UTC, whole seconds
    try:
        return _utc(dt.datetime.fromisoformat(fetched_at.replace("Z", "+00:00")))
    except ValueError:
        return UNKNOWN_TIME


def _published(published: str | None) -> str | None:
    if not published:
        return None
    try:
        if "T" in published or " " in published.strip():
            return _utc(dt.datetime.fromisoformat(published.replace("Z", "+00:00")))
        day = dt.date.fromisoformat(published)
    except ValueError:
        return None
    return _utc(dt.datetime.combine(day, dt.time(23, 59, 59), CHINA))


def rank_key(published: str | None, fetched_at: str | None, canonical_url: str) -> str:
    """``"<published, bounded by the fetch>|<fetched>|<canonical URL>"`` in UTC; smaller wins."""
    fetched = _fetched(fetched_at)
    pub = _published(published)
    bound = fetched if pub is None or pub > fetched else pub
    return f"{bound}|{fetched}|{canonical_url}"


@lru_cache(maxsize=1)
def _outlets() -> tuple[tuple[tuple[str, str], ...], dict[str, tuple[str, ...]]]:
    """(aliases longest first as (alias, key)), key -> hosts."""
    table = tomllib.loads(_OUTLETS_FILE.read_text(encoding="utf-8"))
    aliases: list[tuple[str, str]] = []
    hosts: dict[str, tuple[str, ...]] = {}
    for key, entry in table.items():
        for name in entry.get("names", []):
            aliases.append((str(name).lower(), key))
        hosts[key] = tuple(str(h).lower() for h in entry.get("hosts", []))
    aliases.sort(key=lambda a: (-len(a[0]), a[0]))
    return tuple(aliases), hosts


def _bare_host(host: str) -> str:
    host = host.lower().split(":", 1)[0].strip(".")
    return host[4:] if host.startswith("www.") else host


def _host_matches(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


@lru_cache(maxsize=4096)
def outlet_of(site: str | None) -> str | None:
    """The outlet key of a host (from the table), else the host itself without ``www.``."""
    if not site:
        return None
    host = _bare_host(site)
    best: tuple[int, str] | None = None
    for key, domains in _outlets()[1].items():
        for domain in domains:
            if _host_matches(host, domain) and (best is None or len(domain) > best[0]):
                best = (len(domain), key)
    return best[1] if best else host


@lru_cache(maxsize=8192)
def _resolve(name: str) -> str | None:
    """An origin name as an outlet key: a table alias it starts with, or the domain it is."""
    lowered = name.strip().lstrip("据").lower()
    if not lowered:
        return None
    for alias, key in _outlets()[0]:
        if lowered.startswith(alias):
            return key
    found = _DOMAIN.search(lowered)
    if found:
        return outlet_of(found.group(1))
    return None


def origins_of(source: str | None, text: str) -> str | None:
    """Outlet keys an item names as its origin (its 来源 field, and 来源/转载 phrases in the first
    and last 300 characters of the text), sorted and ``|``-joined; None when it names none we
    can resolve."""
    keys: set[str] = set()
    if source:
        key = _resolve(source)
        if key:
            keys.add(key)
    edges = (text, "") if len(text) <= 2 * _EDGE_CHARS else (text[:_EDGE_CHARS], text[-_EDGE_CHARS:])
    for chunk in edges:
        if "来源" not in chunk and "转" not in chunk:
            continue
        for match in _NAMED.finditer(chunk):
            name = _CUT.sub("", match.group(1))
            key = _resolve(name) if name else None
            if key:
                keys.add(key)
    return "|".join(sorted(keys)) if keys else None


def cites_set(members: Iterable[Ranked]) -> frozenset[str]:
    """Every outlet key named by any of `members`."""
    found: set[str] = set()
    for m in members:
        if m.cites:
            found.update(m.cites.split("|"))
    return frozenset(found)


def is_from(site: str | None, cites: frozenset[str]) -> bool:
    """Is a member on `site` from one of the named outlets?"""
    if not cites or not site:
        return False
    key = outlet_of(site)
    if key in cites:
        return True
    host = _bare_host(site)
    return any("." in c and _host_matches(host, c) for c in cites)


def sort_key(member: Ranked, cites: frozenset[str]) -> tuple[int, str]:
    """Smaller is more original: (0 if from a named origin else 1, rank)."""
    return (0 if is_from(member.site, cites) else 1, member.rank)


def pick_canonical(members: Iterable[Ranked]) -> Ranked:
    """The canonical member of a cluster under the module's rule (ValueError when empty)."""
    group = list(members)
    if not group:
        raise ValueError("pick_canonical: a cluster has at least one member")
    cites = cites_set(group)
    return min(group, key=lambda m: sort_key(m, cites))

"""Region tags: place names in an article resolved to GB/T 2260 division codes.

Data (shipped in `crawler/tags/data/`, no network):
- `divisions.tsv` — the GB/T 2260 table (`code, name, level, parent_code`; its header comments
  give the edition date and source; rebuild with `python -m crawler.tags.build_divisions`).
- `places.toml` — aliases for functional zones that are not divisions (新蒲新区 → 遵义市), names
  too weak to trust alone, and words that block short names ("门诊", "中山大学").

Matching rules (`Gazetteer.find_regions`):
- Names searched: provinces (full 贵州省 and short 贵州), cities (full 肇庆市 and short 肇庆, ≥ 2
  characters; 自治州 without its nationality part: 黔东南), counties by **full name only**
  (资兴市, 南明区), and aliases. At each position the longest name wins and is consumed, so
  肇庆市 is never also read as 肇庆, and 长沙市区 is 长沙市 + 区, not 沙市区.
- A short name that overlaps a blocked word does not match (江门 in 镇江门诊, 中山 in 中山大学).
- A name that belongs to one division and is not weak is taken as found. A name shared by several
  divisions (朝阳区, 鼓楼区) or a weak name (城区, 大同, 2-character counties such as 和县) counts
  only when another place found in the same text — or the publisher's region — lies in the same
  city (preferred) or province; if that still leaves more than one candidate, it is dropped.
  Nothing is guessed.
- Output: ordered by first occurrence (title before text), one tag per code, keeping the most
  specific level: a province is dropped when a place inside it was found (贵州省 goes when
  贵州省贵阳市南明区 is there), and so is a city named only as the head of an address
  (成都市 in 成都市简阳市). A city also named on its own stays beside its counties (an article
  about 肇庆 that mentions 封开县 gets 广东省肇庆市 first, then 广东省肇庆市封开县).

There are no settings: the tables are data; `Gazetteer.load()` reads them once per process.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from crawler.items import RegionTag

DATA_DIR = Path(__file__).parent / "data"
Level = Literal["province", "city", "county"]

_PROVINCE_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")
_NATIONALITIES = (
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 "
    "东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 "
    "俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
).split()
_NATIONALITY_TAIL = re.compile(
    "(?:" + "|".join(sorted((n + "族" for n in _NATIONALITIES), key=len, reverse=True))
    + "|" + "|".join(n for n in _NATIONALITIES if len(n) >= 2) + ")$"
)


@dataclass(frozen=True)
class Division:
    """One row of the GB/T 2260 table."""

    code: str
    name: str
    level: Level
    parent_code: str | None


@dataclass(frozen=True)
class _Entry:
    division: Division
    kind: Literal["full", "short", "alias"]
    weak: bool


@dataclass
class _Mention:
    start: int
    text: str
    entries: list[_Entry]
    resolved: Division | None = None


@dataclass
class Gazetteer:
    """The division table plus the name index built from it. Build with `Gazetteer.load()`."""

    edition: str
    divisions: dict[str, Division] = field(repr=False)
    names: dict[str, list[_Entry]] = field(repr=False)
    blocked: tuple[str, ...] = field(repr=False)
    _lengths: tuple[int, ...] = field(repr=False, default=())

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, data_dir: Path | None = None) -> Gazetteer:
        """Read `divisions.tsv` and `places.toml` (cached per directory)."""
        return _load_cached(str(data_dir or DATA_DIR))

    @classmethod
    def _build(cls, data_dir: Path) -> Gazetteer:
        divisions, edition = _read_divisions(data_dir / "divisions.tsv")
        places_path = data_dir / "places.toml"
        try:
            places = tomllib.loads(places_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{places_path}: {exc}") from exc
        weak = set(places.get("weak", {}).get("names", []))
        weak_suffixes = tuple(places.get("weak", {}).get("county_suffixes", []))
        blocked = tuple(places.get("blocked", {}).get("words", []))
        names: dict[str, list[_Entry]] = {}

        def add(name: str, entry: _Entry) -> None:
            bucket = names.setdefault(name, [])
            if all(e.division.code != entry.division.code for e in bucket):
                bucket.append(entry)

        full_names = {d.name for d in divisions.values()}
        for div in divisions.values():
            full_weak = div.name in weak or (
                div.level == "county" and (len(div.name) <= 2 or div.name.endswith(weak_suffixes))
            )
            add(div.name, _Entry(div, "full", full_weak))
            short = _short_name(div)
            if short and short != div.name and short not in full_names:
                add(short, _Entry(div, "short", short in weak))
        for alias, spec in places.get("aliases", {}).items():
            code = str(spec.get("code", ""))
            if code not in divisions:
                raise ValueError(f"{places_path}: alias {alias!r} points to unknown code {code!r}")
            add(alias, _Entry(divisions[code], "alias", False))
        lengths = tuple(sorted({len(n) for n in names}, reverse=True))
        return cls(edition=edition, divisions=divisions, names=names, blocked=blocked, _lengths=lengths)

    # ------------------------------------------------------------------ helpers
    def ancestors(self, code: str) -> list[Division]:
        """Parents of a division, nearest first (county → city → province)."""
        out: list[Division] = []
        div = self.divisions.get(code)
        while div is not None and div.parent_code:
            div = self.divisions.get(div.parent_code)
            if div is not None:
                out.append(div)
        return out

    def tag(self, code: str, matched: str | None = None) -> RegionTag:
        """The RegionTag for a division code, with its full name (湖南省郴州市资兴市)."""
        div = self.divisions[code]
        chain = [div, *self.ancestors(code)]
        full = "".join(d.name for d in reversed(chain))
        return RegionTag(code=div.code, name=div.name, full_name=full, level=div.level, matched=matched)

    def _lookup(self, name: str, level: Level) -> list[Division]:
        return [e.division for e in self.names.get(name.strip(), []) if e.division.level == level]

    # ------------------------------------------------------------------ API
    def resolve_publisher(
        self, province: str | None, city: str | None = None, county: str | None = None
    ) -> RegionTag | None:
        """The most specific division named by a source spec (names full or short).

        Each level is looked up under the one above it when that is given; a county name that
        stays ambiguous (朝阳区 with no city or province) resolves to the level above, or None.
        """
        parent: Division | None = None
        for name, level in ((province, "province"), (city, "city"), (county, "county")):
            if not name:
                continue
            found = self._lookup(name, level)  # type: ignore[arg-type]
            if parent is not None:
                found = [d for d in found if parent.code in {a.code for a in self.ancestors(d.code)}]
            if len(found) == 1:
                parent = found[0]
        return self.tag(parent.code, None) if parent is not None else None

    def find_regions(
        self, title: str, text: str, *, publisher: RegionTag | None = None
    ) -> list[RegionTag]:
        """Places named in the title and text, as RegionTags (see the module docstring)."""
        combined = f"{title}\n{text}"
        mentions = self._scan(combined)
        context: set[str] = set()
        if publisher is not None and publisher.code in self.divisions:
            context |= self._with_ancestors(publisher.code)

        pending: list[_Mention] = []
        for m in mentions:
            provinces = [e for e in m.entries if e.division.level == "province"]
            strong = [e for e in m.entries if not e.weak]
            if provinces:
                m.resolved = provinces[0].division
            elif len(m.entries) == 1 and strong:
                m.resolved = strong[0].division
            else:
                pending.append(m)
                continue
            context |= self._with_ancestors(m.resolved.code)

        changed = True
        while pending and changed:
            changed = False
            for m in list(pending):
                best: list[Division] = []
                best_score = 0
                for e in m.entries:
                    anc = self.ancestors(e.division.code)
                    score = 0
                    for a in anc:
                        if a.code in context:
                            score = max(score, 2 if a.level == "city" else 1)
                    if e.division.code in context and not e.weak:
                        score = max(score, 1)
                    if score > best_score:
                        best, best_score = [e.division], score
                    elif score == best_score and score > 0:
                        best.append(e.division)
                if best_score > 0 and len(best) == 1:
                    m.resolved = best[0]
                    context |= self._with_ancestors(best[0].code)
                    pending.remove(m)
                    changed = True

        return self._collect([m for m in mentions if m.resolved is not None])

    def _collect(self, resolved: list[_Mention]) -> list[RegionTag]:
        """Dedupe by code in order of first occurrence; drop ancestors that add nothing."""
        first: dict[str, tuple[int, str]] = {}
        standalone: set[str] = set()
        for i, m in enumerate(resolved):
            assert m.resolved is not None
            code = m.resolved.code
            first.setdefault(code, (m.start, m.text))
            nxt = resolved[i + 1] if i + 1 < len(resolved) else None
            in_address = (
                nxt is not None
                and nxt.start == m.start + len(m.text)
                and nxt.resolved is not None
                and code in {a.code for a in self.ancestors(nxt.resolved.code)}
            )
            if not in_address:
                standalone.add(code)
        covered: set[str] = set()
        for code in first:
            covered |= {a.code for a in self.ancestors(code)}
        dropped = {
            code
            for code in covered
            if code in first and (self.divisions[code].level == "province" or code not in standalone)
        }
        kept = sorted((pos, code, matched) for code, (pos, matched) in first.items() if code not in dropped)
        return [self.tag(code, matched) for _, code, matched in kept]

    # ------------------------------------------------------------------ scanning
    def _with_ancestors(self, code: str) -> set[str]:
        return {code, *(a.code for a in self.ancestors(code))}

    def _blocked_spans(self, text: str) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        for word in self.blocked:
            if word not in text:   # a C-level test first: most blocked words are not in a text
                continue
            for match in re.finditer(re.escape(word), text):
                spans.append(match.span())
        return spans

    def _prefixes(self) -> tuple[frozenset[str], re.Pattern[str]]:
        """First two characters of every name (all names have two or more), and a pattern
        matching a first character of any name."""
        cached = self.__dict__.get("_prefix_cache")
        if cached is None:
            prefixes = frozenset(name[:2] for name in self.names)
            firsts = "".join(sorted({p[0] for p in prefixes}))
            cached = (prefixes, re.compile(f"[{re.escape(firsts)}]"))
            self.__dict__["_prefix_cache"] = cached
        return cached

    def _scan(self, text: str) -> list[_Mention]:
        """Longest names left to right, never overlapping. Positions come from a C-level search
        for a name's first character (a third of this function's time per character in
        Python, measured on the replay benchmark's articles)."""
        blocked = self._blocked_spans(text)
        mentions: list[_Mention] = []
        n = len(text)
        prefixes, first_chars = self._prefixes()
        after = 0                      # the end of the last mention: no overlap
        for found in first_chars.finditer(text):
            i = found.start()
            if i < after or text[i : i + 2] not in prefixes:  # cheap filter: no name starts here
                continue
            for length in self._lengths:
                if i + length > n:
                    continue
                candidate = text[i : i + length]
                entries = self.names.get(candidate)
                if not entries:
                    continue
                if all(e.kind == "short" for e in entries) and any(
                    a < i + length and i < b for a, b in blocked
                ):
                    continue
                mentions.append(_Mention(start=i, text=candidate, entries=list(entries)))
                after = i + length
                break
        return mentions


def _short_name(div: Division) -> str | None:
    name = div.name
    if div.level == "province":
        for suffix in _PROVINCE_SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                return name[: -len(suffix)]
        return None
    if div.level == "city":
        if name.endswith("自治州"):
            stem = name[: -len("自治州")]
            while len(stem) > 2:
                stripped = _NATIONALITY_TAIL.sub("", stem)
                if stripped == stem or len(stripped) < 2:
                    break
                stem = stripped
            return stem if stem != name[: -len("自治州")] else None
        for suffix in ("地区", "市", "盟"):
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                return name[: -len(suffix)]
    return None


def _read_divisions(path: Path) -> tuple[dict[str, Division], str]:
    divisions: dict[str, Division] = {}
    edition = ""
    header_seen = False
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            line = line.rstrip("\n")
            if line.startswith("#"):
                if line.startswith("# edition:"):
                    edition = line.split(":", 1)[1].strip()
                continue
            if not header_seen:
                if line.split("\t") != ["code", "name", "level", "parent_code"]:
                    raise ValueError(f"{path}:{lineno}: expected header 'code\\tname\\tlevel\\tparent_code'")
                header_seen = True
                continue
            parts = line.split("\t")
            if len(parts) != 4 or not (len(parts[0]) == 6 and parts[0].isdigit()):
                raise ValueError(f"{path}:{lineno}: bad division row {line!r}")
            code, name, level, parent = parts
            if level not in ("province", "city", "county"):
                raise ValueError(f"{path}:{lineno}: bad level {level!r}")
            divisions[code] = Division(code, name, level, parent or None)  # type: ignore[arg-type]
    for div in divisions.values():
        if div.parent_code and div.parent_code not in divisions:
            raise ValueError(f"{path}: {div.code} {div.name} has unknown parent {div.parent_code}")
    if not edition:
        raise ValueError(f"{path}: missing '# edition: YYYY-MM-DD' header comment")
    return divisions, edition


@functools.lru_cache(maxsize=4)
def _load_cached(data_dir: str) -> Gazetteer:
    return Gazetteer._build(Path(data_dir))


def find_regions(title: str, text: str, *, publisher: RegionTag | None = None) -> list[RegionTag]:
    """Shortcut: `Gazetteer.load().find_regions(...)`."""
    return Gazetteer.load().find_regions(title, text, publisher=publisher)


__all__ = ["Division", "Gazetteer", "find_regions"]

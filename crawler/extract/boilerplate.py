"""Remove boilerplate lines from extracted text using the pattern lexicon in lexicon.toml.

The lexicon is data: each pattern has a category (copyright, disclaimer, icp, page-tools,
prev-next, share, editor-line, related, contact-ad, qr-code, photo-credit, caption,
end-mark, breadcrumb, decoration, nav), a regex matched against one stripped line, a scope
(`line` drops the line; `tail` drops it and everything after it when it sits in the last
`tail_window` share of the lines) and an optional `max_chars`. `Lexicon.load()` reads the
packaged file; `Extractor.lexicon_path` points at another one. Lines that carry metadata
(editor, photo credit) are removed here only after metadata.py has read them.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["Pattern", "Lexicon", "DEFAULT_LEXICON"]

DEFAULT_LEXICON = Path(__file__).with_name("lexicon.toml")


@dataclass(frozen=True)
class Pattern:
    """One boilerplate pattern from the lexicon: it matches a stripped line of at most
    `max_chars` characters (any length when None) that `regex` finds something in."""

    category: str
    regex: re.Pattern[str]
    scope: str
    max_chars: int | None = None


@dataclass(frozen=True)
class Lexicon:
    """All boilerplate patterns, loaded once."""

    patterns: tuple[Pattern, ...]
    tail_window: float = 0.4

    @staticmethod
    def load(path: Path | str | None = None) -> "Lexicon":
        return _load(str(path or DEFAULT_LEXICON))

    def without(self, categories: frozenset[str]) -> "Lexicon":
        """The same lexicon minus the patterns of `categories`."""
        return Lexicon(tuple(p for p in self.patterns if p.category not in categories), self.tail_window)

    def _first_hits(self, line: str, spared: frozenset[str]) -> tuple[Pattern | None, Pattern | None]:
        """The first pattern matching `line`, and the first whose category is not `spared`.
        (Searching pattern by pattern is faster than one alternation of all of them: each
        pattern keeps the literal-prefix scan the regex engine gives it.)"""
        stripped = line.strip()
        first = None
        if stripped:
            size = len(stripped)
            for pattern in self.patterns:
                if (pattern.max_chars is None or size <= pattern.max_chars) and pattern.regex.search(stripped):
                    if first is None:
                        first = pattern
                    if pattern.category not in spared:
                        return first, pattern
        return first, None

    def category_of(self, line: str) -> tuple[str, str] | None:
        """(category, scope) of the first pattern matching `line`, or None."""
        hit, _ = self._first_hits(line, frozenset())
        return (hit.category, hit.scope) if hit is not None else None

    def _apply(self, lines: list[str], hits: list[Pattern | None]) -> tuple[list[str], list[str]]:
        kept: list[str] = []
        fired: set[str] = set()
        tail_from = int(len(lines) * (1 - self.tail_window))
        for index, (line, hit) in enumerate(zip(lines, hits)):
            if hit is None:
                kept.append(line)
                continue
            fired.add(hit.category)
            if hit.scope == "tail" and index >= tail_from and index > 0:
                break
        return kept, sorted(fired)

    def clean(self, lines: list[str]) -> tuple[list[str], list[str]]:
        """Lines without boilerplate, and the sorted categories that fired."""
        return self._apply(lines, [self._first_hits(line, frozenset())[0] for line in lines])

    def clean_sparing(self, lines: list[str], spared: frozenset[str]
                      ) -> tuple[tuple[list[str], list[str]], tuple[list[str], list[str]]]:
        """`clean(lines)` and `without(spared).clean(lines)` in one pass over the patterns."""
        pairs = [self._first_hits(line, spared) for line in lines]
        return (self._apply(lines, [first for first, _ in pairs]),
                self._apply(lines, [other for _, other in pairs]))


@lru_cache(maxsize=8)
def _load(path: str) -> Lexicon:
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{file}: cannot read boilerplate lexicon: {exc}") from exc
    patterns = []
    for index, entry in enumerate(data.get("pattern", [])):
        where = f"{file}: pattern #{index + 1}"
        for key in ("category", "regex", "scope"):
            if key not in entry:
                raise ValueError(f"{where}: missing field {key!r}")
        if entry["scope"] not in ("line", "tail"):
            raise ValueError(f"{where}: scope must be 'line' or 'tail', not {entry['scope']!r}")
        try:
            regex = re.compile(entry["regex"], re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"{where}: bad regex {entry['regex']!r}: {exc}") from exc
        patterns.append(Pattern(entry["category"], regex, entry["scope"], entry.get("max_chars")))
    return Lexicon(tuple(patterns), float(data.get("tail_window", 0.4)))

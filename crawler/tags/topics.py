"""Topic tags: which health-policy topics an article is about, and how relevant it is.

The taxonomy is data: `crawler/tags/data/topics.toml` (one `[[topic]]` per label with keyword
weights and a threshold; `[general]` holds health words that name no topic).

Scoring, for Simplified Chinese title and text:

- hits(k)  = occurrences of keyword k in the text + 2 × occurrences in the title, capped at 3
  (so one keyword repeated in a long article cannot carry a topic alone);
- score(t) = Σ weight(k) · hits(k) over the topic's keywords;
- topics   = the topics with score(t) ≥ threshold(t) (default 4), ordered by score, highest
  first (ties by taxonomy order);
- evidence = Σ score(t) over all topics + Σ weight(k) · hits(k) over the `[general]` words;
- relevance = 1 − exp(−evidence / 12), rounded to 3 places: 0 for text with no health word,
  about 0.3 for one strong keyword, above 0.9 for a health-reform report.

No settings; `load_taxonomy()` reads the file once per process.
"""

from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

TOPICS_PATH = Path(__file__).parent / "data" / "topics.toml"
HIT_CAP = 3
TITLE_FACTOR = 2
RELEVANCE_SCALE = 12.0
DEFAULT_THRESHOLD = 4.0


@dataclass(frozen=True)
class Topic:
    """One label of the taxonomy."""

    name: str
    description: str
    keywords: tuple[tuple[str, float], ...]
    threshold: float = DEFAULT_THRESHOLD

    def score(self, title: str, text: str) -> float:
        return _score(self.keywords, title, text)


@dataclass(frozen=True)
class Taxonomy:
    topics: tuple[Topic, ...]
    general: tuple[tuple[str, float], ...]


def _score(keywords: tuple[tuple[str, float], ...], title: str, text: str) -> float:
    total = 0.0
    for word, weight in keywords:
        hits = text.count(word) + TITLE_FACTOR * title.count(word)
        total += weight * min(hits, HIT_CAP)
    return total


def _keywords(raw: object, where: str) -> tuple[tuple[str, float], ...]:
    if not isinstance(raw, dict) or not raw:
        raise ValueError(f"{where}: 'keywords' must be a non-empty table of keyword = weight")
    out = []
    for word, weight in raw.items():
        if not isinstance(weight, (int, float)) or weight <= 0:
            raise ValueError(f"{where}: keyword {word!r} needs a positive weight, got {weight!r}")
        out.append((str(word), float(weight)))
    return tuple(out)


@functools.lru_cache(maxsize=4)
def load_taxonomy(path: Path = TOPICS_PATH) -> Taxonomy:
    """Read and validate the taxonomy file (cached)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: {exc}") from exc
    topics = []
    seen: set[str] = set()
    for i, raw in enumerate(data.get("topic", [])):
        where = f"{path}: topic #{i + 1}"
        name = raw.get("name")
        if not name or name in seen:
            raise ValueError(f"{where}: missing or duplicate name {name!r}")
        seen.add(name)
        topics.append(
            Topic(
                name=name,
                description=str(raw.get("description", "")),
                keywords=_keywords(raw.get("keywords"), f"{where} ({name})"),
                threshold=float(raw.get("threshold", DEFAULT_THRESHOLD)),
            )
        )
    if not topics:
        raise ValueError(f"{path}: no [[topic]] entries")
    general = _keywords(data.get("general", {}).get("keywords", {"健康": 0.5}), f"{path}: [general]")
    return Taxonomy(topics=tuple(topics), general=general)


def tag_topics(title: str, text: str, *, taxonomy: Taxonomy | None = None) -> tuple[list[str], float]:
    """Return (topics, relevance in [0, 1]) for an article; see the module docstring."""
    tax = taxonomy or load_taxonomy()
    scored: list[tuple[float, int, str]] = []
    evidence = _score(tax.general, title, text)
    for order, topic in enumerate(tax.topics):
        score = topic.score(title, text)
        evidence += score
        if score >= topic.threshold:
            scored.append((-score, order, topic.name))
    scored.sort()
    relevance = round(1.0 - math.exp(-evidence / RELEVANCE_SCALE), 3)
    return [name for _, _, name in scored], relevance

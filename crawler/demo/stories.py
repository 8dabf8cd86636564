"""The demo site's stories: load ``stories.toml`` and answer which article lives where, when.

A story is one article of the bundled demo site (see ``crawler/demo/README.md``). This module
only reads the data file and computes each story's URL path and the generations it exists in;
rendering lives in ``build_site`` and serving in ``server``. No settings: the data file sits
next to this module.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path

from crawler.exceptions import StoryError

STORIES_FILE = Path(__file__).with_name("stories.toml")
SECTIONS = ("chinanews", "county", "wechat", "portal", "blog", "repost")
BEIJING = timezone(timedelta(hours=8))
MAX_GENERATION = 3
# When each generation's files changed: the server's Last-Modified, the sitemaps' lastmod of edits.
GENERATION_DATES = {
    1: datetime(2025, 6, 1, tzinfo=timezone.utc),
    2: datetime(2025, 6, 10, tzinfo=timezone.utc),
    3: datetime(2025, 6, 20, tzinfo=timezone.utc),
}


@dataclass(frozen=True)
class Story:
    id: str
    section: str
    slug: str
    published: datetime  # aware, Beijing time
    title: str
    body: str = ""
    added: int = 1
    removed: int = 0
    edit_gen: int = 0
    edit_body: str = ""
    raw: bool = False
    repost_of: str = ""
    seed: str = ""
    editor: str = ""
    reporters: str = ""
    source: str = ""
    account: str = ""
    author: str = ""
    categories: tuple[str, ...] = field(default_factory=tuple)
    thumbnail: str = ""

    @property
    def path(self) -> str:
        """URL path of the article page, in its section's URL scheme."""
        d = self.published
        match self.section:
            case "chinanews":
                return f"/chinanews/kjws/{d:%Y}/{d:%m-%d}/{self.slug}.html"
            case "county":
                return f"/county/xwzx/{d:%Y%m}/t{d:%Y%m%d}_{self.slug}.html"
            case "wechat":
                return f"/wechat/s/{self.slug}.html"
            case "portal":
                return f"/portal/jiankang/{d:%Y}/{d:%m%d}/{self.slug}.html"
            case "blog":
                return f"/blog/{d:%Y}/{d:%m}/{d:%d}/{self.slug}/"
            case "repost":
                return f"/repost/post/{self.slug}.html"
        raise StoryError(f"{STORIES_FILE}: story {self.id!r}: unknown section {self.section!r}")

    @property
    def file_path(self) -> str:
        """Path of the file under site/ that holds the page (``…/`` → ``…/index.html``)."""
        p = self.path
        return p + "index.html" if p.endswith("/") else p

    def exists_in(self, generation: int) -> bool:
        return self.added <= generation and not (self.removed and self.removed <= generation)

    def body_in(self, generation: int) -> str:
        if self.edit_gen and generation >= self.edit_gen:
            return self.edit_body
        return self.body


def _parse_date(story_id: str, value: object) -> datetime:
    if not isinstance(value, str):
        raise StoryError(f"{STORIES_FILE}: story {story_id!r}: field 'date' must be a string")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=BEIJING)
        except ValueError:
            continue
    raise StoryError(
        f"{STORIES_FILE}: story {story_id!r}: field 'date' is {value!r}, "
        "expected 'YYYY-MM-DD HH:MM[:SS]'"
    )


@cache
def load_stories(path: Path = STORIES_FILE) -> tuple[Story, ...]:
    """All stories in file order; raises StoryError naming the story and field on bad data."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    stories: list[Story] = []
    known = set(Story.__dataclass_fields__) - {"published"} | {"date"}
    for n, entry in enumerate(data.get("story", [])):
        story_id = entry.get("id", f"#{n}")
        unknown = set(entry) - known
        if unknown:
            raise StoryError(f"{path}: story {story_id!r}: unknown field(s) {sorted(unknown)}")
        for required in ("id", "section", "slug", "date", "title"):
            if required not in entry:
                raise StoryError(f"{path}: story {story_id!r}: missing field {required!r}")
        if entry["section"] not in SECTIONS:
            raise StoryError(f"{path}: story {story_id!r}: unknown section {entry['section']!r}")
        fields = {k: v for k, v in entry.items() if k != "date"}
        fields["categories"] = tuple(entry.get("categories", ()))
        stories.append(Story(published=_parse_date(story_id, entry["date"]), **fields))
    ids = [s.id for s in stories]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise StoryError(f"{path}: duplicate story id(s) {sorted(dupes)}")
    by_id = {s.id: s for s in stories}
    for s in stories:
        if s.repost_of and s.repost_of not in by_id:
            raise StoryError(f"{path}: story {s.id!r}: repost_of {s.repost_of!r} is not a story")
        if not s.repost_of and not s.body.strip():
            raise StoryError(f"{path}: story {s.id!r}: empty body")
        if not 1 <= s.added <= MAX_GENERATION:
            raise StoryError(f"{path}: story {s.id!r}: added={s.added} outside 1..{MAX_GENERATION}")
    return tuple(stories)


def story_by_id(story_id: str) -> Story:
    for s in load_stories():
        if s.id == story_id:
            return s
    raise KeyError(story_id)


def stories_in(generation: int, section: str | None = None) -> list[Story]:
    """Stories present in a generation, newest first (optionally one section only)."""
    if not 1 <= generation <= MAX_GENERATION:
        raise ValueError(f"generation {generation} outside 1..{MAX_GENERATION}")
    chosen = [
        s for s in load_stories()
        if s.exists_in(generation) and (section is None or s.section == section)
    ]
    return sorted(chosen, key=lambda s: s.published, reverse=True)

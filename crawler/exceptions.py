"""healthcrawl's exceptions, in one module (as Scrapy keeps its own in `scrapy.exceptions`).

Each one carries a message that is one line naming the file, URL, field or value at fault, so
that the command line can print it as it is. `archive/` has its own (`archive.reader`), since
it imports nothing from here.

- `NotAnArticle` — the page holds no article; `reason` is a stable key for stats and reports.
- `BadUrl` — a URL that cannot identify a page (`healthcrawl extract --url`).
- `SpecError` — a source spec is invalid (file, field, value); exit 2.
- `FeedError` — a sitemap or feed cannot be read.
- `StoryError` — a demo story is malformed.
- `StoreError` — writing the items file failed (names the file).
- `LockHeld` — another run holds the output folder (names the process).
- `RedisUnavailable` — Redis does not answer (names the URL, without password).
- `UsageError` — bad command-line arguments; exit 2.
"""

from __future__ import annotations

__all__ = ["BadUrl", "FeedError", "LockHeld", "NotAnArticle", "RedisUnavailable", "SpecError", "StoreError",
           "StoryError", "UsageError"]


class NotAnArticle(Exception):
    """The page holds no article. `reason` is a short stable key used in stats and reports
    (e.g. "empty-body", "no-main-text", "not-html", "too-short"); the message says more."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason


class BadUrl(ValueError):
    """A `--url` that cannot identify a page; the message is one line naming it."""


class SpecError(ValueError):
    """A source spec is invalid; the message names file, field and value."""


class FeedError(ValueError):
    """A sitemap or feed cannot be parsed; the message names the URL."""


class StoryError(ValueError):
    """A story in stories.toml is malformed; the message names the story and the field."""


class StoreError(OSError):
    """Writing the items file failed; the message names the file."""


class LockHeld(RuntimeError):
    """Another run holds the output folder; the message says which process."""


class RedisUnavailable(RuntimeError):
    """Redis does not answer; the message is one line naming the URL."""


class UsageError(Exception):
    """Bad arguments: printed as one line, exit code 2."""

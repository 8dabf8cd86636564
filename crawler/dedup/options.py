"""The dedup options in one object, `DedupSettings` (Scrapy's ``DEDUP_*``; see
`crawler.dedup.deduplicator` for what each one does). Its defaults are `crawler/settings.py`'s."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import crawler.settings as defaults
from crawler.dedup.minhash import lsh_params

__all__ = ["DedupSettings"]


@dataclass(frozen=True)
class DedupSettings:
    """All dedup options in one object (see module docstring for what each one does)."""

    shingle_size: int = defaults.DEDUP_SHINGLE_SIZE
    num_perm: int = defaults.DEDUP_NUM_PERM
    threshold: float = defaults.DEDUP_THRESHOLD
    bands: int | None = defaults.DEDUP_BANDS
    rows: int | None = defaults.DEDUP_ROWS
    drop_reposts: bool = defaults.DEDUP_DROP_REPOSTS
    min_text_chars: int = defaults.DEDUP_MIN_TEXT_CHARS
    commit_every: int = defaults.DEDUP_COMMIT_EVERY

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"DEDUP_THRESHOLD must be in (0, 1), got {self.threshold}")
        if self.shingle_size < 1 or self.num_perm < 1 or self.commit_every < 1:
            raise ValueError(
                "DEDUP_SHINGLE_SIZE, DEDUP_NUM_PERM and DEDUP_COMMIT_EVERY must be >= 1, got "
                f"{self.shingle_size}, {self.num_perm}, {self.commit_every}"
            )
        if (self.bands is None) != (self.rows is None):
            raise ValueError("set both DEDUP_BANDS and DEDUP_ROWS, or neither")
        if self.bands is None:
            bands, rows = lsh_params(self.threshold, self.num_perm)
            object.__setattr__(self, "bands", bands)
            object.__setattr__(self, "rows", rows)
        assert self.bands is not None and self.rows is not None
        if self.bands < 1 or self.rows < 1 or self.bands * self.rows > self.num_perm:
            raise ValueError(
                f"DEDUP_BANDS x DEDUP_ROWS = {self.bands} x {self.rows} must be >= 1 and fit in "
                f"DEDUP_NUM_PERM = {self.num_perm}"
            )

    @classmethod
    def from_scrapy(cls, settings: Any) -> DedupSettings:
        """Build from Scrapy settings (``DEDUP_*``, defaults in `crawler/settings.py`)."""
        bands = settings.get("DEDUP_BANDS")
        rows = settings.get("DEDUP_ROWS")
        return cls(
            shingle_size=settings.getint("DEDUP_SHINGLE_SIZE"),
            num_perm=settings.getint("DEDUP_NUM_PERM"),
            threshold=settings.getfloat("DEDUP_THRESHOLD"),
            bands=None if bands is None else int(bands),
            rows=None if rows is None else int(rows),
            drop_reposts=settings.getbool("DEDUP_DROP_REPOSTS"),
            min_text_chars=settings.getint("DEDUP_MIN_TEXT_CHARS"),
            commit_every=settings.getint("DEDUP_COMMIT_EVERY"),
        )

    def index_params(self) -> dict[str, int]:
        """The parameters stored signatures depend on (pinned in the index file)."""
        assert self.bands is not None and self.rows is not None
        return {"shingle_size": self.shingle_size, "num_perm": self.num_perm,
                "bands": self.bands, "rows": self.rows}

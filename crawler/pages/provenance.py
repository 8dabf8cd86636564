"""Versions of what produced an item, and the extraction summary kept in WARC metadata
records (extractor and OpenCC versions, charset, quality flags)."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from crawler.items import EXTRACTOR_VERSION, Article


@lru_cache(maxsize=None)
def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def extraction_summary(result: Article | tuple[str, str], *, source_name: str | None = None,
                       spec: Any = None) -> dict[str, Any]:
    """What a WARC metadata record says about one processed capture. The source's name,
    region and relevance threshold let replay rebuild the same item without the spec files."""
    base: dict[str, Any] = {
        "source_name": source_name,
        "source_region": spec.region.model_dump() if spec is not None else None,
        "min_relevance": spec.min_relevance if spec is not None else None,
        "extractor": EXTRACTOR_VERSION,
        "trafilatura": package_version("trafilatura"),
        "opencc": package_version("opencc"),
        "healthcrawl": package_version("healthcrawl"),
    }
    if isinstance(result, Article):
        base.update(
            status="article", item_id=result.id, charset=result.charset, script=result.script,
            opencc_config=result.opencc_config, quality=result.quality, content_hash=result.content_hash,
        )
    else:
        base.update(status="rejected", reason=result[0], message=result[1][:500])
    return base

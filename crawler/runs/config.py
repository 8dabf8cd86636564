"""The settings of a run: `crawler.settings` (every default), then the command's overrides.

`build_settings(out_dir, overrides)` is what every command that processes pages uses —
`crawl`, `harvest`, `demo`, `replay`, `extract` — so `-s NAME=VALUE` means the same to all of
them. The log level is WARNING unless asked (`-L INFO`, setting `LOG_LEVEL`): on a terminal the
live view (`crawler.extensions.progress`) and the report tell the rest.
The Redis switch is not here: `REDIS_URL` turns on the `crawler.distributed.addon.RedisAddon`
listed in `ADDONS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy.settings import Settings


def build_settings(out_dir: Path, overrides: dict[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("HEALTHCRAWL_OUT", str(out_dir), priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings

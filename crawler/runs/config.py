"""The settings of a run: `crawler.settings` (every default), the operator's config file, then
the command's overrides.

`build_settings(out_dir, overrides)` is what every command that processes pages uses —
`crawl`, `harvest`, `demo`, `replay`, `extract` — so `-s NAME=VALUE` means the same to all of
them. The log level is WARNING unless asked (`-L INFO`, setting `LOG_LEVEL`): on a terminal the
live view (`crawler.extensions.progress`) and the report tell the rest.
The Redis switch is not here: `REDIS_URL` turns on the `crawler.distributed.addon.RedisAddon`
listed in `ADDONS`.

The config file (`healthcrawl.toml`: given with `--config`, else found in the output folder)
holds what an operator would otherwise repeat on every cron line::

    contact = "mailto:ops@example.org"     # HEALTHCRAWL_CONTACT, named in the User-Agent
    sources_dir = "specs"                  # SOURCES_DIR (relative to the file's folder)
    out = "/srv/healthcrawl/output"        # the output folder when --out is not given
    [politeness]                           # global caps on every source spec
    download_delay = 1.0                   # DOWNLOAD_DELAY: at least this many seconds per host
    concurrency = 2                        # CONCURRENT_REQUESTS_PER_DOMAIN: at most this many
    [settings]                             # any other setting, as with -s NAME=VALUE
    DOWNLOAD_TIMEOUT = 20

`-s` on the command line wins over the file. A `DOWNLOAD_DELAY` or
`CONCURRENT_REQUESTS_PER_DOMAIN` set by the file or by `-s` bounds every spec's `[politeness]`
(a spec may be stricter, never looser: `spiders.base.SourceSpider.apply_politeness`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.settings import Settings

from crawler.exceptions import UsageError
from crawler.settings import project_settings

CONFIG_NAME = "healthcrawl.toml"
TOP_KEYS = {"contact": "HEALTHCRAWL_CONTACT", "sources_dir": "SOURCES_DIR", "out": None}
POLITENESS_KEYS = {"download_delay": ("DOWNLOAD_DELAY", (int, float)),
                   "concurrency": ("CONCURRENT_REQUESTS_PER_DOMAIN", (int,))}


@dataclass
class RunConfig:
    """What a config file says: the settings it sets, and the output folder it names."""

    path: Path | None = None
    out: Path | None = None
    settings: dict[str, Any] = field(default_factory=dict)


def placeholder_contact() -> str:
    """The contact `crawler.settings` ships with (a warning is printed while it is in use)."""
    from crawler import settings

    return str(settings.HEALTHCRAWL_CONTACT)


def load_config(path: Path) -> RunConfig:
    """Read and check one config file; UsageError names the file and the key at fault."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"healthcrawl: cannot read config {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"healthcrawl: {path}: not valid TOML: {exc}") from None
    config = RunConfig(path=path)
    base = path.parent
    for key, value in raw.items():
        if key in TOP_KEYS:
            if not isinstance(value, str) or not value.strip():
                raise UsageError(f"healthcrawl: {path}: '{key}' must be a non-empty string, got {value!r}")
            if key == "out":
                config.out = base / Path(value).expanduser()
            elif key == "sources_dir":
                config.settings["SOURCES_DIR"] = str(base / Path(value).expanduser())
            else:
                config.settings["HEALTHCRAWL_CONTACT"] = value.strip()
        elif key == "politeness" and isinstance(value, dict):
            for name, number in value.items():
                if name not in POLITENESS_KEYS:
                    raise UsageError(f"healthcrawl: {path}: unknown key 'politeness.{name}' "
                                     f"(known: {', '.join(POLITENESS_KEYS)})")
                setting, types = POLITENESS_KEYS[name]
                if isinstance(number, bool) or not isinstance(number, types) or number < 0:
                    raise UsageError(f"healthcrawl: {path}: 'politeness.{name}' must be a non-negative "
                                     f"{'integer' if types == (int,) else 'number'}, got {number!r}")
                config.settings[setting] = number
        elif key == "settings" and isinstance(value, dict):
            config.settings.update({str(k): v for k, v in value.items()})
        else:
            raise UsageError(f"healthcrawl: {path}: unknown key '{key}' (known: contact, sources_dir, out, "
                             f"[politeness], [settings])")
    return config


def find_config(given: Path | None, out: Path | None) -> RunConfig:
    """The config of a run: `given` (`--config`, must exist), else `OUT/healthcrawl.toml` when
    the output folder has one, else none."""
    if given is not None:
        if not given.is_file():
            raise UsageError(f"healthcrawl: --config {given}: no such file")
        return load_config(given)
    if out is not None and (out / CONFIG_NAME).is_file():
        return load_config(out / CONFIG_NAME)
    return RunConfig()


def build_settings(out_dir: Path, overrides: dict[str, Any] | None = None) -> Settings:
    settings = project_settings({"HEALTHCRAWL_OUT": str(out_dir)})
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings

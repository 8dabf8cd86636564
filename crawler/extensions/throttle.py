"""AutoThrottle that never goes below a source's own delay.

Scrapy's AutoThrottle lowers a download slot's delay towards the server's latency, down to the
global `DOWNLOAD_DELAY`; a source spec that asks for a longer delay (`[politeness]
download_delay`, applied per slot by `spiders.base.SourceSpider.apply_politeness`) would be
loosened after the first fast responses. `SpecAutoThrottle` keeps every slot's delay at or
above the delay configured for that slot, so a spec may be stricter than the operator's caps,
never looser. Settings: Scrapy's `AUTOTHROTTLE_*`; it replaces
`scrapy.extensions.throttle.AutoThrottle` in `EXTENSIONS`.
"""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response


class SpecAutoThrottle(AutoThrottle):
    def _response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        super()._response_downloaded(response, request, spider)
        key, slot = self._get_slot(request, spider)
        if slot is None:
            return
        slots = getattr(getattr(self.crawler, "engine", None), "downloader", None)
        floor = float(((getattr(slots, "per_slot_settings", None) or {}).get(key) or {}).get("delay", 0.0) or 0.0)
        if slot.delay < floor:
            slot.delay = floor

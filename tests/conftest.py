"""Fixtures shared by the test modules (helpers live in support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support.servers import StaticSite


@pytest.fixture
def demo_server() -> Iterator[Any]:
    from crawler.demo.server import DemoServer

    with DemoServer(port=0) as server:
        yield server


@pytest.fixture
def static_sites() -> Iterator[Any]:
    made: list[StaticSite] = []

    def make(host: str, pages: dict[str, tuple[str, bytes]]) -> StaticSite:
        site = StaticSite(host, pages)
        made.append(site)
        return site

    yield make
    for site in made:
        site.close()

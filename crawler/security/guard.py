"""Which addresses the crawler may connect to.

By default the crawler refuses private, loopback, link-local, multicast, reserved and
unspecified addresses (RFC 1918, 127/8, ::1, 169.254/16, fc00::/7, …). `is_forbidden_ip` is
the one rule; it is applied twice: to IP literals in URLs (`PrivateAddressMiddleware`) and to
the address every host name resolves to (`GuardedResolver`, installed as `DNS_RESOLVER`), so
a public name that resolves to 127.0.0.1 does not get around it.
Settings: `GUARD_ALLOW_PRIVATE` (CLI `--allow-private`; the demo and tests use it).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from scrapy.crawler import Crawler
from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.error import DNSLookupError


def is_forbidden_ip(address: str) -> bool:
    """True for addresses a crawler of the open web must not reach by default."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
                or ip.is_reserved or ip.is_unspecified)


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver that fails the lookup when a name resolves to a forbidden
    address (unless `GUARD_ALLOW_PRIVATE`)."""

    allow_private = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> "GuardedResolver":
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow_private = crawler.settings.getbool("GUARD_ALLOW_PRIVATE")
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> defer.Deferred[str]:
        if not self.allow_private and name.lower().rstrip(".") in ("localhost", "localhost.localdomain"):
            return defer.fail(DNSLookupError(f"{name}: refusing to connect to a loopback host name "
                                             "(GUARD_ALLOW_PRIVATE / --allow-private to allow)"))
        d = super().getHostByName(name, timeout)

        def check(address: str) -> str:
            if not self.allow_private and is_forbidden_ip(address):
                raise DNSLookupError(f"{name} resolves to private address {address}: refused "
                                     "(GUARD_ALLOW_PRIVATE / --allow-private to allow)")
            return address

        d.addCallback(check)
        return d

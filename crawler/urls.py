"""URL canonicalisation: the one function used by dedup, scope checks and the index.

`canonicalize_url` turns every spelling of an address into one string, so that the seen-store,
the item id and the CDXJ index agree:

- scheme and host lower-cased, a trailing dot on the host dropped, IDN hosts in punycode;
- the default port (80 for http, 443 for https) dropped, any other port kept;
- user info (``user:pass@``) and the fragment dropped;
- tracking parameters dropped (``utm_*`` and the names in `TRACKING_PARAMS`, compared
  case-insensitively); the remaining query is sorted, blank values kept;
- percent-escapes normalised by w3lib: upper-case hex, unreserved characters decoded, raw
  non-ASCII path characters encoded as UTF-8. Query values are never decoded and re-encoded
  here, so a GBK-escaped query (``?kw=%D2%BD``, common on older Chinese CMSs) survives intact;
- dot segments (``/a/../b``) resolved, an empty path becomes ``/``.

The result is idempotent: ``canonicalize_url(canonicalize_url(u)) == canonicalize_url(u)``.
`article_id` is the stable item id derived from the canonical URL; `site_of` the host.
"""

from __future__ import annotations

import hashlib
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as _w3lib_canonicalize

__all__ = ["TRACKING_PARAMS", "canonicalize_url", "article_id", "site_of"]

TRACKING_PARAMS = frozenset(
    {
        # generic share / ad-click tracking
        "spm", "from", "scene", "srcid", "share_token", "isappinstalled", "fbclid", "gclid",
        "from_source", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "_hsenc", "_hsmi",
        # WeChat article links (mp.weixin.qq.com/s?__biz=…&mid=…&idx=…&sn=… identify the article)
        "chksm", "sharer_sharetime", "sharer_shareid", "exportkey", "pass_ticket", "wx_header",
        "clicktime", "enterid", "sessionid", "ascene", "subscene", "devicetype", "nettype",
        "abtest_cookie",
    }
)

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(raw_pair: str) -> bool:
    key = unquote_plus(raw_pair.split("=", 1)[0]).strip().lower()
    return key.startswith("utm_") or key in TRACKING_PARAMS


def canonicalize_url(url: str) -> str:
    """Return the canonical form of `url` (idempotent).

    Raises ValueError naming the URL when it is not absolute (no scheme or no host) or its
    port is not a number.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if not scheme or not host:
        raise ValueError(f"cannot canonicalise {url!r}: not an absolute URL (scheme and host needed)")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"cannot canonicalise {url!r}: bad port ({exc})") from exc
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        host = f"{host}:{port}"
    query = "&".join(pair for pair in parts.query.split("&") if pair and not _is_tracking(pair))
    rebuilt = urlunsplit((scheme, host, parts.path or "/", query, ""))
    return _w3lib_canonicalize(rebuilt, keep_fragments=False)


def article_id(canonical_url: str) -> str:
    """Stable id of an article: first 16 hex digits of sha1(canonical URL)."""
    return hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()[:16]


def site_of(url: str) -> str:
    """Host a URL points at, lower-case, without port."""
    return (urlsplit(url).hostname or "").lower()

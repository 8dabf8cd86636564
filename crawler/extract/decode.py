"""Bytes to text, once: choose the charset of a captured page and decode it.

Order of evidence: a byte-order mark wins over any declaration; then the HTTP
`Content-Type` charset; then `<meta charset>` / `<meta http-equiv=Content-Type>` in the
first 4 KiB; then detection (charset-normalizer). Chinese legacy labels are widened to
their supersets: GB2312/GBK/CP936 are read as GB18030 and Big5 as Big5-HKSCS. When the
chosen charset leaves too many U+FFFD replacement characters, utf-8, gb18030 and
big5hkscs are tried in turn and the cleanest wins, with the quality flag
`charset-mismatch`. No settings: `Extractor` passes nothing here.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

__all__ = ["Decoded", "decode_body", "normalise_charset"]

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Legacy labels read as their superset (WHATWG does the same for gbk/gb2312).
_WIDEN = {
    "gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "x-gbk": "gb18030",
    "gb_2312-80": "gb18030", "euc-cn": "gb18030", "hz-gb-2312": "gb18030",
    "big5": "big5hkscs", "big5-hkscs": "big5hkscs", "cp950": "big5hkscs", "x-x-big5": "big5hkscs",
    "utf8": "utf-8", "unicode": "utf-8", "iso-8859-1": "cp1252", "latin1": "cp1252",
    "us-ascii": "utf-8", "ascii": "utf-8",
}
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_RETRY = ("utf-8", "gb18030", "big5hkscs")
# More than this share of U+FFFD (or more than 8 of them) means the declared charset lied.
_MAX_REPLACEMENT_SHARE = 0.001
_MAX_REPLACEMENTS = 8


@dataclass
class Decoded:
    """Text of a page and how it was obtained."""

    text: str
    charset: str                 # codec name actually used, e.g. "utf-8", "gb18030"
    declared_by: str             # "bom", "header", "meta", "detected" or "default"
    quality: list[str] = field(default_factory=list)


def normalise_charset(label: str | None) -> str | None:
    """A codec name Python knows for `label`, widened (gbk -> gb18030), or None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _WIDEN.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _WIDEN.get(name, name)


def _too_dirty(text: str) -> bool:
    bad = text.count("\ufffd")
    return bad > _MAX_REPLACEMENTS or (bad > 0 and bad / max(len(text), 1) > _MAX_REPLACEMENT_SHARE)


def _detect(body: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(body[:65536]).best()
    return normalise_charset(best.encoding) if best is not None else None


def _cleanest(body: bytes) -> tuple[str, str]:
    """Try the retry charsets and keep the decoding with fewest replacement chars."""
    scored = []
    for index, name in enumerate(_RETRY):
        text = body.decode(name, errors="replace")
        scored.append((text.count("\ufffd"), index, name, text))
    bad, _, name, text = min(scored)
    return name, text


def decode_body(body: bytes, headers: dict[str, str] | None = None) -> Decoded:
    """Decode a page body; see the module docstring for the order of evidence."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return Decoded(body[len(bom):].decode(name, errors="replace"), name, "bom")
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    charset: str | None = None
    declared_by = "default"
    match = _HEADER_CHARSET.search(headers.get("content-type", ""))
    if match:
        charset = normalise_charset(match.group(1))
        declared_by = "header" if charset else declared_by
    if charset is None:
        meta = _META_CHARSET.search(body[:4096])
        if meta:
            charset = normalise_charset(meta.group(1).decode("ascii", "replace"))
            declared_by = "meta" if charset else declared_by
    if charset is None:
        try:
            return Decoded(body.decode("utf-8"), "utf-8", "detected")
        except UnicodeDecodeError:
            charset = _detect(body) or "gb18030"
            declared_by = "detected"
    text = body.decode(charset, errors="replace")
    if _too_dirty(text):
        name, retried = _cleanest(body)
        if retried.count("\ufffd") < text.count("\ufffd"):
            return Decoded(retried, name, declared_by, ["charset-mismatch"])
    return Decoded(text, charset, declared_by)

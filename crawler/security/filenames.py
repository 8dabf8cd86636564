"""File-name components from untrusted text (URLs, host names, source names).

`safe_component(name, max_len=100)` returns one path component that is always a plain file
name inside its folder: no separators, no `..`, no NUL or control characters, no reserved
Windows device names (CON, NUL, COM1 …), never empty, never `.` or `..`, at most `max_len`
characters. Percent-encoding is decoded first, so `%2e%2e%2f` cannot smuggle `../` past it.
Characters other than letters, digits, `.`, `_` and `-` become `_`; a name that had to be
cut or changed keeps a short hash of the original so two different inputs stay different.
`safe_join(folder, name)` joins and checks the result is inside `folder`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"COM{i}" for i in range(10)] + [f"LPT{i}" for i in range(10)]
)


def safe_component(name: str, max_len: int = 100) -> str:
    """`name` reduced to a safe single file-name component (see module docstring)."""
    if max_len < 16:
        raise ValueError("max_len must be at least 16")
    decoded = unicodedata.normalize("NFKC", unquote(unquote(name)))
    cleaned = _UNSAFE.sub("_", decoded).strip("._ ")
    cleaned = re.sub(r"\.{2,}", ".", cleaned)
    stem = cleaned.split(".", 1)[0].upper()
    changed = cleaned != name or not cleaned or stem in _RESERVED or len(cleaned) > max_len
    if not changed:
        return cleaned
    digest = hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    if stem in _RESERVED:
        cleaned = "_" + cleaned
    keep = max_len - len(digest) - 1
    return f"{cleaned[:keep].rstrip('._-')}-{digest}" if cleaned else digest


def safe_join(folder: Path, name: str, max_len: int = 100) -> Path:
    """`folder / safe_component(name)`, checked to be directly inside `folder`."""
    path = folder / safe_component(name, max_len)
    if path.resolve().parent != folder.resolve():
        raise ValueError(f"file name {name!r} escapes {folder}")
    return path

"""WARC file names and the file-system moves that must never overwrite.

Names follow ``PREFIX-TIMESTAMP-SERIAL-HOSTTAG.warc.gz``: ``TIMESTAMP`` is UTC to the
millisecond (17 digits), ``SERIAL`` is a 5-digit per-writer counter and ``HOSTTAG`` is an
optional tag (usually the crawled host) reduced to ``[A-Za-z0-9.-]`` and at most
``MAX_TAG_LENGTH`` characters. A file is written as ``NAME.warc.gz.open`` and renamed to
``NAME.warc.gz`` when it is complete.

Nothing in this package ever replaces an existing file: new files are created with mode
``'xb'``, and :func:`rename_no_overwrite` links the new name before unlinking the old one,
picking a fresh name (``...-r1.warc.gz``, ``-r2`` ...) when the wanted one is taken.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import datetime, timezone
from pathlib import Path

WARC_SUFFIX = ".warc.gz"
OPEN_SUFFIX = ".open"
MAX_TAG_LENGTH = 64
MAX_PREFIX_LENGTH = 40

_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


def sanitise_tag(tag: str, max_length: int = MAX_TAG_LENGTH) -> str:
    """Reduce ``tag`` to ``[A-Za-z0-9.-]`` (other runs become ``-``), bounded in length."""
    cleaned = _UNSAFE.sub("-", tag).strip(".-")
    return cleaned[:max_length].strip(".-")


def timestamp_ms(now: datetime | None = None) -> str:
    """UTC timestamp with milliseconds, e.g. ``20261125081500123``."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 1000:03d}"


def warc_name(prefix: str, serial: int, host_tag: str = "", *, now: datetime | None = None,
              unique_suffix: str = "") -> str:
    """Build a final WARC file name (without the ``.open`` suffix)."""
    parts = [sanitise_tag(prefix, MAX_PREFIX_LENGTH) or "warc", timestamp_ms(now), f"{serial:05d}"]
    tag = sanitise_tag(host_tag)
    if tag:
        parts.append(tag)
    if unique_suffix:
        parts.append(unique_suffix)
    return "-".join(parts) + WARC_SUFFIX


def random_suffix() -> str:
    """Short random token used only when a name would collide with an existing file."""
    return secrets.token_hex(3)


def strip_warc_suffix(name: str) -> str:
    """``a.warc.gz.open`` / ``a.warc.gz`` / ``a.warc`` -> ``a``."""
    for suffix in (WARC_SUFFIX + OPEN_SUFFIX, WARC_SUFFIX, ".warc" + OPEN_SUFFIX, ".warc"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def free_name(directory: Path, wanted: str) -> Path:
    """``directory/wanted`` if free, else the first free ``stem-rN.ext`` variant."""
    candidate = directory / wanted
    if not candidate.exists():
        return candidate
    stem = strip_warc_suffix(wanted)
    ext = wanted[len(stem):]
    n = 1
    while True:
        candidate = directory / f"{stem}-r{n}{ext}"
        if not candidate.exists():
            return candidate
        n += 1


def rename_no_overwrite(src: Path, dst: Path) -> Path:
    """Move ``src`` to ``dst`` (same file system) without ever replacing an existing file.

    Uses ``link`` + ``unlink`` so the check and the move are one atomic step; if ``dst`` is
    taken, the first free ``-rN`` variant is used. Returns the path actually used.
    """
    target = dst
    while True:
        try:
            os.link(src, target)
        except FileExistsError:
            target = free_name(target.parent, target.name)
            continue
        except OSError:
            # File systems without hard links: fall back to a checked rename.
            if target.exists():
                target = free_name(target.parent, target.name)
                continue
            os.rename(src, target)
            return target
        os.unlink(src)
        return target


def fsync_directory(directory: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def process_umask() -> int:
    """The process umask (read from /proc where it can be, without changing it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def apply_umask(path: Path, mode: int = 0o666) -> None:
    """Give ``path`` (made by ``tempfile.mkstemp``, always 0600) the mode an ``open()`` would
    give it under the process umask, so a pywb or web server running as another user can read
    indexes and packages written through a temporary file."""
    os.chmod(path, mode & ~process_umask())

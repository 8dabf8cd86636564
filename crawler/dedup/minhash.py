"""MinHash signatures and LSH band keys for near-duplicate detection, vectorised with numpy.

Text → signature:
1. `normalise_for_shingling`: drop whitespace, punctuation and symbols (everything that is not
   a letter or digit) and lower-case Latin letters. The input is the pipeline's normalised
   Simplified text, so a Traditional copy converted with OpenCC t2s shingles the same way.
2. Character shingles of `shingle_size` characters (setting ``DEDUP_SHINGLE_SIZE``, default 5),
   each hashed once to 64 bits by a polynomial over the code points followed by the
   splitmix64 finaliser — all shingles of a text in a handful of numpy operations.
3. `num_perm` (``DEDUP_NUM_PERM``, default 128) shared universal permutations
   ``(a·h + b) mod 2^64`` with fixed odd `a`; the signature keeps the top 32 bits of each
   minimum. The constants come from a fixed seed, so signatures are stable across runs and
   machines (they are stored in the index).

Signature → band keys: the first ``bands·rows`` values, cut into `bands` bands of `rows`;
each band is hashed to 32 bits and tagged with its band number (``band << 32 | hash``), one
SQLite integer per band.

`lsh_params(threshold, num_perm)` derives (bands, rows), recall first (candidates are verified
afterwards): for rows = 1, 2, … take the fewest bands giving candidate probability ≥ 0.97 at
Jaccard = threshold, and stop at the first rows for which an unrelated pair (Jaccard 0.3, or
threshold/2 if lower) becomes a candidate with probability ≤ 0.1; if none qualifies before
bands·rows exceeds num_perm, the last one that fits. At 0.7 and 128 permutations: 20 × 5.

`compact(signature)` keeps 8 bits per value for verification (128 bytes at 128 permutations);
`estimate_jaccard` corrects for the 1/256 chance that two different values agree in 8 bits.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

__all__ = [
    "MinHasher",
    "normalise_for_shingling",
    "lsh_params",
    "candidate_probability",
    "compact",
    "estimate_jaccard",
    "band_keys",
]

_NON_TEXT = re.compile(r"[\W_]+")
_SEED = 20240611
_POLY = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S27, _S30, _S31, _S32 = (np.uint64(n) for n in (27, 30, 31, 32))
COMPACT_BITS = 8
_MAX_ROWS = 1024
_BAND_COEF = np.random.Generator(np.random.PCG64(_SEED + 1)).integers(
    0, 2**63, size=_MAX_ROWS, dtype=np.uint64
) * np.uint64(2) + np.uint64(1)


def normalise_for_shingling(text: str) -> str:
    """The text reduced to letters and digits (no whitespace, punctuation or symbols)."""
    return _NON_TEXT.sub("", text).lower()


def _mix64(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64 finaliser, element-wise (wrapping uint64 arithmetic)."""
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


def candidate_probability(jaccard: float, bands: int, rows: int) -> float:
    """Probability that a pair with this Jaccard similarity shares at least one band."""
    return 1.0 - (1.0 - jaccard**rows) ** bands


def lsh_params(threshold: float, num_perm: int, *, recall_at_threshold: float = 0.97,
               max_unrelated: float = 0.1, unrelated_jaccard: float = 0.3) -> tuple[int, int]:
    """(bands, rows) for a similarity threshold — see module docstring for the rule."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"dedup threshold must be in (0, 1), got {threshold}")
    best: tuple[int, int] | None = None
    for rows in range(1, num_perm + 1):
        p_band = threshold**rows
        bands = math.ceil(math.log(1.0 - recall_at_threshold) / math.log(1.0 - p_band)) if p_band < 1 else 1
        if bands * rows > num_perm:
            break
        if candidate_probability(min(unrelated_jaccard, threshold / 2), bands, rows) <= max_unrelated:
            best = (bands, rows)
            break
        best = (bands, rows)  # keep the most selective that still fits
    if best is None:
        raise ValueError(f"num_perm={num_perm} is too small for threshold {threshold}")
    return best


@dataclass(frozen=True)
class MinHasher:
    """Computes MinHash signatures (uint32[num_perm]) of texts; stateless after construction."""

    shingle_size: int = 5
    num_perm: int = 128

    def __post_init__(self) -> None:
        if self.shingle_size < 1:
            raise ValueError(f"shingle_size must be >= 1, got {self.shingle_size}")
        if self.num_perm < 1:
            raise ValueError(f"num_perm must be >= 1, got {self.num_perm}")
        rng = np.random.Generator(np.random.PCG64(_SEED))
        a = rng.integers(0, 2**63, size=self.num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        b = rng.integers(0, 2**63, size=self.num_perm, dtype=np.uint64)
        object.__setattr__(self, "_a", a[:, None])
        object.__setattr__(self, "_b", b[:, None])

    @property
    def key(self) -> tuple[int, int, int]:
        """What makes two hashers give the same signatures (a signature computed elsewhere
        is used only when its key matches)."""
        return (self.shingle_size, self.num_perm, _SEED)

    def shingle_hashes(self, text: str, *, normalised: bool = False) -> npt.NDArray[np.uint64]:
        """64-bit hashes of the character shingles of the normalised text (may repeat);
        `normalised`: `text` is already `normalise_for_shingling`'s output."""
        norm = text if normalised else normalise_for_shingling(text)
        codes = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        k = self.shingle_size
        n = codes.size - k + 1
        if n <= 0:
            return np.empty(0, dtype=np.uint64)
        h = codes[0:n].copy()
        for j in range(1, k):
            h *= _POLY
            h += codes[j : j + n]
        return _mix64(h)

    def signature(self, text: str, *, normalised: bool = False) -> npt.NDArray[np.uint32] | None:
        """MinHash signature of `text`, or None when it has no shingle (too short)."""
        hashes = self.shingle_hashes(text, normalised=normalised)
        if hashes.size == 0:
            return None
        return self.signature_of_hashes(hashes)

    def signature_of_hashes(self, hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint32]:
        permuted = self._a * hashes[None, :]  # type: ignore[attr-defined]
        permuted += self._b  # type: ignore[attr-defined]
        # x >> 32 is monotone, so the top bits of the minimum are the minimum of the top bits
        return (permuted.min(axis=1) >> _S32).astype(np.uint32)


def band_keys(signature: npt.NDArray[np.uint32], bands: int, rows: int) -> list[int]:
    """One integer key per band: ``band << 32 | 32-bit hash of the band's values``."""
    if not 1 <= rows <= _MAX_ROWS:
        raise ValueError(f"rows per band must be in 1..{_MAX_ROWS}, got {rows}")
    if signature.size < bands * rows:
        raise ValueError(f"signature has {signature.size} values, bands*rows needs {bands * rows}")
    grid = signature[: bands * rows].astype(np.uint64).reshape(bands, rows)
    h = _mix64_inplace((grid * _BAND_COEF[:rows]).sum(axis=1, dtype=np.uint64))
    h >>= _S32
    h |= _band_tags(bands)
    return h.tolist()  # type: ignore[no-any-return]


@lru_cache(maxsize=8)
def _band_tags(bands: int) -> npt.NDArray[np.uint64]:
    return np.arange(bands, dtype=np.uint64) << _S32


def _mix64_inplace(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """`_mix64` on a fresh array, overwriting it (fewer temporaries for small arrays)."""
    t = x >> _S30
    x ^= t
    x *= _M1
    np.right_shift(x, _S27, out=t)
    x ^= t
    x *= _M2
    np.right_shift(x, _S31, out=t)
    x ^= t
    return x


def compact(signature: npt.NDArray[np.uint32]) -> bytes:
    """The signature kept for verification: the low 8 bits of each value."""
    return (signature & 0xFF).astype(np.uint8).tobytes()


def estimate_jaccard(a: bytes, b: bytes) -> float:
    """Jaccard similarity estimated from two compact signatures (corrected for 8-bit collisions)."""
    if len(a) != len(b) or not a:
        raise ValueError(f"compact signatures differ in length ({len(a)} vs {len(b)})")
    agree = float(np.count_nonzero(np.frombuffer(a, np.uint8) == np.frombuffer(b, np.uint8))) / len(a)
    chance = 1.0 / (1 << COMPACT_BITS)
    return max(0.0, (agree - chance) / (1.0 - chance))

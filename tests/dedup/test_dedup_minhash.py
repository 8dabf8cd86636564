"""crawler.dedup.minhash: signatures estimate Jaccard similarity; band keys and params are stable."""

from __future__ import annotations

import random

import numpy as np
import pytest

from crawler.dedup.minhash import (
    MinHasher,
    band_keys,
    candidate_probability,
    compact,
    estimate_jaccard,
    lsh_params,
    normalise_for_shingling,
)

HANZI = [chr(c) for c in range(0x4E00, 0x4E00 + 2500)]


def _shingles(text: str, k: int) -> set[str]:
    norm = normalise_for_shingling(text)
    return {norm[i : i + k] for i in range(len(norm) - k + 1)}


def test_normalisation_drops_whitespace_punctuation_and_symbols() -> None:
    assert normalise_for_shingling("医共体，建设！\n 2024年 “A+B”\u3000【打印】") == "医共体建设2024年ab打印"


def test_signature_ignores_whitespace_and_punctuation() -> None:
    hasher = MinHasher()
    a = hasher.signature("德清县医共体建设取得新成效，群众满意度提升。")
    b = hasher.signature("德清县 医共体建设取得新成效 群众满意度提升")
    assert a is not None and b is not None and np.array_equal(a, b)
    assert hasher.signature("医共体") is None  # shorter than one shingle


@pytest.mark.parametrize("keep", [0.9, 0.7, 0.5, 0.2])
def test_estimate_tracks_true_jaccard(keep: float) -> None:
    rng = random.Random(int(keep * 100))
    hasher = MinHasher(shingle_size=5, num_perm=128)
    base = "".join(rng.choices(HANZI, k=1500))
    cut = int(len(base) * keep)
    other = base[:cut] + "".join(rng.choices(HANZI, k=len(base) - cut))
    truth_a, truth_b = _shingles(base, 5), _shingles(other, 5)
    truth = len(truth_a & truth_b) / len(truth_a | truth_b)
    sa, sb = hasher.signature(base), hasher.signature(other)
    assert sa is not None and sb is not None
    full = float(np.mean(sa == sb))
    assert abs(full - truth) < 0.12
    assert abs(estimate_jaccard(compact(sa), compact(sb)) - truth) < 0.12


def test_unrelated_texts_estimate_near_zero() -> None:
    rng = random.Random(3)
    hasher = MinHasher()
    sa = hasher.signature("".join(rng.choices(HANZI, k=800)))
    sb = hasher.signature("".join(rng.choices(HANZI, k=800)))
    assert sa is not None and sb is not None
    assert estimate_jaccard(compact(sa), compact(sb)) < 0.08


def test_signatures_are_stable_across_instances() -> None:
    text = "市卫生健康委员会召开分级诊疗制度建设推进会" * 3
    a, b = MinHasher().signature(text), MinHasher().signature(text)
    assert a is not None and b is not None
    assert np.array_equal(a, b)
    assert a.dtype == np.uint32 and a.shape == (128,)
    assert len(compact(a)) == 128


def test_band_keys_carry_band_number_and_match_on_equal_bands() -> None:
    sig = np.arange(100, 228, dtype=np.uint32)
    keys = band_keys(sig, 20, 5)
    assert [k >> 32 for k in keys] == list(range(20))
    changed = sig.copy()
    changed[7] += 1  # inside band 1 (values 5..9)
    other = band_keys(changed, 20, 5)
    assert [a == b for a, b in zip(keys, other)] == [i != 1 for i in range(20)]
    with pytest.raises(ValueError, match="bands\\*rows"):
        band_keys(sig[:50], 20, 5)


def test_lsh_params_favour_recall_at_threshold() -> None:
    for threshold in (0.6, 0.65, 0.7, 0.8):
        bands, rows = lsh_params(threshold, 128)
        assert bands * rows <= 128
        assert candidate_probability(threshold, bands, rows) >= 0.97
    with pytest.raises(ValueError, match="threshold"):
        lsh_params(1.5, 128)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="shingle_size"):
        MinHasher(shingle_size=0)
    with pytest.raises(ValueError, match="differ in length"):
        estimate_jaccard(b"\x00" * 128, b"\x00" * 64)

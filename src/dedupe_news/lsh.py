"""LSH over MinHash signatures: band parameters, band keys and copy candidates.

A signature of ``num_perm`` values is cut into ``b`` bands of ``r`` rows
(:func:`lsh_params`); two articles whose values agree on a whole band share that
band's key (:func:`lsh_band_key`, :func:`lsh_band_keys`) and become a copy
candidate (:func:`lsh_candidate_pairs`). The index and Spark use the same keys.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from scipy.integrate import quad

from .errors import ParameterError

if TYPE_CHECKING:
    from .minhash import Signatures

__all__ = [
    "lsh_band_key",
    "lsh_band_keys",
    "lsh_candidate_pairs",
    "lsh_params",
]


@lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """Bands and rows per band ``(b, r)`` minimising false positives plus false negatives.

    The same criterion as datasketch's ``MinHashLSH`` with equal weights: the
    probability that a pair with Jaccard ``s`` shares a band is ``1 - (1 - s**r)**b``.

    >>> lsh_params(0.5, 128)
    (25, 5)
    """
    if not 0.0 < threshold <= 1.0:
        raise ParameterError(f"LSH threshold must be between 0 and 1 (0 excluded), got {threshold}")
    best, best_error = (1, num_perm), float("inf")
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):

            def missed(s: float, r: int = rows, b: int = bands) -> float:
                return (1 - s**r) ** b

            false_pos = quad(lambda s: 1 - missed(s), 0.0, threshold)[0]
            false_neg = quad(missed, threshold, 1.0)[0]
            if false_pos + false_neg < best_error:
                best, best_error = (bands, rows), false_pos + false_neg
    return best


def lsh_band_key(hashvalues: np.ndarray, band: int, rows: int) -> np.ndarray:
    """LSH key of band ``band`` (columns ``band * rows`` to ``(band + 1) * rows``) per row.

    The band's hash values folded into ``band + 1`` with the 64-bit FNV prime;
    equal keys mean (up to a 64-bit collision) equal bands.
    """
    block = hashvalues[:, band * rows : (band + 1) * rows].astype(np.uint64)
    key = np.full(hashvalues.shape[0], np.uint64(band + 1), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for col in range(rows):
            key = (key * np.uint64(0x100000001B3)) ^ block[:, col]
    return key


def lsh_band_keys(hashvalues: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """Every band's LSH key per row, shape ``(n, bands)``, uint64: column ``b`` is
    :func:`lsh_band_key` of band ``b``. The index stores them (viewed as int64) and
    Spark groups by them.
    """
    n = hashvalues.shape[0]
    # lsh_band_key of every band at once: the bands side by side.
    block = hashvalues[:, : bands * rows].astype(np.uint64).reshape(n, bands, rows)
    keys = np.broadcast_to(np.arange(1, bands + 1, dtype=np.uint64), (n, bands))
    with np.errstate(over="ignore"):
        for col in range(rows):
            keys = (keys * np.uint64(0x100000001B3)) ^ block[:, :, col]
    return keys


def lsh_candidate_pairs(
    signatures: Signatures, threshold: float = 0.5, max_bucket: int = 64
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of articles that share at least one LSH band: likely copies.

    A batch self-join: per band, hash the band's rows to one key, sort, and pair
    articles with equal keys. Buckets larger than ``max_bucket`` (many identical
    copies) pair each member with its next ``max_bucket`` neighbours in the bucket,
    which keeps them connected without a quadratic blow-up.

    Returns
    -------
    i, j : ndarray of intp
        Candidate pairs with ``i < j``, unique.
    """
    values = signatures.hashvalues
    n, num_perm = values.shape
    has_shingles = signatures.shingle_counts > 0
    bands, rows = lsh_params(threshold, num_perm)
    found: list[np.ndarray] = []
    for band in range(bands):
        key = lsh_band_key(values, band, rows)
        order = np.flatnonzero(has_shingles)
        order = order[np.argsort(key[order], kind="stable")]
        sorted_keys = key[order]
        for gap in range(1, max_bucket + 1):
            same = sorted_keys[gap:] == sorted_keys[:-gap]
            if not same.any():
                break
            left, right = order[:-gap][same], order[gap:][same]
            found.append(np.minimum(left, right).astype(np.int64) * n + np.maximum(left, right))
    if not found:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty
    codes = np.unique(np.concatenate(found))
    return (codes // n).astype(np.intp), (codes % n).astype(np.intp)

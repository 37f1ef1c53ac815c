"""Pair features: every similarity of given article pairs, computed once for all engines.

The features of a pair (A, B), each an array over the pairs:

``cosine_similarity``
    TF-IDF cosine of the content terms, in [0, 1]. Sees rewrites.
``jaccard_similarity``
    Estimated Jaccard of the word-shingle sets (MinHash), in [0, 1]. Sees copies.
``containment_similarity``
    Estimated share of the shorter article's shingles found in the longer, in
    [0, 1]. Sees an abridged copy inside a longer article.
``date_distance_days``
    Absolute difference of the publication days, >= 0; NaN when a date is unknown.
``smaller_shingles``
    Distinct shingles of the shorter article (containment is trusted only above
    a minimum).

Both sides are :class:`ArticleRows`: weighted rows in one shared column space.
Batch clustering passes its corpus as both sides; the index passes a new
article against rows it read from SQLite; Spark passes the rows of one block.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, fields

import numpy as np
import scipy.sparse as sp

from .minhash import Signatures, containment_similarity, jaccard_similarity

__all__ = [
    "COMPILED_MIN_PAIRS",
    "ArticleRows",
    "PairFeatures",
    "compiled_pairs",
    "cosine_similarity_pairs",
    "pair_features",
    "row_dot_products",
]

COMPILED_MIN_PAIRS = 5_000
"""From this many pairs on, :func:`cosine_similarity_pairs` multiplies with the
compiled loop (:mod:`~dedupe_news.pair_kernel`) when numba is installed: the same
numbers, bit for bit, several times faster; below, loading it costs more than it saves."""

_NUMBA_INSTALLED = importlib.util.find_spec("numba") is not None

_PAIRS_PER_CHUNK = 50_000
_ENTRIES_PER_CHUNK = 4_000_000
_MIN_PAIRS_PER_CHUNK = 1_000
"""Pairs are multiplied in chunks of at most _PAIRS_PER_CHUNK pairs, fewer when the
rows are wide (about _ENTRIES_PER_CHUNK stored entries copied per chunk, and at
least _MIN_PAIRS_PER_CHUNK pairs): the candidate graph's rows hold a hundred
entries or more."""


def _pairs_per_chunk(left: sp.csr_matrix, right: sp.csr_matrix) -> int:
    width = left.nnz / max(left.shape[0], 1) + right.nnz / max(right.shape[0], 1)
    return int(
        min(_PAIRS_PER_CHUNK, max(_MIN_PAIRS_PER_CHUNK, _ENTRIES_PER_CHUNK // max(width, 1.0)))
    )


@dataclass(frozen=True)
class ArticleRows:
    """Articles as weighted rows: what pair features are computed from.

    Attributes
    ----------
    tfidf : csr_matrix, shape (n, n_terms)
        L2-normalised TF-IDF rows (:func:`~dedupe_news.weighting.tfidf_rows`).
    signatures : Signatures
        MinHash signatures and distinct-shingle counts.
    days : ndarray of float64, shape (n,)
        Publication day numbers (UTC calendar day ordinals), NaN when unknown.
    """

    tfidf: sp.csr_matrix
    signatures: Signatures
    days: np.ndarray

    def __len__(self) -> int:
        return int(self.days.size)


@dataclass(frozen=True)
class PairFeatures:
    """Features of many pairs, as parallel arrays (see the module docstring)."""

    cosine_similarity: np.ndarray
    jaccard_similarity: np.ndarray
    containment_similarity: np.ndarray
    date_distance_days: np.ndarray
    smaller_shingles: np.ndarray

    def __len__(self) -> int:
        return int(self.cosine_similarity.size)

    def take(self, index) -> PairFeatures:
        """The features of the pairs selected by ``index`` (an index array or mask)."""
        return PairFeatures(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


def cosine_similarity_pairs(
    left: sp.csr_matrix, i: np.ndarray, right: sp.csr_matrix, j: np.ndarray
) -> np.ndarray:
    """Cosine of rows ``left[i[k]]`` and ``right[j[k]]`` of L2-normalised matrices, in [0, 1]."""
    i = np.asarray(i, dtype=np.intp)
    j = np.asarray(j, dtype=np.intp)
    if 0 < i.size <= _PAIRS_PER_CHUNK and (i == i[0]).all() and _canonical(left, right):
        return np.clip(_one_row_cosines(left, int(i[0]), right, j), 0.0, 1.0)
    return np.clip(row_dot_products(left, i, right, j), 0.0, 1.0)


def compiled_pairs(left: sp.csr_matrix, right: sp.csr_matrix, n_pairs: int) -> bool:
    """Whether products of ``n_pairs`` row pairs of ``left`` and ``right`` run in the
    compiled loop (:mod:`~dedupe_news.pair_kernel`): numba is installed, there are at
    least :data:`COMPILED_MIN_PAIRS` pairs, and both are canonical CSR matrices of one
    float dtype and as many columns."""
    return (
        _NUMBA_INSTALLED
        and n_pairs >= COMPILED_MIN_PAIRS
        and _canonical(left, right)
        and left.dtype in (np.float32, np.float64)
        and left.shape[1] == right.shape[1]
    )


def row_dot_products(
    left: sp.csr_matrix, i: np.ndarray, right: sp.csr_matrix, j: np.ndarray
) -> np.ndarray:
    """Dot products of rows ``left[i[k]]`` and ``right[j[k]]`` as float64: scipy's
    elementwise product summed per row (``left[i].multiply(right[j]).sum(axis=1)``),
    in chunks, or bit for bit the same in the compiled loop (:func:`compiled_pairs`)."""
    i = np.asarray(i, dtype=np.intp)
    j = np.asarray(j, dtype=np.intp)
    if compiled_pairs(left, right, i.size):
        from .pair_kernel import pair_dot_products

        return pair_dot_products(left, i, right, j)
    out = np.zeros(i.size, dtype=np.float64)
    step = _pairs_per_chunk(left, right)
    for start in range(0, i.size, step):
        a = left[i[start : start + step]]
        b = right[j[start : start + step]]
        out[start : start + step] = np.asarray(a.multiply(b).sum(axis=1)).ravel()
    return out


def _canonical(left: sp.csr_matrix, right: sp.csr_matrix) -> bool:
    """Whether both are CSR with sorted, distinct columns in each row (what scipy's
    elementwise product then walks in column order)."""
    return (
        sp.issparse(left)
        and sp.issparse(right)
        and left.format == "csr"
        and right.format == "csr"
        and left.dtype == right.dtype
        and left.has_canonical_format
        and right.has_canonical_format
    )


def _one_row_cosines(
    left: sp.csr_matrix, row: int, right: sp.csr_matrix, j: np.ndarray
) -> np.ndarray:
    """``cosine_similarity_pairs(left, [row] * len(j), right, j)`` without building
    ``len(j)`` copies of the row: bit for bit the general path's result.

    That path multiplies elementwise (the nonzero products of shared columns, in column
    order per pair), then sums each pair's products with ``np.add.reduceat`` (scipy's
    ``sum(axis=1)`` on CSR); here the same products, in the same order, go to the same
    ``reduceat``.
    """
    start, stop = left.indptr[row], left.indptr[row + 1]
    columns, weights = left.indices[start:stop], left.data[start:stop]
    out = np.zeros(j.size, dtype=np.float64)
    if columns.size == 0:
        return out
    if j[-1] - j[0] == j.size - 1 and (np.diff(j) == 1).all():  # a run of rows: one slice
        first, last = right.indptr[j[0]], right.indptr[j[-1] + 1]
        indices, data = right.indices[first:last], right.data[first:last]
        bounds = right.indptr[j[0] : j[-1] + 2] - first
    else:
        begin = right.indptr[j]
        lengths = right.indptr[j + 1] - begin
        bounds = np.concatenate(([0], np.cumsum(lengths)))
        entry = np.arange(bounds[-1]) + np.repeat(begin - bounds[:-1], lengths)
        indices, data = right.indices[entry], right.data[entry]
    # Entries in a column of the row, in order: each pair's shared columns, ascending.
    shared, found = _shared_entries(columns, indices)
    products = weights[found] * data[shared]
    nonzero = products != 0
    products, shared = products[nonzero], shared[nonzero]
    if products.size == 0:
        return out
    pair = np.searchsorted(bounds, shared, side="right") - 1
    firsts = np.flatnonzero(np.concatenate(([True], pair[1:] != pair[:-1])))
    out[pair[firsts]] = np.add.reduceat(products, firsts)
    return out


_FILTER_BITS = 16


def _shared_entries(columns: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in ``indices`` of the entries whose column is in ``columns`` (sorted,
    distinct), ascending, and where each is in ``columns``.

    A table of the columns' low bits rules out most entries first; a binary search
    confirms the rest.
    """
    mask = (1 << _FILTER_BITS) - 1
    maybe = np.zeros(mask + 1, dtype=bool)
    maybe[columns & mask] = True
    candidates = np.flatnonzero(maybe[indices & mask])
    wanted = indices[candidates]
    found = np.searchsorted(columns, wanted)
    found[found == columns.size] = 0
    hit = columns[found] == wanted
    return candidates[hit], found[hit]


def pair_features(
    left: ArticleRows, i: np.ndarray, right: ArticleRows, j: np.ndarray
) -> PairFeatures:
    """Every feature of the pairs (``left`` row ``i[k]``, ``right`` row ``j[k]``).

    Pass the same rows as both sides for pairs within one corpus.

    >>> import numpy as np, scipy.sparse as sp
    >>> from dedupe_news.minhash import Signatures
    >>> rows = ArticleRows(
    ...     sp.csr_matrix(np.array([[1.0, 0.0], [0.6, 0.8]])),
    ...     Signatures(np.array([[1, 2], [1, 3]], dtype=np.uint32), np.array([30, 30])),
    ...     np.array([10.0, 12.0]),
    ... )
    >>> f = pair_features(rows, np.array([0]), rows, np.array([1]))
    >>> [float(x[0]) for x in (f.cosine_similarity, f.jaccard_similarity, f.date_distance_days)]
    [0.6, 0.5, 2.0]
    """
    i = np.asarray(i, dtype=np.intp)
    j = np.asarray(j, dtype=np.intp)
    jaccard = _jaccard(left.signatures, i, right.signatures, j)
    return PairFeatures(
        cosine_similarity=cosine_similarity_pairs(left.tfidf, i, right.tfidf, j),
        jaccard_similarity=jaccard,
        containment_similarity=containment_similarity(
            left.signatures, i, right.signatures, j, jaccard
        ),
        date_distance_days=np.abs(left.days[i] - right.days[j]),
        smaller_shingles=np.minimum(
            left.signatures.shingle_counts[i], right.signatures.shingle_counts[j]
        ).astype(np.int64),
    )


def _jaccard(left: Signatures, i: np.ndarray, right: Signatures, j: np.ndarray) -> np.ndarray:
    """:func:`~dedupe_news.minhash.jaccard_similarity`, bit for bit; from
    :data:`COMPILED_MIN_PAIRS` pairs on with numba installed, compiled
    (:func:`~dedupe_news.pair_kernel.signature_agreement`: no copy of the rows)."""
    shape, other = left.hashvalues.shape, right.hashvalues.shape
    if not (_NUMBA_INSTALLED and i.size >= COMPILED_MIN_PAIRS and len(shape) == 2):
        return jaccard_similarity(left, i, right, j)
    if shape[1] < 1 or other[1:] != shape[1:]:
        return jaccard_similarity(left, i, right, j)
    from .pair_kernel import signature_agreement

    agree = signature_agreement(left.hashvalues, i, right.hashvalues, j)
    either_empty = (left.shingle_counts[i] == 0) | (right.shingle_counts[j] == 0)
    return np.where(either_empty, 0.0, agree)

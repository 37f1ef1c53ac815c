"""Term weighting: document frequencies and counts to L2-normalised TF-IDF rows.

One implementation for every engine. Batch clustering counts document
frequencies over the corpus it clusters, the persistent index keeps them in its
file, and Spark sums them over partitions; all three then call
:func:`smooth_idf` and :func:`tfidf_rows`, so equal counts and frequencies give
equal weights, bit for bit.

The weights are scikit-learn's ``TfidfTransformer(sublinear_tf=True)`` computed
step for step in float32: term frequency ``1 + ln tf`` (a long article that
repeats a name does not outweigh a short one naming it once), smoothed IDF
``ln((1 + n) / (1 + df)) + 1``, then each row scaled to unit L2 norm.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

__all__ = [
    "document_frequencies",
    "drop_unused_columns",
    "smooth_idf",
    "tfidf_entries",
    "tfidf_rows",
]


def document_frequencies(counts: sp.csr_matrix) -> np.ndarray:
    """Number of rows each column (term) occurs in, as int64.

    >>> document_frequencies(sp.csr_matrix(np.array([[1, 0], [2, 3]]))).tolist()
    [2, 1]
    """
    counts = sp.csr_matrix(counts)
    used = counts.indices[counts.data != 0]
    return np.bincount(used, minlength=counts.shape[1]).astype(np.int64)


def smooth_idf(document_frequency: np.ndarray, n_documents: int) -> np.ndarray:
    """Smoothed IDF ``ln((1 + n) / (1 + df)) + 1`` in float32, computed step for step as
    scikit-learn's ``TfidfTransformer.fit`` computes it for float32 counts.

    >>> [round(float(x), 4) for x in smooth_idf(np.array([1, 3]), 3)]
    [1.6931, 1.0]
    """
    frequency = np.asarray(document_frequency).astype(np.float32)
    frequency += 1.0
    idf = np.full_like(frequency, fill_value=n_documents + 1, dtype=np.float32)
    idf /= frequency
    np.log(idf, out=idf)
    idf += 1.0
    return idf


def tfidf_rows(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """L2-normalised rows of ``(1 + ln tf) * idf`` (float32) for raw term counts.

    ``idf`` is indexed by the columns of ``counts``. A row without terms stays empty.

    >>> rows = tfidf_rows(sp.csr_matrix(np.array([[1.0, 0.0], [2.0, 1.0]])), np.ones(2))
    >>> [[round(float(x), 3) for x in row] for row in rows.toarray()]
    [[1.0, 0.0], [0.861, 0.509]]
    """
    matrix = sp.csr_matrix(counts, dtype=np.float32, copy=True)
    _weigh_in_place(matrix, np.asarray(idf, dtype=np.float32)[matrix.indices])
    return matrix


def tfidf_entries(counts: sp.csr_matrix, entry_idf: np.ndarray) -> sp.csr_matrix:
    """:func:`tfidf_rows` with the IDF given per stored entry of ``counts`` (aligned with
    ``counts.data``) rather than per column, bit for bit the same weights.

    For a few rows in a large column space (the hashed term space): an IDF per column
    would be millions long, and gathering the used columns first costs a sort.
    ``counts`` must be float32 CSR; it is weighed in place and returned.

    >>> counts = sp.csr_matrix(np.array([[1.0, 0.0], [2.0, 1.0]], dtype=np.float32))
    >>> idf = np.array([1.0, 2.0], dtype=np.float32)
    >>> by_entry = tfidf_entries(counts.copy(), idf[counts.indices])
    >>> bool((tfidf_rows(counts, idf) != by_entry).nnz == 0)
    True
    """
    if counts.format != "csr" or counts.dtype != np.float32:
        raise TypeError("tfidf_entries weighs float32 CSR counts in place")
    _weigh_in_place(counts, np.asarray(entry_idf, dtype=np.float32))
    return counts


def _weigh_in_place(matrix: sp.csr_matrix, entry_idf: np.ndarray) -> None:
    np.log(matrix.data, matrix.data)
    matrix.data += 1.0
    matrix.data *= entry_idf
    # What sklearn's normalize(norm="l2") runs on a CSR matrix, without its argument
    # checks (milliseconds per call: the index weighs a few rows at a time).
    inplace_csr_row_normalize_l2(matrix)


def drop_unused_columns(matrix: sp.csr_matrix) -> tuple[sp.csr_matrix, np.ndarray]:
    """The matrix with only the columns some row uses, and those columns' old numbers.

    Sparse products transpose the matrix, and a transpose with millions of mostly
    empty columns (a hashed term space) costs that many operations per call.

    >>> small, used = drop_unused_columns(sp.csr_matrix(np.array([[0.0, 2.0, 0.0, 1.0]])))
    >>> small.toarray().tolist(), used.tolist()
    ([[2.0, 1.0]], [1, 3])
    """
    in_use = np.bincount(matrix.indices, minlength=matrix.shape[1]) > 0
    new_column = (np.cumsum(in_use) - 1).astype(np.int32)
    small = sp.csr_matrix(
        (matrix.data, new_column[matrix.indices], matrix.indptr),
        shape=(matrix.shape[0], int(in_use.sum())),
    )
    return small, np.flatnonzero(in_use)

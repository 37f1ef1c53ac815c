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

Corpus stop words (:func:`stop_terms`: terms in more than half of the articles,
and in at least 10 of them; see :mod:`~dedupe_news.stopwords`) weigh nothing,
except in an article made only of them. Batch and Spark take them from the
corpus's document frequencies; the index from its stored ones until it fixes its
set (see :mod:`~dedupe_news.index`). The reference stop words
(:func:`~dedupe_news.stopwords.reference_stop_words`) never get here: preparation
leaves them out of the counts of articles that do not read as English.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

from .stopwords import frequent_terms_mask, stop_entries

__all__ = [
    "corpus_tfidf_rows",
    "document_frequencies",
    "drop_unused_columns",
    "smooth_idf",
    "stop_terms",
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


def stop_terms(document_frequency: np.ndarray, n_documents: int) -> np.ndarray:
    """Which terms are corpus stop words, as a boolean mask: in more than
    :data:`~dedupe_news.stopwords.MAX_DOCUMENT_SHARE` of the ``n_documents`` articles
    and in at least :data:`~dedupe_news.stopwords.MIN_DOCUMENTS` of them
    (:func:`~dedupe_news.stopwords.frequent_terms_mask`).

    >>> stop_terms(np.array([20, 5]), 20).tolist(), stop_terms(np.array([3, 1]), 3).tolist()
    ([True, False], [False, False])
    """
    return frequent_terms_mask(document_frequency, n_documents)


def tfidf_rows(
    counts: sp.csr_matrix, idf: np.ndarray, stop: np.ndarray | None = None
) -> sp.csr_matrix:
    """L2-normalised rows of ``(1 + ln tf) * idf`` (float32) for raw term counts.

    ``idf`` is indexed by the columns of ``counts``. A row without terms stays empty.
    ``stop`` (a boolean per column, :func:`stop_terms`) marks stop words: their
    entries weigh 0 (kept as explicit zeros, so that the entries still line up with
    those of ``counts``), except in a row made only of stop words, which is weighed
    whole (:func:`~dedupe_news.stopwords.stop_entries`).

    >>> rows = tfidf_rows(sp.csr_matrix(np.array([[1.0, 0.0], [2.0, 1.0]])), np.ones(2))
    >>> [[round(float(x), 3) for x in row] for row in rows.toarray()]
    [[1.0, 0.0], [0.861, 0.509]]
    >>> stop = np.array([True, False])
    >>> rows = tfidf_rows(sp.csr_matrix(np.array([[1.0, 0.0], [2.0, 1.0]])), np.ones(2), stop)
    >>> rows.toarray().tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    matrix = sp.csr_matrix(counts, dtype=np.float32, copy=True)
    entry_stop = None if stop is None else np.asarray(stop, dtype=bool)[matrix.indices]
    tfidf_entries(matrix, np.asarray(idf, dtype=np.float32)[matrix.indices], entry_stop)
    return matrix


def tfidf_entries(
    counts: sp.csr_matrix, entry_idf: np.ndarray, entry_stop: np.ndarray | None = None
) -> sp.csr_matrix:
    """:func:`tfidf_rows` with the IDF given per stored entry of ``counts`` (aligned with
    ``counts.data``) rather than per column, bit for bit the same weights.

    For a few rows in a large column space (the hashed term space): an IDF per column
    would be millions long, and gathering the used columns first costs a sort.
    ``counts`` must be float32 CSR; it is weighed in place and returned.
    ``entry_stop``, per stored entry too, marks the stop words (see :func:`tfidf_rows`).

    >>> counts = sp.csr_matrix(np.array([[1.0, 0.0], [2.0, 1.0]], dtype=np.float32))
    >>> idf = np.array([1.0, 2.0], dtype=np.float32)
    >>> by_entry = tfidf_entries(counts.copy(), idf[counts.indices])
    >>> bool((tfidf_rows(counts, idf) != by_entry).nnz == 0)
    True
    """
    if counts.format != "csr" or counts.dtype != np.float32:
        raise TypeError("tfidf_entries weighs float32 CSR counts in place")
    entry_idf = np.asarray(entry_idf, dtype=np.float32)
    if entry_stop is not None:
        left_out = stop_entries(counts.indptr, entry_stop)
        if left_out.any():
            entry_idf = np.where(left_out, np.float32(0.0), entry_idf)
    _weigh_in_place(counts, entry_idf)
    return counts


def _weigh_in_place(matrix: sp.csr_matrix, entry_idf: np.ndarray) -> None:
    np.log(matrix.data, matrix.data)
    matrix.data += 1.0
    matrix.data *= entry_idf
    # What sklearn's normalize(norm="l2") runs on a CSR matrix, without its argument
    # checks (milliseconds per call: the index weighs a few rows at a time).
    inplace_csr_row_normalize_l2(matrix)


def corpus_tfidf_rows(
    counts: sp.csr_matrix, *, in_place: bool = False
) -> tuple[sp.csr_matrix, np.ndarray]:
    """TF-IDF rows of a whole corpus, and the numbers of the columns they keep: IDF
    and stop words from its own document frequencies, stop words out, then only the
    columns in use (:func:`drop_unused_columns`). What batch clustering weighs its
    corpus with.

    With ``in_place``, float32 CSR ``counts`` are weighed where they are (they
    cannot be used after): no copy of the corpus's counts, 700 MB at 1M articles.

    >>> counts = sp.csr_matrix(np.array([[1.0, 0.0, 1.0, 0.0], [1.0, 1.0, 0.0, 0.0]]))
    >>> rows, columns = corpus_tfidf_rows(counts)
    >>> rows.shape, columns.tolist()
    ((2, 3), [0, 1, 2])
    """
    df = document_frequencies(counts)
    n = counts.shape[0]
    if not in_place:
        return drop_unused_columns(tfidf_rows(counts, smooth_idf(df, n), stop_terms(df, n)))
    entry_idf = smooth_idf(df, n)[counts.indices]
    entry_stop = stop_terms(df, n)[counts.indices]
    return drop_unused_columns(tfidf_entries(counts, entry_idf, entry_stop))


def drop_unused_columns(matrix: sp.csr_matrix) -> tuple[sp.csr_matrix, np.ndarray]:
    """The matrix with only the columns some row uses, and those columns' old numbers.

    Sparse products transpose the matrix, and a transpose with millions of mostly
    empty columns (a hashed term space) costs that many operations per call.
    Explicit zeros (the stop words of :func:`tfidf_rows`) are dropped first, in place.

    >>> small, used = drop_unused_columns(sp.csr_matrix(np.array([[0.0, 2.0, 0.0, 1.0]])))
    >>> small.toarray().tolist(), used.tolist()
    ([[2.0, 1.0]], [1, 3])
    """
    matrix.eliminate_zeros()
    in_use = np.bincount(matrix.indices, minlength=matrix.shape[1]) > 0
    new_column = (np.cumsum(in_use) - 1).astype(np.int32)
    small = sp.csr_matrix(
        (matrix.data, new_column[matrix.indices], matrix.indptr),
        shape=(matrix.shape[0], int(in_use.sum())),
    )
    return small, np.flatnonzero(in_use)

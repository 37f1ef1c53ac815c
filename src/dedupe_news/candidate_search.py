"""Candidate pairs: the pairs of a corpus worth scoring, as few bytes as they can be.

A candidate is a MinHash LSH copy candidate (:func:`~dedupe_news.minhash.lsh_candidate_pairs`)
or a TF-IDF neighbour in the date window (:mod:`~dedupe_news.neighbors`) of one of
the searched matrices (the bodies; with a learned model, the leads too). Pairs are
held as int64 codes ``i * n + j`` (``i < j``) while they are gathered: a learned
model searches up to 100 neighbours an article over bodies and leads (30 for a
long text, as the model file's ``candidates.long_text`` says), up to 200 directed
pairs an article at 35,000 articles a day, and pairs with their similarities,
sorted and made distinct in one go, took several copies of 24 bytes a pair.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from .lsh import lsh_candidate_pairs
from .neighbor_probe import probe_matrix, probe_max_df
from .neighbors import row_block_neighbors
from .pair_features import ArticleRows

__all__ = ["candidate_pairs", "neighbor_pair_codes", "sorted_distinct"]

Progress = Callable[[int], None]


def candidate_pairs(
    rows: ArticleRows,
    search: list[sp.csr_matrix],
    *,
    copy_threshold: float,
    window_days: float,
    min_similarity: float,
    max_neighbors: int | np.ndarray,
    n_jobs: int | None = None,
    progress: Progress | None = None,
    probe_articles: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs ``i < j``, sorted by ``(i, j)``: LSH copy candidates, and the
    TF-IDF neighbours in the date window of each matrix in ``search`` (rows aligned
    with ``rows``).

    ``probe_articles`` is the corpus size that sets which frequent terms the search
    skips (:func:`~dedupe_news.neighbors.probe_max_df`); by default, the rows'.
    """
    n = len(rows)
    copy_i, copy_j = lsh_candidate_pairs(rows.signatures, threshold=copy_threshold)
    codes = [copy_i.astype(np.int64) * n + copy_j]
    del copy_i, copy_j
    for matrix in search:
        codes.append(
            neighbor_pair_codes(
                matrix,
                rows.days,
                window_days=window_days,
                min_similarity=min_similarity,
                max_neighbors=max_neighbors,
                probe_max_df=probe_max_df(n if probe_articles is None else probe_articles),
                n_jobs=n_jobs,
                progress=progress,
            )
        )
    # Sorted, then distinct: np.unique's hash path (numpy 2.3+) took 2 s here for 2.6M
    # codes from Reuters' model search; a sort takes 0.05 s, for the same array.
    unique = sorted_distinct(np.concatenate(codes) if len(codes) > 1 else codes[0])
    del codes
    i = (unique // n).astype(np.intp, copy=False)
    unique %= n
    return i, unique.astype(np.intp, copy=False)


def neighbor_pair_codes(
    matrix: sp.csr_matrix,
    days: np.ndarray,
    *,
    window_days: float,
    min_similarity: float,
    max_neighbors: int | np.ndarray,
    probe_max_df: int | None = None,
    n_jobs: int | None = 1,
    progress: Progress | None = None,
) -> np.ndarray:
    """The pairs of :func:`~dedupe_news.neighbors.cosine_neighbor_pairs` (same
    arguments) as sorted, distinct codes ``i * n + j`` (``i < j``), without their
    similarities: each block of rows is coded as soon as it is searched (8 bytes a
    directed pair held)."""
    n = matrix.shape[0]
    probe, floor = probe_matrix(matrix, min_similarity, probe_max_df)
    blocks = row_block_neighbors(
        probe, days, floor, window_days, max_neighbors, n_jobs=n_jobs, progress=progress
    )
    codes = [np.minimum(i, j).astype(np.int64) * n + np.maximum(i, j) for i, j, _ in blocks]
    return sorted_distinct(np.concatenate(codes) if codes else np.zeros(0, dtype=np.int64))


def sorted_distinct(codes: np.ndarray) -> np.ndarray:
    """``np.unique(codes)``, sorting ``codes`` in place (no copy of it is held).

    >>> sorted_distinct(np.array([5, 1, 5, 3])).tolist()
    [1, 3, 5]
    """
    codes.sort()
    if codes.size < 2:
        return codes
    distinct = np.empty(codes.size, dtype=bool)
    distinct[0] = True
    np.not_equal(codes[1:], codes[:-1], out=distinct[1:])
    return codes[distinct]

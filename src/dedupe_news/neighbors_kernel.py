"""The compiled top-k per row, used by the neighbour search
(:mod:`~dedupe_news.neighbors`) when numba is installed (``pip install
"dedupe-news[fast]"``).

It selects what ``np.lexsort((j, -similarity, i))`` then "the first ``k`` of each
``i``" selects, in the same order: the entries are put in buckets by ``i`` (a
counting sort, which keeps their order), and each bucket is sorted by ``j`` and
then by descending similarity, both stable. A lexsort of millions of entries takes
most of the search's time on a low similarity floor; this takes a few percent of
it. The tests check the result against the lexsort.

Importing this module imports numba (and compiles on first use, or loads the
compiled loop from numba's cache).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["top_per_row_order"]


@njit(cache=True, nogil=True)
def _top_order(i, j, negated, k, n_rows, in_order):
    starts = np.zeros(n_rows + 1, dtype=np.int64)
    for e in range(i.size):
        starts[i[e] + 1] += 1
    for r in range(n_rows):
        starts[r + 1] += starts[r]
    filled = starts[:-1].copy()
    bucketed = np.empty(i.size, dtype=np.int64)
    for e in range(i.size):
        bucketed[filled[i[e]]] = e
        filled[i[e]] += 1
    kept = np.empty(i.size, dtype=np.int64)
    n_kept = 0
    for r in range(n_rows):
        lo, hi = starts[r], starts[r + 1]
        if hi - lo == 1 or (not in_order and hi - lo <= k):
            kept[n_kept : n_kept + hi - lo] = bucketed[lo:hi]
            n_kept += hi - lo
        elif hi > lo:
            bucket = bucketed[lo:hi]
            bucket = bucket[np.argsort(j[bucket], kind="mergesort")]
            bucket = bucket[np.argsort(negated[bucket], kind="mergesort")]
            take = min(k, hi - lo)
            kept[n_kept : n_kept + take] = bucket[:take]
            n_kept += take
    return kept[:n_kept]


def top_per_row_order(
    i: np.ndarray, j: np.ndarray, similarity: np.ndarray, k: int, in_order: bool = True
) -> np.ndarray:
    """Positions of the ``k`` most similar entries of each ``i`` (lower ``j`` first
    among equals, then the earlier entry), sorted by ``i``, similarity (descending)
    and ``j``: ``np.lexsort((j, -similarity, i))`` less all but the first ``k`` of
    each ``i``. With ``in_order=False`` the entries of an ``i`` with at most ``k``
    are left in their own order (not sorted). ``i`` and ``j`` are non-negative
    integers; ``similarity`` holds no NaN.

    >>> top_per_row_order(np.array([1, 0, 1, 1]), np.array([5, 6, 7, 8]),
    ...                   np.array([0.2, 0.1, 0.9, 0.2]), 2).tolist()
    [1, 2, 0]
    """
    if i.size == 0 or k < 1:
        return np.zeros(0, dtype=np.int64)
    return _top_order(
        np.asarray(i, dtype=np.int64),
        np.asarray(j, dtype=np.int64),
        -np.asarray(similarity),
        int(k),
        int(i.max()) + 1,
        bool(in_order),
    )

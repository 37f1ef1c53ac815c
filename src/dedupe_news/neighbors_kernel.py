"""The compiled top-k per row, used by the neighbour search
(:mod:`~dedupe_news.neighbors`) when numba is installed (``pip install
"dedupe-news[fast]"``).

It selects what ``np.lexsort((j, -similarity, i))`` then "the first ``k`` of each
``i``" selects, in the same order: the entries are put in buckets by ``i`` (a
counting sort, which keeps their order); in a bucket of more than ``k`` the first
``k`` are selected (quickselect); and those are sorted by descending similarity,
then ``j``, then entry (insertion sort of short runs, then merges). A
lexsort of millions of entries takes most of the search's time on a low
similarity floor; this takes a few percent of it. The tests check the result
against the lexsort.

Importing this module imports numba (and compiles on first use, or loads the
compiled loop from numba's cache).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["top_per_row_order"]


_RUN = 16
"""Entries sorted by insertion before the merge passes."""


@njit(cache=True, nogil=True, inline="always")
def _ranks_first(a, b, negated, j):
    """Whether entry ``a`` comes strictly before entry ``b`` in the order of the
    result: lower negated similarity, then lower ``j``, then the earlier entry."""
    if negated[a] != negated[b]:
        return negated[a] < negated[b]
    if j[a] != j[b]:
        return j[a] < j[b]
    return a < b


@njit(cache=True, nogil=True)
def _sort_bucket(bucket, scratch, negated, j):
    """Sort the entry numbers of ``bucket`` in place in :func:`_ranks_first`'s order:
    runs of :data:`_RUN` by insertion, then merge passes (into ``scratch`` and back)."""
    m = bucket.size
    for lo in range(0, m, _RUN):
        hi = min(lo + _RUN, m)
        for x in range(lo + 1, hi):
            value = bucket[x]
            y = x - 1
            while y >= lo and _ranks_first(value, bucket[y], negated, j):
                bucket[y + 1] = bucket[y]
                y -= 1
            bucket[y + 1] = value
    source, target = bucket, scratch[:m]
    in_scratch = False
    width = _RUN
    while width < m:
        for lo in range(0, m, 2 * width):
            middle, hi = min(lo + width, m), min(lo + 2 * width, m)
            a, b, out = lo, middle, lo
            while a < middle and b < hi:
                if _ranks_first(source[b], source[a], negated, j):
                    target[out] = source[b]
                    b += 1
                else:
                    target[out] = source[a]
                    a += 1
                out += 1
            while a < middle:
                target[out] = source[a]
                a += 1
                out += 1
            while b < hi:
                target[out] = source[b]
                b += 1
                out += 1
        source, target = target, source
        in_scratch = not in_scratch
        width *= 2
    if in_scratch:
        bucket[:] = source


@njit(cache=True, nogil=True)
def _top_order(i, j, negated, row_limits, per_row, n_rows, in_order):
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
    longest = 0
    for r in range(n_rows):
        longest = max(longest, starts[r + 1] - starts[r])
    scratch = np.empty(longest, dtype=np.int64)
    kept = np.empty(i.size, dtype=np.int64)
    n_kept = 0
    for r in range(n_rows):
        lo, hi = starts[r], starts[r + 1]
        k = row_limits[r] if per_row else row_limits[0]
        if k < 1:
            continue
        if hi - lo == 1 or (not in_order and hi - lo <= k):
            kept[n_kept : n_kept + hi - lo] = bucketed[lo:hi]
            n_kept += hi - lo
        elif hi > lo:
            bucket = bucketed[lo:hi]
            take = min(k, hi - lo)
            if take < hi - lo:  # the first k, in no order
                _select_first(bucket, take, negated, j)
            _sort_bucket(bucket[:take], scratch, negated, j)
            kept[n_kept : n_kept + take] = bucket[:take]
            n_kept += take
    return kept[:n_kept]


@njit(cache=True, nogil=True, inline="always")
def _median_of_three(a, b, c, negated, j):
    """The middle one of entries ``a``, ``b``, ``c`` in :func:`_ranks_first`'s order."""
    if _ranks_first(b, a, negated, j):
        a, b = b, a
    if not _ranks_first(c, b, negated, j):
        return b
    return c if _ranks_first(a, c, negated, j) else a


@njit(cache=True, nogil=True)
def _select_first(bucket, k, negated, j):
    """Reorder ``bucket`` so that its first ``k`` entries are the first ``k`` of
    :func:`_ranks_first`'s order, in no particular order (quickselect: Hoare
    partitions around a median of three, on the side that holds position ``k - 1``).
    A row of a thousand entries is not sorted whole to keep thirty."""
    target = k - 1
    lo, hi = 0, bucket.size - 1
    while lo < hi:
        pivot = _median_of_three(bucket[lo], bucket[(lo + hi) // 2], bucket[hi], negated, j)
        x, y = lo, hi
        while x <= y:
            while _ranks_first(bucket[x], pivot, negated, j):
                x += 1
            while _ranks_first(pivot, bucket[y], negated, j):
                y -= 1
            if x <= y:
                bucket[x], bucket[y] = bucket[y], bucket[x]
                x += 1
                y -= 1
        if target <= y:
            hi = y
        elif target >= x:
            lo = x
        else:
            return


def top_per_row_order(
    i: np.ndarray,
    j: np.ndarray,
    similarity: np.ndarray,
    k: int | np.ndarray,
    in_order: bool = True,
) -> np.ndarray:
    """Positions of the ``k`` most similar entries of each ``i`` (lower ``j`` first
    among equals, then the earlier entry), sorted by ``i``, similarity (descending)
    and ``j``: ``np.lexsort((j, -similarity, i))`` less all but the first ``k`` of
    each ``i``. With ``in_order=False`` the entries of an ``i`` with at most ``k``
    are left in their own order (not sorted). ``i`` and ``j`` are non-negative
    integers; ``similarity`` holds no NaN. ``k`` is one count for every ``i``, or
    an array of one count per row number (``k[i]``; at least ``i.max() + 1`` long).

    >>> top_per_row_order(np.array([1, 0, 1, 1]), np.array([5, 6, 7, 8]),
    ...                   np.array([0.2, 0.1, 0.9, 0.2]), 2).tolist()
    [1, 2, 0]
    """
    if i.size == 0:
        return np.zeros(0, dtype=np.int64)
    n_rows = int(i.max()) + 1
    per_row = np.ndim(k) > 0
    row_limits = np.asarray(k, dtype=np.int64).reshape(-1)
    if per_row and row_limits.size < n_rows:
        raise ValueError(
            f"k holds {row_limits.size} counts but i numbers {n_rows} rows: "
            "give one count per row, or one count for all"
        )
    return _top_order(
        np.asarray(i, dtype=np.int64),
        np.asarray(j, dtype=np.int64),
        -np.asarray(similarity),
        row_limits,
        per_row,
        n_rows,
        bool(in_order),
    )

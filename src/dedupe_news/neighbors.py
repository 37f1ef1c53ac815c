"""Rewrite candidates: sparse nearest-neighbour search over TF-IDF rows within a date window.

Rewrites of one story share few 5-word shingles but many distinctive terms
(names, places, numbers), which TF-IDF cosine sees (rows from
:mod:`dedupe_news.weighting`).

The neighbour search never builds an N x N matrix: articles are sorted by date
and compared chunk by chunk with the articles inside the date window only, and
each article keeps at most ``max_neighbors`` neighbours above a floor. Memory is
linear in N; time is linear in N times the number of articles per window. Terms
common to many articles are left out of the search (:mod:`dedupe_news.neighbor_probe`,
whose names import from here too).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator

import numpy as np
import scipy.sparse as sp

from .neighbor_probe import PROBE_FLOOR_FACTOR, probe_matrix, probe_max_df
from .parallel import map_tasks

__all__ = [
    "COLUMNS_PER_BLOCK",
    "COMPILED_MIN_ENTRIES",
    "PROBE_FLOOR_FACTOR",
    "PRODUCTS_PER_CHUNK",
    "cosine_neighbor_pairs",
    "probe_max_df",
    "probe_matrix",
    "row_block_neighbors",
    "search_block",
    "unique_pairs",
    "window_blocks",
    "window_neighbors",
]

_CELLS_PER_CHUNK = 10_000_000

COMPILED_MIN_ENTRIES = 20_000
"""From this many entries on, each row's top neighbours are picked by the compiled
loop (:mod:`~dedupe_news.neighbors_kernel`) when numba is installed: the same pairs
in the same order as the lexsort, many times faster."""

_NUMBA_INSTALLED = importlib.util.find_spec("numba") is not None


def cosine_neighbor_pairs(
    matrix: sp.csr_matrix,
    days: np.ndarray,
    *,
    window_days: float,
    min_similarity: float,
    max_neighbors: int | np.ndarray,
    probe_max_df: int | None = None,
    n_jobs: int | None = 1,
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate rewrite pairs: each article's most similar neighbours in its date window.

    With every term searched, these are the pairs with cosine at least
    ``min_similarity``; with common terms left out (``probe_max_df``), the floor is
    applied to the cosine over the remaining terms, at ``PROBE_FLOOR_FACTOR`` times
    ``min_similarity``, and exact scores are computed later for the candidates.

    Parameters
    ----------
    matrix : csr_matrix, shape (n, n_terms)
        L2-normalised TF-IDF rows.
    days : ndarray of float, shape (n,)
        Publication day numbers, NaN when unknown. Dated articles are compared only
        with articles at most ``window_days`` apart and with undated articles.
    window_days : float
        The date window.
    min_similarity : float
        Cosine floor for a pair to be a candidate.
    max_neighbors : int or ndarray of int
        Each article keeps its ``max_neighbors`` most similar neighbours (the
        lower article index first among equally similar ones); an array gives
        each row its own count (``max_neighbors[i]`` for row ``i``).
    probe_max_df : int, optional
        Terms in more than this many articles are left out of the search (not of
        the scores): see :func:`probe_max_df`. None searches with every term.
    n_jobs : int, optional
        Processes to use (-1: every core). The result does not depend on it.
    progress : callable, optional
        Called with the number of rows finished after each block of rows.

    Returns
    -------
    i, j, similarity : ndarrays
        Unique pairs with ``i < j``, and their cosine similarity over the searched
        terms (the full cosine when no term was left out).
    """
    probe, floor = probe_matrix(matrix, min_similarity, probe_max_df)
    i, j, s = window_neighbors(
        probe,
        days,
        floor=floor,
        window_days=window_days,
        max_neighbors=max_neighbors,
        n_jobs=n_jobs,
        progress=progress,
    )
    return unique_pairs(matrix.shape[0], i, j, s)


def unique_pairs(n: int, i: np.ndarray, j: np.ndarray, similarity: np.ndarray):
    """Pairs ``(i, j)`` as unique ``i < j`` pairs in code order, similarity clipped to [0, 1]."""
    if i.size == 0:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty, np.zeros(0)
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    codes, first = np.unique(lo.astype(np.int64) * n + hi, return_index=True)
    similarity = np.clip(similarity[first].astype(np.float64), 0.0, 1.0)
    return (codes // n).astype(np.intp), (codes % n).astype(np.intp), similarity


def window_neighbors(
    probe: sp.csr_matrix,
    days: np.ndarray,
    *,
    floor: float,
    window_days: float,
    max_neighbors: int | np.ndarray,
    rows: np.ndarray | None = None,
    n_jobs: int | None = 1,
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's ``max_neighbors`` most similar rows of ``probe`` in its date window.

    The rows are sorted by date once; the search then runs over blocks of rows (a
    day or so) against blocks of at most ``COLUMNS_PER_BLOCK`` columns of their
    window, in row chunks of bounded product size. Memory for the search is thus
    bounded by constants, not by how many articles share a window, and the tasks
    handed to the workers are four integers each; the sorted matrix is shared with
    forked workers, not copied. Equally similar neighbours are kept lower index
    first, so the result does not depend on the blocking or on ``n_jobs``.

    Parameters
    ----------
    probe : csr_matrix
        The rows to compare (products are cosines over their terms).
    days : ndarray of float
        Day numbers, NaN when unknown (undated rows are compared with every row).
    floor : float
        Least product for a neighbour.
    rows : ndarray of bool, optional
        Only these rows' neighbours are searched (all rows are candidates).

    Returns
    -------
    i, j, similarity : ndarrays
        Directed pairs: ``j`` is among the neighbours of ``i`` (unordered, possibly
        both ways; see :func:`unique_pairs`).
    """
    found = list(
        row_block_neighbors(probe, days, floor, window_days, max_neighbors, rows, n_jobs, progress)
    )
    if not found:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty, np.zeros(0)
    i, j, s = (np.concatenate(parts) for parts in zip(*found, strict=True))
    return _top_per_row(i, j, s, max_neighbors)


def row_block_neighbors(
    probe: sp.csr_matrix,
    days: np.ndarray,
    floor: float,
    window_days: float,
    max_neighbors: int | np.ndarray,
    rows: np.ndarray | None = None,
    n_jobs: int | None = 1,
    progress: Callable[[int], None] | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The pairs of :func:`window_neighbors` (same arguments), a block of rows at a
    time as each is searched: directed pairs ``i, j, similarity``, each row's top
    ``max_neighbors``, unordered; every row is in one block."""
    order = _date_order(days)
    sorted_probe = probe[order]
    state = {
        "probe": sorted_probe,
        "order": order,
        "days": days[order],
        "floor": floor,
        "window_days": window_days,
        "max_neighbors": max_neighbors,
        "rows": None if rows is None else rows[order],
    }
    n_dated = int(np.count_nonzero(~np.isnan(days)))
    tasks = list(_search_tasks(state["days"][:n_dated], order.size, window_days))
    row_block: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for (_, stop, _, _, last), result in zip(
        tasks, map_tasks(_search_sorted, tasks, state=state, n_jobs=n_jobs), strict=True
    ):
        row_block.append(result)
        if last:
            # A row block's rows are in no other block: keep their top neighbours over
            # all its column blocks now, not every column block's (4 x 30 per row at
            # 35,000 articles a day, 2.4 GB at 1M articles).
            parts = (np.concatenate(part) for part in zip(*row_block, strict=True))
            yield _top_per_row(*parts, max_neighbors, in_order=False)
            row_block = []
            if progress:
                progress(stop)


COLUMNS_PER_BLOCK = 100_000
"""Most columns (window articles) one search task multiplies against."""

PRODUCTS_PER_CHUNK = 4_000_000
"""Most multiply-adds (an upper bound on the product's entries) per row chunk."""


def _date_order(days: np.ndarray) -> np.ndarray:
    """Dated rows by day (stable), then the undated ones."""
    dated = ~np.isnan(days)
    dated_idx = np.flatnonzero(dated)
    dated_idx = dated_idx[np.argsort(days[dated_idx], kind="stable")]
    return np.concatenate([dated_idx, np.flatnonzero(~dated)])


def _search_tasks(dated_days: np.ndarray, n: int, window_days: float):
    """Tasks ``(row_start, row_stop, col_start, col_stop, last)`` over sorted positions.

    Rows come in blocks spanning a quarter of the window (at least a quarter day);
    each is searched against its window and the undated rows, split into column
    blocks; ``last`` marks a row block's last task. Undated rows search every row.
    """
    n_dated = dated_days.size
    span = max(window_days, 1.0) / 4
    start = 0
    while start < n_dated:
        stop = int(np.searchsorted(dated_days, dated_days[start] + span, side="right"))
        lo = int(np.searchsorted(dated_days, dated_days[start] - window_days, side="left"))
        hi = int(np.searchsorted(dated_days, dated_days[stop - 1] + window_days, side="right"))
        columns = [(lo, hi), (n_dated, n)]
        yield from _column_blocks(start, stop, columns)
        start = stop
    if n_dated < n:
        yield from _column_blocks(n_dated, n, [(0, n)])


def _column_blocks(start: int, stop: int, ranges: list[tuple[int, int]]):
    blocks = [
        (lo, min(lo + COLUMNS_PER_BLOCK, hi))
        for first, hi in ranges
        for lo in range(first, hi, COLUMNS_PER_BLOCK)
    ]
    for k, (lo, hi) in enumerate(blocks):
        yield start, stop, lo, hi, k == len(blocks) - 1


def _search_sorted(state: dict, task: tuple[int, int, int, int, bool]):
    """One task of :func:`window_neighbors`: a row block against a column block."""
    start, stop, col_start, col_stop, _ = task
    probe, order, days = state["probe"], state["order"], state["days"]
    columns = probe[col_start:col_stop].T.tocsr()
    rows = probe[start:stop]
    # Multiply-adds per row: the column block's postings of each of its terms.
    postings = np.diff(columns.indptr)[rows.indices]
    cumulative = np.r_[0, np.cumsum(postings, dtype=np.int64)][rows.indptr]
    found = []
    chunk = 0
    while chunk < stop - start:
        end = int(np.searchsorted(cumulative, cumulative[chunk] + PRODUCTS_PER_CHUNK, side="right"))
        end = min(max(end - 1, chunk + 1), stop - start)
        block = (rows[chunk:end] @ columns).tocoo()
        keep = block.data >= state["floor"]
        r, c, sims = block.row[keep] + chunk, block.col[keep], block.data[keep]
        if state["rows"] is not None:
            wanted = state["rows"][start + r]
            r, c, sims = r[wanted], c[wanted], sims[wanted]
        a, b = start + r, col_start + c
        gap = np.abs(days[a] - days[b])
        keep = (a != b) & ~(gap > state["window_days"])  # NaN: unknown
        found.append(
            _top_per_row(
                order[a[keep]], order[b[keep]], sims[keep], state["max_neighbors"], in_order=False
            )
        )
        chunk = end
    i, j, s = (np.concatenate(parts) for parts in zip(*found, strict=True))
    return i, j, s


def _top_per_row(
    i: np.ndarray,
    j: np.ndarray,
    similarity: np.ndarray,
    k: int | np.ndarray,
    in_order: bool = True,
):
    """The ``k`` most similar pairs per ``i``, lower ``j`` first among equals, sorted
    by ``i``, similarity (descending) and ``j``; with ``in_order=False``, the same
    pairs in any order (the pairs of a row with at most ``k`` are then not sorted).
    ``k`` is one count, or an array of one per row number (``k[i]``)."""
    if np.ndim(k) and i.size and np.size(k) <= i.max():
        raise ValueError(f"{np.size(k)} neighbour counts for rows up to {i.max()}: give one a row")
    if _NUMBA_INSTALLED and i.size >= COMPILED_MIN_ENTRIES and not np.isnan(similarity).any():
        from .neighbors_kernel import top_per_row_order

        top = top_per_row_order(i, j, similarity, k, in_order)
        return i[top], j[top], similarity[top]
    if not in_order and i.size:
        crowded = np.bincount(i)[i] > (k if np.ndim(k) == 0 else np.asarray(k)[i])
        if not crowded.all():
            top = _top_per_row(i[crowded], j[crowded], similarity[crowded], k)
            few = ~crowded
            return tuple(
                np.concatenate([part, rest[few]])
                for part, rest in zip(top, (i, j, similarity), strict=True)
            )
    order = np.lexsort((j, -similarity, i))
    i, j, similarity = i[order], j[order], similarity[order]
    first = np.searchsorted(i, i, side="left")
    limit = k if np.ndim(k) == 0 else np.asarray(k)[i]
    top = np.arange(i.size) - first < limit
    return i[top], j[top], similarity[top]


def window_blocks(days: np.ndarray, window_days: float) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Blocks of (rows, columns) to compare: each chunk of rows against its date window.

    Undated articles may match anything, so they are compared with every article,
    and every dated article is also compared with the undated ones. The blocks are
    yielded one at a time (each holds its own copy of its window's indices);
    :func:`window_neighbors` searches without building them.
    """
    n = days.size
    dated = ~np.isnan(days)
    undated_idx = np.flatnonzero(~dated)
    dated_idx = np.flatnonzero(dated)
    dated_idx = dated_idx[np.argsort(days[dated_idx], kind="stable")]
    dated_days = days[dated_idx]
    every = np.arange(n)
    step = max(1, _CELLS_PER_CHUNK // max(n, 1))
    for start in range(0, undated_idx.size, step):
        yield undated_idx[start : start + step], every
    start = 0
    while start < dated_idx.size:
        lo_day = dated_days[start]
        lo = np.searchsorted(dated_days, lo_day - window_days, side="left")
        width = np.searchsorted(dated_days, lo_day + 2 * window_days, side="right") - lo
        step = max(1, _CELLS_PER_CHUNK // max(width + undated_idx.size, 1))
        stop = min(start + step, dated_idx.size)
        hi = np.searchsorted(dated_days, dated_days[stop - 1] + window_days, side="right")
        yield dated_idx[start:stop], np.concatenate([dated_idx[lo:hi], undated_idx])
        start = stop


def search_block(state: dict, task: tuple[np.ndarray, np.ndarray]):
    """Pairs of ``rows`` x ``cols`` above the floor, in the window, top-k per row."""
    rows, cols = task
    probe, days = state["probe"], state["days"]
    block = (probe[rows] @ probe[cols].T).tocoo()
    keep = block.data >= state["floor"]
    r, c, sims = block.row[keep], block.col[keep], block.data[keep]
    a, b = rows[r], cols[c]
    keep = (a != b) & ~(np.abs(days[a] - days[b]) > state["window_days"])  # NaN: unknown
    return _top_per_row(a[keep], b[keep], sims[keep], state["max_neighbors"])

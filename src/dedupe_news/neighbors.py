"""Rewrite candidates: sparse nearest-neighbour search over TF-IDF rows within a date window.

Rewrites of one story share few 5-word shingles but many distinctive terms
(names, places, numbers), which TF-IDF cosine sees (rows from
:mod:`dedupe_news.weighting`).

The neighbour search never builds an N x N matrix: articles are sorted by date
and compared chunk by chunk with the articles inside the date window only, and
each article keeps at most ``max_neighbors`` neighbours above a floor. Memory is
linear in N; time is linear in N times the number of articles per window.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from .parallel import map_tasks

__all__ = [
    "PROBE_FLOOR_FACTOR",
    "cosine_neighbor_pairs",
    "probe_max_df",
    "search_block",
    "window_blocks",
]

_CELLS_PER_CHUNK = 10_000_000
_PROBE_MIN_DF = 500
_PROBE_DF_SHARE = 0.005
PROBE_FLOOR_FACTOR = 0.5
"""The search floor over the probe terms, as a share of ``min_similarity``."""


def cosine_neighbor_pairs(
    matrix: sp.csr_matrix,
    days: np.ndarray,
    *,
    window_days: float,
    min_similarity: float,
    max_neighbors: int,
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
    max_neighbors : int
        Each article keeps its ``max_neighbors`` most similar neighbours.
    probe_max_df : int, optional
        Terms in more than this many articles are left out of the search (not of
        the scores): see :func:`probe_max_df`. None searches with every term.
    n_jobs : int, optional
        Processes to use (-1: every core). The result does not depend on it.
    progress : callable, optional
        Called with the number of rows finished after each chunk.

    Returns
    -------
    i, j, similarity : ndarrays
        Unique pairs with ``i < j``, and their cosine similarity over the searched
        terms (the full cosine when no term was left out).
    """
    n = matrix.shape[0]
    tasks = window_blocks(days, window_days)
    probe, floor = _probe(matrix, min_similarity, probe_max_df)
    state = {
        "probe": probe,
        "floor": floor,
        "days": days,
        "window_days": window_days,
        "max_neighbors": max_neighbors,
    }
    found_i: list[np.ndarray] = []
    found_j: list[np.ndarray] = []
    found_s: list[np.ndarray] = []
    done = 0
    for (rows, _), (i, j, sims) in zip(
        tasks, map_tasks(search_block, tasks, state=state, n_jobs=n_jobs), strict=True
    ):
        found_i.append(i)
        found_j.append(j)
        found_s.append(sims)
        done += rows.size
        if progress:
            progress(done)
    if not found_i:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty, np.zeros(0)
    i = np.concatenate(found_i)
    j = np.concatenate(found_j)
    s = np.concatenate(found_s).astype(np.float64)
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    codes, first = np.unique(lo.astype(np.int64) * n + hi, return_index=True)
    return (codes // n).astype(np.intp), (codes % n).astype(np.intp), np.clip(s[first], 0.0, 1.0)


def probe_max_df(n_articles: int) -> int:
    """Document frequency above which a term is left out of the neighbour search.

    A term in more than 0.5% of the articles (and at least 500 of them), such as
    "said" or "police", cannot tell one story from another, yet it makes the sparse
    product nearly dense: every pair of articles that use it must be multiplied.
    Leaving such terms out of the *search* cut its time 8-20x on 60k synthetic
    Reuters/BBC articles; pair *scores* still use every term. Below 100k articles
    the cap is 500, so small corpora lose only terms in more than 500 articles.

    >>> probe_max_df(1000), probe_max_df(1_000_000)
    (500, 5000)
    """
    return max(_PROBE_MIN_DF, int(_PROBE_DF_SHARE * n_articles))


def _probe(matrix: sp.csr_matrix, min_similarity: float, max_df: int | None):
    """The matrix the search multiplies, and the similarity floor to apply to it.

    Without common terms the product is a partial cosine, lower than the full one,
    so the floor is lowered by ``PROBE_FLOOR_FACTOR``; exact scores come later.
    """
    if max_df is None:
        return matrix, min_similarity
    common = np.bincount(matrix.indices, minlength=matrix.shape[1]) > max_df
    if not common.any():
        return matrix, min_similarity
    probe = matrix.copy()
    probe.data[common[probe.indices]] = 0
    probe.eliminate_zeros()
    return probe, min_similarity * PROBE_FLOOR_FACTOR


def window_blocks(days: np.ndarray, window_days: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """Blocks of (rows, columns) to compare: each chunk of rows against its date window.

    Undated articles may match anything, so they are compared with every article,
    and every dated article is also compared with the undated ones.
    """
    n = days.size
    dated = ~np.isnan(days)
    undated_idx = np.flatnonzero(~dated)
    dated_idx = np.flatnonzero(dated)
    dated_idx = dated_idx[np.argsort(days[dated_idx], kind="stable")]
    dated_days = days[dated_idx]
    tasks = []
    every = np.arange(n)
    step = max(1, _CELLS_PER_CHUNK // max(n, 1))
    for start in range(0, undated_idx.size, step):
        tasks.append((undated_idx[start : start + step], every))
    start = 0
    while start < dated_idx.size:
        lo_day = dated_days[start]
        lo = np.searchsorted(dated_days, lo_day - window_days, side="left")
        width = np.searchsorted(dated_days, lo_day + 2 * window_days, side="right") - lo
        step = max(1, _CELLS_PER_CHUNK // max(width + undated_idx.size, 1))
        stop = min(start + step, dated_idx.size)
        hi = np.searchsorted(dated_days, dated_days[stop - 1] + window_days, side="right")
        tasks.append((dated_idx[start:stop], np.concatenate([dated_idx[lo:hi], undated_idx])))
        start = stop
    return tasks


def search_block(state: dict, task: tuple[np.ndarray, np.ndarray]):
    """Pairs of ``rows`` x ``cols`` above the floor, in the window, top-k per row."""
    rows, cols = task
    probe, days = state["probe"], state["days"]
    block = (probe[rows] @ probe[cols].T).tocoo()
    keep = block.data >= state["floor"]
    r, c, sims = block.row[keep], block.col[keep], block.data[keep]
    a, b = rows[r], cols[c]
    keep = (a != b) & ~(np.abs(days[a] - days[b]) > state["window_days"])  # NaN: unknown
    r, a, b, sims = r[keep], a[keep], b[keep], sims[keep]
    # The max_neighbors most similar per row: sort by row, then by similarity.
    order = np.lexsort((-sims, r))
    r, a, b, sims = r[order], a[order], b[order], sims[order]
    first = np.searchsorted(r, r, side="left")
    top = np.arange(r.size) - first < state["max_neighbors"]
    return a[top], b[top], sims[top]

"""The windowed neighbour search against the block-by-block search and a dense reference."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe_news import neighbor_probe, neighbors
from dedupe_news.neighbors import (
    search_block,
    unique_pairs,
    window_blocks,
    window_neighbors,
)


def _corpus(seed: int, n: int, n_terms: int, n_days: int, undated: float, copies: float):
    rng = np.random.default_rng(seed)
    matrix = sp.random(n, n_terms, density=8 / n_terms, random_state=rng, format="csr")
    source = np.arange(n)  # some rows are exact copies of an earlier row: ties
    for row in np.flatnonzero(rng.random(n) < copies):
        source[row] = source[rng.integers(0, row)] if row else 0
    matrix = sp.csr_matrix(matrix[source])
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
    norms[norms == 0] = 1
    matrix = sp.csr_matrix(sp.diags(1 / norms) @ matrix)
    days = rng.integers(0, n_days, n).astype(float)
    days[rng.random(n) < undated] = np.nan
    return matrix, days


def _by_blocks(probe, days, floor, window_days, k):
    """The search as the Spark engine runs it: window_blocks then search_block."""
    state = {
        "probe": probe,
        "floor": floor,
        "days": days,
        "window_days": window_days,
        "max_neighbors": k,
    }
    found = [search_block(state, task) for task in window_blocks(days, window_days)]
    i, j, s = (np.concatenate(p) for p in zip(*found, strict=True))
    return unique_pairs(days.size, i, j, s)


def _dense_reference(probe, days, floor, window_days, k):
    similarity = (probe @ probe.T).toarray()
    gap = np.abs(days[:, None] - days[None, :])
    allowed = ~(gap > window_days) & (similarity >= floor)
    np.fill_diagonal(allowed, False)
    i_all, j_all, s_all = [], [], []
    for row in range(days.size):
        cols = np.flatnonzero(allowed[row])
        limit = k if np.ndim(k) == 0 else k[row]
        cols = cols[np.lexsort((cols, -similarity[row, cols]))][:limit]
        i_all += [row] * cols.size
        j_all += cols.tolist()
        s_all += similarity[row, cols].tolist()
    return unique_pairs(days.size, np.array(i_all, int), np.array(j_all, int), np.array(s_all))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(2, 120),
    n_days=st.integers(1, 30),
    window_days=st.sampled_from([0.0, 1.0, 3.0, np.inf]),
    undated=st.sampled_from([0.0, 0.1]),
    k=st.integers(1, 6),
    per_row=st.booleans(),
)
def test_window_neighbors_equals_the_block_search_and_a_dense_reference(
    seed, n, n_days, window_days, undated, k, per_row, monkeypatch_module
):
    matrix, days = _corpus(seed, n, 60, n_days, undated, copies=0.2)
    if per_row:  # each row its own count, 0 among them
        k = np.random.default_rng(seed).integers(0, k + 1, n)
    # Tiny blocks and chunks, so that the blocking matters.
    monkeypatch_module.setattr(neighbors, "COLUMNS_PER_BLOCK", 7)
    monkeypatch_module.setattr(neighbors, "PRODUCTS_PER_CHUNK", 20)
    i, j, s = unique_pairs(
        n, *window_neighbors(matrix, days, floor=0.1, window_days=window_days, max_neighbors=k)
    )
    bi, bj, bs = _by_blocks(matrix, days, 0.1, window_days, k)
    assert i.tolist() == bi.tolist() and j.tolist() == bj.tolist()
    assert s.tolist() == bs.tolist()  # the same products, bit for bit
    ri, rj, rs = _dense_reference(matrix, days, 0.1, window_days, k)
    assert i.tolist() == ri.tolist() and j.tolist() == rj.tolist()
    np.testing.assert_allclose(s, rs, rtol=1e-12)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_window_neighbors_does_not_depend_on_n_jobs():
    matrix, days = _corpus(3, 400, 80, 10, 0.05, copies=0.1)
    one = window_neighbors(matrix, days, floor=0.1, window_days=2.0, max_neighbors=3)
    two = window_neighbors(matrix, days, floor=0.1, window_days=2.0, max_neighbors=3, n_jobs=2)
    for a, b in zip(one, two, strict=True):
        assert a.tolist() == b.tolist()


def test_window_neighbors_searches_only_the_rows_asked_for():
    matrix, days = _corpus(5, 200, 40, 5, 0.0, copies=0.1)
    wanted = np.zeros(200, dtype=bool)
    wanted[::3] = True
    i, j, _ = window_neighbors(
        matrix, days, floor=0.1, window_days=2.0, max_neighbors=4, rows=wanted
    )
    every_i, every_j, _ = window_neighbors(
        matrix, days, floor=0.1, window_days=2.0, max_neighbors=4
    )
    assert wanted[i].all()
    assert set(zip(i.tolist(), j.tolist())) == {
        (a, b) for a, b in zip(every_i.tolist(), every_j.tolist()) if wanted[a]
    }


def _reference_probe(matrix: sp.csr_matrix, max_df: int) -> sp.csr_matrix:
    """The probe as first written: a copy with the common terms' entries zeroed out."""
    common = np.bincount(matrix.indices, minlength=matrix.shape[1]) > max_df
    probe = matrix.copy()
    probe.data[common[probe.indices]] = 0
    probe.eliminate_zeros()
    return probe


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 60), st.integers(1, 12))
def test_the_probe_search_leaves_out_exactly_the_common_terms(seed, n, max_df):
    matrix, days = _corpus(seed, n, n_terms=30, n_days=4, undated=0.2, copies=0.2)
    floor = 0.3 * neighbor_probe.PROBE_FLOOR_FACTOR
    expected = unique_pairs(
        n,
        *window_neighbors(
            _reference_probe(matrix, max_df), days, floor=floor, window_days=1.0, max_neighbors=3
        ),
    )
    got = neighbors.cosine_neighbor_pairs(
        matrix, days, window_days=1.0, min_similarity=0.3, max_neighbors=3, probe_max_df=max_df
    )
    if not (np.bincount(matrix.indices, minlength=30) > max_df).any():
        # No common term: the search runs on the full matrix at the full floor.
        expected = unique_pairs(
            n, *window_neighbors(matrix, days, floor=0.3, window_days=1.0, max_neighbors=3)
        )
    for a, b in zip(got, expected, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("entries_per_chunk", [1, 7, 1 << 24])
def test_the_probe_is_the_same_whatever_the_counting_chunk(monkeypatch, entries_per_chunk):
    monkeypatch.setattr(neighbor_probe, "_ENTRIES_PER_CHUNK", entries_per_chunk)
    for seed in range(5):
        matrix, days = _corpus(seed, 40, n_terms=30, n_days=4, undated=0.2, copies=0.2)
        expected = unique_pairs(
            40,
            *window_neighbors(
                _reference_probe(matrix, 3),
                days,
                floor=0.3 * neighbor_probe.PROBE_FLOOR_FACTOR,
                window_days=1.0,
                max_neighbors=3,
            ),
        )
        got = neighbors.cosine_neighbor_pairs(
            matrix, days, window_days=1.0, min_similarity=0.3, max_neighbors=3, probe_max_df=3
        )
        for a, b in zip(got, expected, strict=True):
            assert np.array_equal(a, b)

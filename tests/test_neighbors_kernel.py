"""The compiled top-k per row against the lexsort it replaces."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("numba")

from dedupe_news import neighbors, neighbors_kernel  # noqa: E402
from dedupe_news.neighbors import cosine_neighbor_pairs  # noqa: E402
from dedupe_news.neighbors_kernel import top_per_row_order  # noqa: E402

# Few distinct values: many ties, signed zeros among them (lexsort holds them equal).
SIMILARITIES = st.sampled_from([0.0, -0.0, 0.25, 0.5, 0.5000001, 1.0, -1.0])


def lexsort_top(i, j, similarity, k) -> np.ndarray:
    """The slow exact reference: lexsort, then the first ``k`` of each ``i``."""
    order = np.lexsort((j, -similarity, i))
    first = np.searchsorted(i[order], i[order], side="left")
    limit = k if np.ndim(k) == 0 else k[i[order]]
    return order[np.arange(order.size) - first < limit]


entries = st.integers(0, 80).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 12), min_size=n, max_size=n),
        st.lists(st.integers(0, 30), min_size=n, max_size=n),
        st.lists(SIMILARITIES, min_size=n, max_size=n),
    )
)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(entries, st.integers(1, 6), st.sampled_from([np.float32, np.float64]))
def test_top_per_row_order_is_the_lexsorts(drawn, k, dtype):
    i, j, similarity = (np.array(x) for x in drawn)
    i, j = i.astype(np.intp), j.astype(np.intp)
    similarity = similarity.astype(dtype)
    expected = lexsort_top(i, j, similarity, k)
    np.testing.assert_array_equal(top_per_row_order(i, j, similarity, k), expected)
    # Out of order, the same entries: sorted as before where a row has more than k.
    loose = top_per_row_order(i, j, similarity, k, in_order=False)
    assert sorted(loose.tolist()) == sorted(expected.tolist())
    crowded = np.bincount(i)[i[loose]] > k if i.size else loose
    np.testing.assert_array_equal(loose[crowded], expected[np.bincount(i)[i[expected]] > k])


@settings(max_examples=200, derandomize=True, deadline=None)
@given(entries, st.lists(st.integers(0, 6), min_size=13, max_size=13), st.booleans())
def test_top_per_row_order_takes_a_count_per_row(drawn, counts, in_order):
    i, j, similarity = (np.array(x) for x in drawn)
    i, j = i.astype(np.intp), j.astype(np.intp)
    similarity = similarity.astype(np.float64)
    k = np.array(counts)  # rows 0..12, some kept whole, some not at all
    expected = lexsort_top(i, j, similarity, k)
    found = top_per_row_order(i, j, similarity, k, in_order=in_order)
    if in_order:
        np.testing.assert_array_equal(found, expected)
    else:
        assert sorted(found.tolist()) == sorted(expected.tolist())
    plain = neighbors._top_per_row(i, j, similarity, k, in_order=in_order)
    assert sorted(zip(*(x.tolist() for x in plain), strict=True)) == sorted(
        zip(i[expected].tolist(), j[expected].tolist(), similarity[expected].tolist(), strict=True)
    )


@settings(max_examples=100, derandomize=True, deadline=None)
@given(entries, st.integers(1, 6), st.booleans())
def test_top_per_row_gives_the_same_pairs_with_and_without_the_kernel(drawn, k, in_order):
    i, j, similarity = (np.array(x) for x in drawn)
    i, j = i.astype(np.intp), j.astype(np.intp)
    similarity = similarity.astype(np.float32)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(neighbors, "COMPILED_MIN_ENTRIES", 0)
        compiled = neighbors._top_per_row(i, j, similarity, k, in_order=in_order)
        patch.setattr(neighbors, "_NUMBA_INSTALLED", False)
        plain = neighbors._top_per_row(i, j, similarity, k, in_order=in_order)
    if in_order:
        for a, b in zip(compiled, plain, strict=True):
            assert a.tobytes() == b.tobytes()
    else:  # the same entries, in any order
        key = [sorted(zip(*(x.tolist() for x in part), strict=True)) for part in (compiled, plain)]
        assert key[0] == key[1]


def test_the_neighbour_search_finds_the_same_pairs_with_and_without_the_kernel(monkeypatch):
    rng = np.random.default_rng(11)
    matrix = sp.random(3000, 400, density=0.03, format="csr", random_state=rng, dtype=np.float32)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    matrix = sp.csr_matrix(sp.diags(1.0 / np.maximum(norms, 1e-9)) @ matrix, dtype=np.float32)
    days = rng.integers(0, 20, 3000).astype(np.float64)
    days[rng.random(3000) < 0.05] = np.nan
    settings_ = dict(window_days=3.0, min_similarity=0.02, max_neighbors=7, probe_max_df=120)
    monkeypatch.setattr(neighbors, "COMPILED_MIN_ENTRIES", 1000)
    calls = []
    monkeypatch.setattr(
        neighbors_kernel, "top_per_row_order", lambda *a: calls.append(1) or top_per_row_order(*a)
    )
    compiled = cosine_neighbor_pairs(matrix, days, **settings_)
    assert calls
    monkeypatch.setattr(neighbors, "_NUMBA_INSTALLED", False)
    plain = cosine_neighbor_pairs(matrix, days, **settings_)
    assert compiled[0].size > 3000  # crowded rows: the top 7 are picked among many
    for a, b in zip(compiled, plain, strict=True):
        assert a.tobytes() == b.tobytes()


def test_a_count_per_row_must_cover_every_row():
    i, j, similarity = np.array([0, 4, 4]), np.array([1, 2, 3]), np.array([0.5, 0.4, 0.3])
    for top in (top_per_row_order, neighbors._top_per_row):
        with pytest.raises(ValueError, match="one"):
            top(i, j, similarity, np.array([1, 1, 1]))
    # One count in an array is the count of row 0 only, not of every row.
    assert top_per_row_order(np.array([0, 0]), j[:2], similarity[:2], np.array([1])).tolist() == [0]

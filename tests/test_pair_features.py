"""Fast paths of the pair-feature layer against the general sparse computation."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe_news.pair_features import cosine_similarity_pairs

N_COLUMNS = 24
# Values whose products may underflow to zero, be exact, or round.
VALUES = st.one_of(
    st.sampled_from([0.0, 0.0, 1e-30, 1e-20, 0.5, 1.0]), st.floats(0.0625, 1.0, width=32)
)


def general_cosines(left, i, right, j) -> np.ndarray:
    """The elementwise product summed per row: the general path, pair by pair."""
    sums = np.asarray(left[i].multiply(right[j]).sum(axis=1)).ravel()
    return np.clip(sums.astype(np.float64), 0.0, 1.0)


def unit_rows(rows: list[list[float]]) -> sp.csr_matrix:
    """Rows scaled to unit L2 norm in float32, as TF-IDF rows are (cosines stay below 1)."""
    dense = np.array(rows, dtype=np.float32)
    norms = np.sqrt((dense.astype(np.float64) ** 2).sum(axis=1, keepdims=True))
    return sp.csr_matrix((dense / np.where(norms > 0, norms, 1.0)).astype(np.float32))


matrices = st.lists(
    st.lists(VALUES, min_size=N_COLUMNS, max_size=N_COLUMNS), min_size=1, max_size=6
).map(unit_rows)


@settings(max_examples=150, derandomize=True, deadline=None)
@given(matrices, matrices, st.data())
def test_one_row_against_many_equals_the_general_path_bit_for_bit(left, right, data):
    row = data.draw(st.integers(0, left.shape[0] - 1))
    j = np.array(
        data.draw(st.lists(st.integers(0, right.shape[0] - 1), min_size=1, max_size=12)),
        dtype=np.intp,
    )
    i = np.full(j.size, row, dtype=np.intp)
    got = cosine_similarity_pairs(left, i, right, j)
    assert got.tobytes() == general_cosines(left, i, right, j).tobytes()


def spread(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """The same rows in a wide column space where many columns share their low bits."""
    columns = matrix.indices.astype(np.int64) * 2**16 + matrix.indices % 3
    return sp.csr_matrix(
        (matrix.data, columns, matrix.indptr), shape=(matrix.shape[0], N_COLUMNS * 2**16)
    )


@settings(max_examples=100, derandomize=True, deadline=None)
@given(matrices, matrices, st.data())
def test_one_row_path_in_a_wide_column_space_equals_the_general_path(left, right, data):
    left, right = spread(left), spread(right)
    row = data.draw(st.integers(0, left.shape[0] - 1))
    first = data.draw(st.integers(0, right.shape[0] - 1))
    j = np.arange(first, data.draw(st.integers(first + 1, right.shape[0])), dtype=np.intp)
    i = np.full(j.size, row, dtype=np.intp)
    got = cosine_similarity_pairs(left, i, right, j)
    assert got.tobytes() == general_cosines(left, i, right, j).tobytes()


def test_one_row_path_on_real_rows_equals_the_general_path(seed_articles, chain_articles):
    from dedupe_news.normalize import strip_boilerplate, tokenize
    from dedupe_news.prepare import article_terms, term_counts
    from dedupe_news.weighting import document_frequencies, smooth_idf, tfidf_rows

    texts = [a.full_text for a in seed_articles + chain_articles]
    counts = term_counts([article_terms(tokenize(strip_boilerplate(t))) for t in texts])
    rows = tfidf_rows(counts, smooth_idf(document_frequencies(counts), counts.shape[0]))
    j = np.arange(rows.shape[0])
    for row in range(rows.shape[0]):
        i = np.full(j.size, row, dtype=np.intp)
        got = cosine_similarity_pairs(rows, i, rows, j)
        assert got.tobytes() == general_cosines(rows, i, rows, j).tobytes()
        assert got[row] > 0.999


def test_rows_with_unsorted_columns_take_the_general_path():
    left = sp.csr_matrix(
        (np.array([0.6, 0.8], dtype=np.float32), np.array([3, 1]), np.array([0, 2])),
        shape=(1, 4),
    )
    right = sp.csr_matrix(np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.6, 0.0, 0.8]], np.float32))
    got = cosine_similarity_pairs(left, np.array([0, 0]), right, np.array([0, 1]))
    np.testing.assert_allclose(got, [0.8, 0.6 * 0.8 + 0.8 * 0.6], rtol=1e-6)


def test_wide_rows_are_multiplied_in_smaller_chunks_with_the_same_cosines(monkeypatch):
    import importlib

    features = importlib.import_module("dedupe_news.pair_features")
    rng = np.random.default_rng(3)
    matrix = sp.random(60, 40, density=0.5, format="csr", random_state=4, dtype=np.float64)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
    matrix = sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)
    i, j = rng.integers(0, 60, 500), rng.integers(0, 60, 500)
    dense = matrix.toarray()
    reference = np.clip(np.einsum("kc,kc->k", dense[i], dense[j]), 0.0, 1.0)
    # About 40 entries a pair: 400 entries per chunk makes chunks of 10 pairs.
    monkeypatch.setattr(features, "_ENTRIES_PER_CHUNK", 400)
    monkeypatch.setattr(features, "_MIN_PAIRS_PER_CHUNK", 7)
    assert features._pairs_per_chunk(matrix, matrix) == 10
    np.testing.assert_allclose(cosine_similarity_pairs(matrix, i, matrix, j), reference, atol=1e-12)
    monkeypatch.setattr(features, "_ENTRIES_PER_CHUNK", 1)  # the floor: 7 pairs a chunk
    assert features._pairs_per_chunk(matrix, matrix) == 7
    np.testing.assert_allclose(cosine_similarity_pairs(matrix, i, matrix, j), reference, atol=1e-12)

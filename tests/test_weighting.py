"""The weighting layer against scikit-learn's TfidfTransformer, the reference it reproduces."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfTransformer

from dedupe_news.normalize import strip_boilerplate, tokenize
from dedupe_news.prepare import article_terms, term_counts
from dedupe_news.weighting import (
    corpus_tfidf_rows,
    document_frequencies,
    drop_unused_columns,
    smooth_idf,
    tfidf_entries,
    tfidf_rows,
)


def corpus_rows(max_terms: int):
    """1 to 8 articles, each a list of up to ``max_terms`` term ids among 12."""
    return st.lists(
        st.lists(st.integers(min_value=0, max_value=11), min_size=0, max_size=max_terms),
        min_size=1,
        max_size=8,
    )


def count_matrix(rows: list[list[int]]) -> sp.csr_matrix:
    """Raw term counts (float32) of articles given as term-id lists, 12 columns."""
    dense = np.zeros((len(rows), 12), dtype=np.float32)
    for r, terms in enumerate(rows):
        for t in terms:
            dense[r, t] += 1
    return sp.csr_matrix(dense)


def reference(counts: sp.csr_matrix) -> sp.csr_matrix:
    return sp.csr_matrix(TfidfTransformer(sublinear_tf=True).fit_transform(counts))


def test_tfidf_rows_equal_tfidf_transformer_bit_for_bit(seed_articles, chain_articles):
    tokens = [tokenize(strip_boilerplate(a.full_text)) for a in seed_articles + chain_articles]
    counts = term_counts([article_terms(t) for t in tokens])
    expected = reference(counts)
    got = tfidf_rows(counts, smooth_idf(document_frequencies(counts), counts.shape[0]))
    assert got.dtype == expected.dtype == np.float32
    assert (got.indptr == expected.indptr).all() and (got.indices == expected.indices).all()
    assert got.data.tobytes() == expected.data.tobytes()


@settings(max_examples=60, derandomize=True, deadline=None)
@given(corpus_rows(max_terms=12))
def test_tfidf_rows_equal_the_reference_on_any_counts(rows):
    counts = count_matrix(rows)
    got = tfidf_rows(counts, smooth_idf(document_frequencies(counts), len(rows)))
    np.testing.assert_array_equal(got.toarray(), reference(counts).toarray())


@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    corpus_rows(max_terms=30),
    st.integers(min_value=1, max_value=50),
)
def test_idf_per_entry_weighs_bit_for_bit_as_idf_per_column(rows, extra_documents):
    counts = count_matrix(rows)
    idf = smooth_idf(document_frequencies(counts), len(rows) + extra_documents)
    expected = tfidf_rows(counts, idf)
    got = tfidf_entries(counts.copy(), idf[counts.indices])
    assert (got.indptr == expected.indptr).all() and (got.indices == expected.indices).all()
    assert got.data.tobytes() == expected.data.tobytes()


@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    corpus_rows(max_terms=30),
    st.lists(st.booleans(), min_size=12, max_size=12),
)
def test_stop_words_per_entry_weigh_bit_for_bit_as_per_column(rows, stop):
    # The index weighs stop words per stored entry, batch and Spark per column.
    counts = count_matrix(rows)
    stop = np.array(stop)
    idf = smooth_idf(document_frequencies(counts), len(rows))
    expected = tfidf_rows(counts, idf, stop)
    got = tfidf_entries(counts.copy(), idf[counts.indices], stop[counts.indices])
    assert (got.indptr == counts.indptr).all() and (got.indices == counts.indices).all()
    assert got.data.tobytes() == expected.data.tobytes()
    # Stop entries weigh 0 unless the row has nothing else; the rest as without stop words.
    for r in range(len(rows)):
        row = counts[r].toarray().ravel()
        if not row.any():
            continue
        keep = (row > 0) & ~stop if ((row > 0) & ~stop).any() else row > 0
        alone = tfidf_rows(sp.csr_matrix(np.where(keep, row, 0)[None, :]), idf).toarray()[0]
        np.testing.assert_allclose(expected.toarray()[r], alone, rtol=0, atol=1e-7)


def test_dropping_unused_columns_drops_the_stop_words():
    counts = sp.csr_matrix(np.array([[2, 1, 0], [1, 0, 1], [1, 0, 0]], dtype=np.float32))
    weighted = tfidf_rows(counts, np.ones(3), np.array([True, False, False]))
    assert weighted.nnz == counts.nnz  # aligned with the counts: explicit zeros
    small, used = drop_unused_columns(weighted)
    assert used.tolist() == [0, 1, 2] and small.nnz == 3  # row 2 has only the stop word
    assert small.toarray().tolist() == [[0, 1, 0], [0, 0, 1], [1, 0, 0]]


def test_tfidf_entries_refuses_counts_it_cannot_weigh_in_place():
    with pytest.raises(TypeError, match="float32 CSR"):
        tfidf_entries(sp.csr_matrix(np.ones((1, 2))), np.ones(2))


def test_idf_from_partial_frequencies_equals_one_pass():
    # Spark sums document frequencies over partitions; the sum gives the same IDF.
    counts = sp.csr_matrix(np.array([[1, 0, 2], [0, 1, 1], [3, 0, 0], [1, 1, 1]], dtype=np.float32))
    parts = document_frequencies(counts[:2]) + document_frequencies(counts[2:])
    assert smooth_idf(parts, 4).tobytes() == smooth_idf(document_frequencies(counts), 4).tobytes()


def test_drop_unused_columns_keeps_the_products():
    counts = sp.csr_matrix(np.array([[0, 2, 0, 1], [0, 1, 0, 0]], dtype=np.float32))
    small, used = drop_unused_columns(counts)
    assert used.tolist() == [1, 3]
    np.testing.assert_array_equal((small @ small.T).toarray(), (counts @ counts.T).toarray())


def test_corpus_tfidf_rows_in_place_weighs_as_the_copy_does():
    rng = np.random.default_rng(5)
    dense = rng.poisson(0.4, size=(60, 25)).astype(np.float32)
    dense[:, :3] += 1  # terms in every row: stop words by document frequency
    dense[7] = 0
    dense[7, :3] = 2  # a row of stop words only is weighed whole
    counts = sp.csr_matrix(dense)
    expected, expected_columns = corpus_tfidf_rows(counts)
    got, columns = corpus_tfidf_rows(counts.copy(), in_place=True)
    assert np.array_equal(columns, expected_columns)
    for name in ("data", "indices", "indptr"):
        assert np.array_equal(getattr(got, name), getattr(expected, name))

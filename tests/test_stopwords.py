from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe_news.errors import ParameterError
from dedupe_news.stopwords import frequent_terms_mask, without_frequent_terms


def test_frequent_terms_need_the_share_and_the_minimum_count():
    assert frequent_terms_mask([10, 6, 5, 1], 10, max_share=0.5, min_documents=3).tolist() == [
        True,
        True,
        False,
        False,
    ]
    assert frequent_terms_mask([3, 2], 3, max_share=0.5, min_documents=3).tolist() == [True, False]
    assert not frequent_terms_mask([5, 5], 5).any()  # five rewrites: shared terms are evidence


def test_max_share_is_checked():
    with pytest.raises(ParameterError):
        frequent_terms_mask([1], 1, max_share=0.0)


def test_frequent_terms_are_removed_but_no_row_is_emptied():
    counts = sp.csr_matrix(
        np.array(
            [
                [2, 1, 0, 1],  # term 0 is in every row
                [1, 0, 1, 0],
                [1, 0, 0, 0],  # only the frequent term: kept
                [1, 1, 0, 0],
            ]
        )
    )
    out = without_frequent_terms(counts, max_share=0.5, min_documents=3).toarray()
    assert out.tolist() == [[0, 1, 0, 1], [0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]]


def test_shares_are_taken_within_groups():
    # Term 0 is in both rows of group "b" but in 2 of 6 rows overall.
    dense = np.zeros((6, 4), dtype=int)
    dense[:, 2] = 1
    dense[4:, 0] = 1
    dense[4, 1] = 1
    dense[5, 3] = 1
    counts = sp.csr_matrix(dense)
    groups = np.array(["a", "a", "a", "a", "b", "b"])
    whole = without_frequent_terms(counts, max_share=0.5, min_documents=2).toarray()
    by_group = without_frequent_terms(counts, groups, max_share=0.5, min_documents=2).toarray()
    assert whole[4:, 0].tolist() == [1, 1]
    assert by_group[4:, 0].tolist() == [0, 0]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    st.lists(st.lists(st.integers(0, 3), min_size=5, max_size=5), min_size=1, max_size=12),
    st.sampled_from([0.2, 0.5, 0.8]),
)
def test_matches_a_row_by_row_reference(rows, share):
    counts = sp.csr_matrix(np.array(rows))
    n = len(rows)
    df = [sum(1 for r in rows if r[t]) for t in range(5)]
    frequent = [df[t] > share * n and df[t] >= 3 for t in range(5)]
    expected = []
    for r in rows:
        kept = [c if not frequent[t] else 0 for t, c in enumerate(r)]
        expected.append(kept if any(kept) else list(r))
    assert without_frequent_terms(counts, max_share=share, min_documents=3).toarray().tolist() == (
        expected
    )


def test_weighting_after_dropping_stop_words_no_longer_links_articles_through_them():
    from dedupe_news.weighting import document_frequencies, smooth_idf, tfidf_rows

    dense = np.zeros((12, 13), dtype=np.float32)
    dense[:, 0] = 3  # a function word in every article
    dense[np.arange(12), np.arange(12) + 1] = 1  # one story word each
    for counts in (sp.csr_matrix(dense), without_frequent_terms(sp.csr_matrix(dense))):
        rows = tfidf_rows(counts, smooth_idf(document_frequencies(counts), 12))
        cosine = (rows @ rows.T).toarray()[0, 1]
        if counts.nnz == dense.astype(bool).sum():
            assert cosine > 0.3  # every term kept: the function word links them
        else:
            assert cosine == 0.0

"""The fast cut of a linkage tree and the copy pairs of a component, against scipy."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from dedupe_news.clustering import flat_clusters, order_labels
from dedupe_news.pair_features import ArticleRows
from dedupe_news.similarity_matrix import component_similarity, copy_matrix


def _distances(seed: int, n: int, levels: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Few distinct values: ties between merges and merges exactly at the cutoff.
    values = rng.integers(0, levels, size=(n, n)) / levels
    values = (values + values.T) / 2
    np.fill_diagonal(values, 0.0)
    return squareform(values, checks=False)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 10_000),
    st.integers(2, 30),
    st.integers(1, 8),
    st.sampled_from(["weighted", "average", "single", "centroid", "median"]),
    st.integers(0, 8),
)
def test_flat_clusters_is_fcluster_by_distance(seed, n, levels, method, cut):
    tree = linkage(_distances(seed, n, levels), method=method)  # centroid, median: inversions
    cutoff = cut / levels
    expected = fcluster(tree, t=cutoff, criterion="distance")
    assert flat_clusters(tree, cutoff).tolist() == order_labels(expected).tolist()


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 25), st.booleans())
def test_component_similarity_marks_the_copy_pairs_among_the_members(seed, n, shuffled):
    rng = np.random.default_rng(seed)
    tfidf = sp.random(n, 40, density=0.2, random_state=rng, format="csr", dtype=np.float32)
    rows = ArticleRows(tfidf=tfidf, signatures=None, days=rng.integers(0, 5, n).astype(float))
    pairs = rng.integers(0, n, size=(3 * n, 2))
    pairs = pairs[pairs[:, 0] < pairs[:, 1]]
    copies = copy_matrix(n, pairs[:, 0], pairs[:, 1], np.ones(len(pairs)))
    members = np.flatnonzero(rng.random(n) < 0.6)
    if shuffled:
        members = rng.permutation(members)
    got = component_similarity(rows, 2.0, members, copies)
    sub = tfidf[members]
    expected = np.clip((sub @ sub.T).toarray(), 0.0, 1.0)
    gap = np.abs(rows.days[members][:, None] - rows.days[members][None, :])
    expected = np.where(gap > 2.0, 0.0, expected)
    expected[copies[members][:, members].toarray()] = 1.0
    assert np.array_equal(got, expected)

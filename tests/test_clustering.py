from __future__ import annotations

import datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe_news import Article, ParameterError, StoryClusterer, clustering
from dedupe_news.clustering import cluster_pairs, order_labels


def dense(similarity):
    matrix = np.asarray(similarity, dtype=float)
    return lambda members: matrix[np.ix_(members, members)]


def test_cluster_pairs_bridge_does_not_chain_unrelated_stories():
    # A~B and B~C strongly, A and C share nothing.
    sim = [[1, 0.9, 0.0], [0.9, 1, 0.9], [0.0, 0.9, 1]]
    i, j, s = np.array([0, 1]), np.array([1, 2]), np.array([0.9, 0.9])
    weighted = cluster_pairs(3, i, j, s, threshold=0.15, component_similarity=dense(sim))
    single = cluster_pairs(
        3, i, j, s, threshold=0.15, component_similarity=dense(sim), linkage_method="single"
    )
    assert weighted[0] != weighted[2]
    assert single.tolist() == [0, 0, 0]


def test_cluster_pairs_keeps_a_real_story_whose_members_are_all_similar():
    sim = np.full((4, 4), 0.4)
    i, j = np.triu_indices(4, k=1)
    labels = cluster_pairs(4, i, j, sim[i, j], threshold=0.15, component_similarity=dense(sim))
    assert labels.tolist() == [0, 0, 0, 0]


def test_cluster_pairs_ignores_pairs_below_threshold():
    labels = cluster_pairs(
        3,
        np.array([0]),
        np.array([2]),
        np.array([0.1]),
        threshold=0.15,
        component_similarity=dense(np.eye(3)),
    )
    assert labels.tolist() == [0, 1, 2]


def test_cluster_pairs_splits_oversized_components_by_raising_the_threshold():
    # Two groups of 3 joined by weaker edges; max_component forces the split step.
    sim = np.full((6, 6), 0.2)
    sim[:3, :3] = sim[3:, 3:] = 0.9
    i, j = np.triu_indices(6, k=1)
    labels = cluster_pairs(
        6, i, j, sim[i, j], threshold=0.15, component_similarity=dense(sim), max_component=4
    )
    assert labels.tolist() == [0, 0, 0, 1, 1, 1]


def test_cluster_pairs_rejects_unknown_linkage():
    with pytest.raises(ParameterError, match="linkage must be one of"):
        cluster_pairs(
            1,
            np.array([]),
            np.array([]),
            np.array([]),
            threshold=0.1,
            component_similarity=dense(np.eye(1)),
            linkage_method="ward",
        )


def test_order_labels_numbers_by_first_appearance():
    assert order_labels(np.array([5, 5, 2, 9, 2])).tolist() == [0, 0, 1, 2, 1]


def test_story_clusterer_breaks_the_constructed_chain(chain_articles):
    clusterer = StoryClusterer().fit(chain_articles)
    assert clusterer.explain("A", "B").same_story
    assert clusterer.explain("B", "C").same_story
    assert not clusterer.explain("A", "C").same_story
    labels = clusterer.labels_
    assert labels[0] != labels[2]
    chained = StoryClusterer(linkage="single").fit_predict(chain_articles)
    assert chained.tolist() == [0, 0, 0]


def test_cluster_pairs_of_nothing_is_empty():
    empty = np.zeros(0, dtype=np.intp)
    labels = cluster_pairs(
        0, empty, empty, np.zeros(0), threshold=0.15, component_similarity=dense([])
    )
    assert labels.shape == (0,)


def test_cluster_pairs_keeps_an_oversized_component_of_copies_together():
    # Six copies (similarity 1) in a chain, max_component 3: raising the edge
    # threshold step by step must stop at 1.0, not drop the copies.
    i, j = np.arange(5), np.arange(1, 6)
    labels = cluster_pairs(
        7,
        i,
        j,
        np.ones(5),
        threshold=0.5,
        component_similarity=lambda members: np.ones((members.size, members.size)),
        max_component=3,
    )
    assert labels.tolist() == [0, 0, 0, 0, 0, 0, 1]


def _copies_of(base: np.ndarray, copies: np.ndarray) -> np.ndarray:
    """Similarity matrix where item k is a copy of base item ``copies[k]``."""
    similarity = base[np.ix_(copies, copies)].copy()
    similarity[copies[:, None] == copies[None, :]] = 1.0
    return similarity


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    n_base=st.integers(3, 12),
    n_items=st.integers(13, 40),
    seed=st.integers(0, 2**31 - 1),
)
def test_collapsing_copies_gives_the_same_stories_as_the_full_matrix(n_base, n_items, seed):
    # Exact copies have equal rows, so WPGMA over representatives is exact: a
    # component over max_component that only copies hold together must cluster
    # as it would with no cap. The edges are the copy pairs and a chain of strong
    # pairs (0.97, kept at every raised threshold) between the originals; linkage
    # sees the full matrix.
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.0, 0.6, size=(n_base, n_base))
    base = np.triu(base, 1) + np.triu(base, 1).T + np.eye(n_base)
    copies = np.r_[np.arange(n_base), rng.integers(0, n_base, n_items - n_base)]
    rng.shuffle(copies)
    sim = _copies_of(base, copies)
    ci, cj = np.triu_indices(n_items, k=1)
    is_copy = copies[ci] == copies[cj]
    first = np.array([np.flatnonzero(copies == b)[0] for b in range(n_base)])
    i = np.r_[ci[is_copy], first[:-1]]
    j = np.r_[cj[is_copy], first[1:]]
    s = np.r_[np.ones(int(is_copy.sum())), np.full(n_base - 1, 0.97)]
    uncapped = cluster_pairs(n_items, i, j, s, threshold=0.15, component_similarity=dense(sim))
    capped = cluster_pairs(
        n_items,
        i,
        j,
        s,
        threshold=0.15,
        component_similarity=dense(sim),
        max_component=n_base,
    )
    assert capped.tolist() == uncapped.tolist()


def test_a_copy_storm_over_max_component_only_builds_small_matrices():
    n = 50
    sizes = []

    def similarity(members):
        sizes.append(members.size)
        return np.ones((members.size, members.size))

    i, j = np.arange(n - 1), np.arange(1, n)  # a chain of copies
    labels = cluster_pairs(
        n, i, j, np.ones(n - 1), threshold=0.15, component_similarity=similarity, max_component=10
    )
    assert labels.tolist() == [0] * n
    assert max(sizes, default=0) <= 10


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    n=st.integers(4, 60),
    density=st.floats(0.02, 0.3),
    max_component=st.integers(3, 20),
    seed=st.integers(0, 2**31 - 1),
)
def test_prefetched_matrices_are_asked_for_before_more_are_prefetched(
    n, density, max_component, seed
):
    # Components reach ``prefetch`` in batches of about PREFETCH_PAIRS pairs, each
    # batch asked for before the next is prefetched, and oversized components are
    # split after the rest: a cache filled by prefetch never holds much more than
    # a batch, and every matrix linkage asks for was prefetched. Same labels as
    # without prefetch.
    rng = np.random.default_rng(seed)
    sim = rng.uniform(0.0, 1.0, size=(n, n))
    sim = np.triu(sim, 1) + np.triu(sim, 1).T + np.eye(n)
    i, j = np.triu_indices(n, k=1)
    keep = rng.uniform(size=i.size) < density
    i, j = i[keep], j[keep]
    pending: dict[bytes, int] = {}
    held = []

    def prefetch(groups):
        for members in groups:
            if members.size >= 3:  # a pair needs no matrix
                pending[members.tobytes()] = members.size * (members.size - 1) // 2
        held.append(sum(pending.values()))

    def similarity(members):
        if members.size <= max_component:
            assert pending.pop(members.tobytes(), None) is not None, "not prefetched"
        return dense(sim)(members)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clustering, "PREFETCH_PAIRS", 10)
        labels = cluster_pairs(
            n,
            i,
            j,
            sim[i, j],
            threshold=0.5,
            component_similarity=similarity,
            max_component=max_component,
            prefetch=prefetch,
        )
    plain = cluster_pairs(
        n,
        i,
        j,
        sim[i, j],
        threshold=0.5,
        component_similarity=dense(sim),
        max_component=max_component,
    )
    assert labels.tolist() == plain.tolist()
    assert not pending
    largest = max_component * (max_component - 1) // 2
    assert max(held, default=0) <= 10 + largest


def test_2001_identical_articles_make_one_story():
    text = (
        "Storm hits the coast tonight as forecasters warn of flooding in the low-lying "
        "towns along the river, officials said on Tuesday after an emergency meeting."
    )
    articles = [Article(f"a{k}", text, date=datetime.date(2024, 3, 1)) for k in range(2001)]
    clusterer = StoryClusterer().fit(articles)
    assert clusterer.max_component == 2000
    assert len(clusterer.stories_) == 1
    assert clusterer.stories_[0].size == 2001

from __future__ import annotations

import numpy as np
import pytest

from dedupe_news import ParameterError, StoryClusterer
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

from __future__ import annotations

import pytest

from dedupe_news import score_clustering


def test_score_clustering_hand_computed_pairwise_and_bcubed():
    # gold {0,1} {2,3}; predicted {0,1,2} {3}
    scores = score_clustering(["x", "x", "y", "y"], [0, 0, 0, 1])
    assert scores.pairwise_precision == pytest.approx(1 / 3)  # (0,1) of 3 predicted pairs
    assert scores.pairwise_recall == pytest.approx(1 / 2)  # (0,1) of 2 gold pairs
    assert scores.pairwise_f1 == pytest.approx(0.4)
    assert scores.bcubed_precision == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1) / 4)
    assert scores.bcubed_recall == pytest.approx((1 + 1 + 1 / 2 + 1 / 2) / 4)
    assert (scores.n_clusters, scores.n_stories) == (2, 2)


def test_score_clustering_perfect_and_all_singletons():
    perfect = score_clustering(["a", "a", "b"], [7, 7, 3])
    assert perfect.adjusted_rand_index == 1.0
    assert perfect.bcubed_f1 == 1.0
    singletons = score_clustering(["a", "a", "b"], [0, 1, 2])
    assert singletons.pairwise_recall == 0.0
    assert singletons.pairwise_precision == 1.0  # no predicted pairs, none wrong
    assert singletons.bcubed_precision == 1.0


def test_score_clustering_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="gold has 2 labels but predicted has 3"):
        score_clustering(["a", "b"], [0, 1, 2])

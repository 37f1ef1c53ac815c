"""How a learned model's probabilities are linked into stories (the model file's
``linkage`` metadata): the method, the veto distance, and short texts that never veto."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from dedupe_news import Article, StoryClusterer
from dedupe_news.clustering import cluster_pairs
from dedupe_news.pair_model import ModelFileError, PairModel, default_model

DAY = dt.date(2024, 5, 1)


def _cosine_model(**linkage) -> PairModel:
    """p = sigmoid(20 * body_cosine - 6): 0.5 at cosine 0.3, ~0 for no shared word."""
    metadata = {"threshold": 0.5, "clearly_different": 0.3, "linkage": linkage}
    return PairModel(((("body_cosine", "identity"),),), np.array([20.0]), -6.0, metadata)


def _chain() -> list[Article]:
    """A ~ B and B ~ C share words; A and C share none. Headlines: 4 tokens each."""
    return [
        Article("a", "alpha beta gamma delta", date=DAY),
        Article("b", "gamma delta epsilon zeta", date=DAY),
        Article("c", "epsilon zeta eta theta", date=DAY),
    ]


def test_short_texts_do_not_veto_a_merge_long_enough_texts_do():
    vetoing = _cosine_model(method="average", veto_distance=10.0, veto_min_tokens=0)
    labels = StoryClusterer(model=vetoing, n_jobs=1).fit_predict(_chain())
    assert len(set(labels.tolist())) == 2  # A and C share nothing: C (or A) stays out
    lenient = _cosine_model(method="average", veto_distance=10.0, veto_min_tokens=16)
    assert StoryClusterer(model=lenient, n_jobs=1).fit_predict(_chain()).tolist() == [0, 0, 0]
    # The pairs themselves are scored the same: only what linkage reads changes.
    pairs = [StoryClusterer(model=m, n_jobs=1).fit(_chain()).pairs_ for m in (vetoing, lenient)]
    np.testing.assert_array_equal(pairs[0].story_similarity, pairs[1].story_similarity)


def test_veto_distance_sets_how_much_one_clearly_different_pair_weighs():
    # Ten items at 0.9 to each other; item 10 at 0.9 to nine of them, 0 to item 0.
    n = 11
    i, j = np.triu_indices(n, k=1)
    similarity = np.full(i.size, 0.9)
    similarity[(i == 0) & (j == 10)] = 0.0
    matrix = np.full((n, n), 0.9)
    matrix[0, 10] = matrix[10, 0] = 0.0
    np.fill_diagonal(matrix, 1.0)

    def labels(veto_distance: float) -> list[int]:
        return cluster_pairs(
            n,
            i,
            j,
            similarity,
            threshold=0.5,
            component_similarity=lambda members: matrix[np.ix_(members, members)],
            linkage_method="average",
            clearly_different=0.3,
            veto_distance=veto_distance,
        ).tolist()

    # Mean distance of item 10 to the ten: (9 * 0.1 + veto) / 10.
    assert labels(4.0) == [0] * n  # 0.49: joins
    assert labels(10.0) == [0] * 10 + [1]  # 1.09: the one pair keeps it out


def test_model_files_name_their_linkage_and_bad_ones_fail_on_load():
    shipped = default_model()
    assert shipped.linkage_method in ("weighted", "average", "single")
    assert shipped.veto_distance >= 1.0
    old = PairModel(((("body_cosine", "identity"),),), np.array([1.0]), 0.0)
    assert (old.linkage_method, old.veto_distance, old.veto_min_tokens) == ("weighted", 4.0, 0)
    data = _cosine_model(method="average").to_dict()
    for bad in ({"method": "ward"}, {"veto_distance": 0.5}, {"veto_min_tokens": -1}, []):
        data["metadata"]["linkage"] = bad
        with pytest.raises(ModelFileError) as error:
            PairModel.from_dict(data, source="m.json")
        assert str(error.value).startswith("m.json")

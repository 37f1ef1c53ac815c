from __future__ import annotations

import math

import numpy as np
import pytest

from dedupe_news import DecisionRule, PairFeatures, PairScores, ParameterError


def decide(**features):
    base = {
        "cosine": 0.0,
        "jaccard": 0.0,
        "containment": 0.0,
        "date_distance_days": math.nan,
        "smaller_shingles": 100,
    }
    base.update(features)
    one = PairFeatures(
        cosine_similarity=np.array([base["cosine"]]),
        jaccard_similarity=np.array([base["jaccard"]]),
        containment_similarity=np.array([base["containment"]]),
        date_distance_days=np.array([base["date_distance_days"]], dtype=np.float64),
        smaller_shingles=np.array([base["smaller_shingles"]]),
    )
    return PairScores.from_features("a", "b", DecisionRule(), one)


def test_decision_out_of_window_is_never_the_same_story():
    scores = decide(cosine=0.95, jaccard=0.9, date_distance_days=30.0)
    assert (scores.same_story, scores.story_similarity) == (False, 0.0)
    assert scores.reason.startswith("different stories: published 30 days apart")


def test_decision_copy_by_jaccard():
    scores = decide(cosine=0.1, jaccard=0.6, date_distance_days=1.0)
    assert scores.same_story and scores.story_similarity == 1.0
    assert scores.reason == "copy: shingle Jaccard 0.60 >= 0.5"


def test_decision_abridged_copy_by_containment_needs_enough_shingles():
    assert decide(jaccard=0.2, containment=0.9).reason == "abridged copy: containment 0.90 >= 0.8"
    assert not decide(jaccard=0.2, containment=0.9, smaller_shingles=5).same_story


def test_decision_rewrite_by_cosine_and_below_threshold():
    assert decide(cosine=0.3).reason == "rewrite: TF-IDF cosine 0.30 >= 0.15"
    low = decide(cosine=0.1, jaccard=0.01)
    assert not low.same_story
    assert low.story_similarity == pytest.approx(0.1)


def test_decision_unknown_dates_do_not_block():
    assert decide(cosine=0.5).date_distance_days is None
    assert decide(cosine=0.5).same_story


def test_decision_rule_story_similarity_is_vectorised():
    rule = DecisionRule(window_days=2)
    score = rule.story_similarity(
        PairFeatures(
            cosine_similarity=np.array([0.3, 0.3, 0.1]),
            jaccard_similarity=np.array([0.0, 0.0, 0.7]),
            containment_similarity=np.zeros(3),
            date_distance_days=np.array([1.0, 3.0, np.nan]),
            smaller_shingles=np.array([50, 50, 50]),
        )
    )
    assert score.tolist() == [0.3, 0.0, 1.0]


@pytest.mark.parametrize("name", ["rewrite_threshold", "copy_threshold", "containment_threshold"])
def test_decision_rule_rejects_thresholds_outside_unit_interval(name):
    with pytest.raises(ParameterError, match=name):
        DecisionRule(**{name: 1.5})
    with pytest.raises(ParameterError, match="window_days"):
        DecisionRule(window_days=-1)

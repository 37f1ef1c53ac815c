"""The pair model as JSON: round trip, agreement with scikit-learn, clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dedupe_news.pair_model import (
    MODEL_FORMAT,
    PAIR_FEATURES,
    ModelFileError,
    PairModel,
    default_model,
    neighbor_counts,
)
from dedupe_news.pair_model_fit import fit, fit_estimator, from_estimator

TERMS = (
    (("body_cosine", "sqrt"),),
    (("entity_cosine", "identity"),),
    (("log_tokens_min", "identity"),),
    (("body_cosine", "sqrt"), ("log_tokens_min", "log1p")),
)


def synthetic_pairs(n=400, seed=3):
    rng = np.random.default_rng(seed)
    same = rng.random(n) < 0.4
    features = {
        "body_cosine": np.clip(rng.normal(0.1 + 0.3 * same, 0.1), 0, 1),
        "entity_cosine": np.clip(rng.normal(0.05 + 0.3 * same, 0.15), 0, 1),
        "log_tokens_min": rng.uniform(1, 7, n),
    }
    return features, same.astype(int)


def test_predictions_equal_scikit_learn_predict_proba():
    features, labels = synthetic_pairs()
    blank = PairModel(TERMS, np.zeros(len(TERMS)), 0.0)
    design = blank.design_matrix(features)
    weights = np.random.default_rng(0).uniform(0.5, 2.0, labels.size)
    estimator = fit_estimator(design, labels, weights, c=0.7)
    model = from_estimator(estimator, TERMS)
    expected = estimator.predict_proba(design)[:, 1]
    np.testing.assert_allclose(model.predict_similarity(features), expected, rtol=0, atol=1e-9)
    assert 0.3 < expected.mean() < 0.5  # a real fit, not a constant


def test_fit_separates_and_stays_in_unit_interval():
    features, labels = synthetic_pairs()
    model = fit(features, labels, TERMS, metadata={"note": "test"})
    p = model.predict_similarity(features)
    assert np.all((p >= 0) & (p <= 1))
    assert p[labels == 1].mean() > p[labels == 0].mean() + 0.3
    extreme = {k: np.array([1e6]) for k in model.features}
    assert np.isfinite(model.predict_similarity(extreme)).all()


def test_json_round_trip(tmp_path):
    features, labels = synthetic_pairs()
    model = fit(features, labels, TERMS, metadata={"trained_by": "pytest", "scores": {"a": 1.0}})
    path = tmp_path / "model.json"
    model.save(path)
    data = json.loads(path.read_text())
    assert data["format"] == MODEL_FORMAT and data["features"] == sorted(model.features)
    loaded = PairModel.load(path)
    assert loaded.terms == model.terms and loaded.metadata == model.metadata
    np.testing.assert_array_equal(loaded.coefficients, model.coefficients)
    np.testing.assert_array_equal(
        loaded.predict_similarity(features), model.predict_similarity(features)
    )


def test_missing_feature_is_a_clear_error():
    model = PairModel(TERMS, np.ones(len(TERMS)), 0.0)
    with pytest.raises(KeyError, match="entity_cosine"):
        model.predict_similarity({"body_cosine": [0.2], "log_tokens_min": [3.0]})


def write(tmp_path, **changes):
    data = PairModel(TERMS, np.ones(len(TERMS)), 0.5).to_dict()
    data.update(changes)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    "changes, message",
    [
        (
            {
                "terms": [[["tfidf_magic", "identity"]]],
                "features": ["tfidf_magic"],
                "coefficients": [1.0],
            },
            "unknown pair feature 'tfidf_magic'",
        ),
        (
            {
                "terms": [[["body_cosine", "cube"]]],
                "features": ["body_cosine"],
                "coefficients": [1.0],
            },
            "unknown transform 'cube'",
        ),
        ({"features": ["body_cosine"]}, "declares features"),
        ({"coefficients": [1.0]}, "4 terms but 1 coefficients"),
        ({"format": "something-else"}, "not a dedupe-news pair model"),
        ({"intercept": float("nan")}, "not a finite number"),
        (
            {"metadata": {"candidates": {"long_text": {"min_tokens": 64}}}},
            "candidates.long_text",
        ),
        (
            {"metadata": {"candidates": {"long_text": [64, 30]}}},
            "candidates.long_text",
        ),
    ],
)
def test_bad_model_files_are_one_line_errors(tmp_path, changes, message):
    path = write(tmp_path, **changes)
    with pytest.raises(ModelFileError, match=message) as error:
        PairModel.load(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_missing_entry_and_bad_json(tmp_path):
    data = PairModel(TERMS, np.ones(len(TERMS)), 0.5).to_dict()
    del data["intercept"]
    path = tmp_path / "m.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ModelFileError, match="no 'intercept'"):
        PairModel.load(path)
    path.write_text("{not json")
    with pytest.raises(ModelFileError, match=r"m.json:1: not valid JSON"):
        PairModel.load(path)


def test_default_model_is_valid_and_documented():
    model = default_model()
    assert set(model.features) <= set(PAIR_FEATURES)
    meta = model.metadata
    assert len(meta["training_files_sha256"]) == 64
    assert meta["trained_by"].startswith("python -m benchmarks.train_model")
    assert {"in_sample", "loco"} <= set(meta["scores"])


def test_default_model_orders_evidence_sensibly():
    model = default_model()

    def pair(**values):
        features = {name: np.zeros(1) for name in model.features}
        features.update(log_tokens_min=np.full(1, 5.0), log_tokens_max=np.full(1, 5.5))
        features.update({k: np.full(1, v) for k, v in values.items()})
        return float(model.predict_similarity(features)[0])

    rewrite = dict(
        body_cosine=0.45,
        lead_cosine=0.4,
        entity_cosine=0.5,
        entity_overlap=0.6,
        neighbour_cosine=0.7,
    )
    p_rewrite = pair(**rewrite)
    p_template = pair(**dict(rewrite, entity_cosine=0.0, entity_overlap=0.0, entity_conflict=1.0))
    p_other_company = pair(**dict(rewrite, ticker_conflict=1.0))
    p_unrelated = pair(body_cosine=0.02, neighbour_cosine=0.05)
    assert p_rewrite > 0.5 > p_unrelated
    assert p_template < p_rewrite and p_other_company < 0.5


def test_feature_effects_are_the_log_odds_a_zeroed_feature_takes_away():
    """Against the definition, evaluated literally: the log-odds minus the log-odds
    with that one feature set to 0, for the default model's terms and random pairs."""
    model = default_model()
    rng = np.random.default_rng(11)
    for _ in range(25):
        features = {name: rng.uniform(0, 6, 1) for name in model.features}
        base = float(model.decision_function(features)[0])
        expected = {
            name: base - float(model.decision_function({**features, name: np.zeros(1)})[0])
            for name in model.features
        }
        effects = model.feature_effects(features)
        assert effects.keys() == expected.keys()
        for name in expected:
            assert effects[name] == pytest.approx(expected[name], abs=1e-9)


def test_neighbor_counts_give_long_texts_their_own_count():
    candidates = {"max_neighbors": 100, "long_text": {"min_tokens": 64, "max_neighbors": 30}}
    tokens = np.array([0, 1, 63, 64, 65, 5000])
    counts = neighbor_counts(np.log1p(tokens), candidates)
    assert counts.tolist() == [100, 100, 100, 30, 30, 30]
    assert neighbor_counts(np.log1p(tokens), {"max_neighbors": 40}) == 40
    # A model says which: the default model's file, and a model without the entry.
    model = default_model()
    long_text = model.metadata["candidates"]["long_text"]
    assert model.neighbor_counts(np.log1p(tokens)).tolist() == [
        100 if t < long_text["min_tokens"] else long_text["max_neighbors"] for t in tokens
    ]
    assert PairModel(TERMS, np.ones(len(TERMS)), 0.5).neighbor_counts(np.log1p(tokens)) == 100

"""Training a :class:`~dedupe_news.pair_model.PairModel` with scikit-learn.

A standardising pipeline (``StandardScaler``, ``LogisticRegression``) is fitted on
the terms' design matrix, and the scaler is then folded back onto the raw terms,
so the model file holds plain coefficients.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .pair_model import PairModel, Term

__all__ = ["fit", "fit_estimator", "from_estimator"]


def fit_estimator(
    design: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None, c: float = 1.0
):
    """A scikit-learn pipeline (standardise, logistic regression) fitted on a term matrix."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    estimator = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000))
    estimator.fit(design, labels, logisticregression__sample_weight=weights)
    return estimator


def from_estimator(estimator, terms: Sequence[Term], metadata: dict | None = None) -> PairModel:
    """The :class:`PairModel` of a fitted :func:`fit_estimator` pipeline.

    The scaler is folded into the coefficients: ``c_k / s_k`` per term, and
    ``b - sum_k c_k m_k / s_k`` for the intercept.
    """
    scaler, regression = estimator[0], estimator[-1]
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    coefficients = regression.coef_.ravel() / scale
    intercept = float(regression.intercept_[0] - np.sum(coefficients * scaler.mean_))
    return PairModel(tuple(terms), coefficients, intercept, dict(metadata or {}))


def fit(
    features: Mapping[str, np.ndarray],
    labels,
    terms: Sequence[Term],
    *,
    weights=None,
    c: float = 1.0,
    metadata: dict | None = None,
) -> PairModel:
    """Fit a model on labelled pairs: ``labels`` 1 same story, 0 different.

    ``features`` maps each feature the terms read to one value per pair.
    """
    blank = PairModel(tuple(terms), np.zeros(len(terms)), 0.0)
    labels = np.asarray(labels, dtype=np.int64)
    if set(np.unique(labels).tolist()) != {0, 1}:
        raise ValueError("labels must hold both 0 (different story) and 1 (same story)")
    estimator = fit_estimator(blank.design_matrix(features), labels, weights, c)
    return from_estimator(estimator, terms, metadata)

"""Calibrate: fit the pair model on a user's own labelled articles.

A newsroom's idea of "the same story" may differ from the corpora the shipped
model learned from. :func:`calibrate_model` refits the same model (same terms,
same candidate search, same hard rules) on articles labelled with their
``story``:

1. cluster the labelled articles with the base model, which yields the candidate
   pairs and their features (:meth:`StoryClusterer.pair_model_features`);
2. label each candidate pair in the date window 1 (same story) or 0, weigh the
   two classes evenly (so the probability is calibrated to an even prior, as the
   shipped model is), and fit the logistic regression;
3. cross-validate by story: the stories are dealt into ``folds``; for each fold a
   model trained on the pairs of the other folds clusters the fold's articles,
   which gives an ARI against their labels, and ranks the fold's candidate pairs,
   which gives a pair ROC-AUC.

The result is a :class:`~dedupe_news.pair_model.PairModel` to save as JSON and use
with ``StoryClusterer(model=path)`` or ``dedupe-news cluster --model path``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import adjusted_rand_score, roc_auc_score

from .articles import Article, article_list
from .errors import InputError
from .pair_model import PairModel, default_model
from .pair_model_fit import fit
from .pipeline import StoryClusterer

__all__ = ["MIN_FOLDS", "Calibration", "calibrate_model"]

MIN_FOLDS = 2


@dataclass(frozen=True)
class Calibration:
    """A model fitted on labelled articles, and its cross-validated scores.

    ``folds`` holds one dict per fold: ``stories``, ``articles``, ``ari`` (the
    fold's articles clustered by a model that never saw them) and ``pair_auc``
    (NaN when the fold has candidate pairs of one class only).
    """

    model: PairModel
    folds: list[dict]

    @property
    def mean_ari(self) -> float:
        return float(np.mean([f["ari"] for f in self.folds]))

    @property
    def mean_pair_auc(self) -> float:
        values = [f["pair_auc"] for f in self.folds if not np.isnan(f["pair_auc"])]
        return float(np.mean(values)) if values else float("nan")


def _labelled(articles: Sequence[Article], folds: int) -> list[Article]:
    labelled = [a for a in articles if a.story is not None]
    if not labelled:
        raise InputError(
            "no article has a story label: give each article its gold 'story' "
            "(or name the field with --story-field)"
        )
    stories = {a.story for a in labelled}
    sizes = np.unique([a.story for a in labelled], return_counts=True)[1]
    if len(stories) < max(2, folds) or not (sizes > 1).any():
        raise InputError(
            f"{len(labelled)} labelled articles in {len(stories)} stories: calibration needs "
            f"at least {max(2, folds)} stories and one with two or more articles; label more "
            "articles, or use fewer folds"
        )
    return labelled


def _pairs_and_labels(clusterer: StoryClusterer, gold: np.ndarray):
    features = clusterer.pair_model_features()
    pairs = clusterer.pairs_
    usable = ~(pairs.date_distance_days > clusterer.window_days)  # NaN (no date) is usable
    labels = (gold[pairs.i] == gold[pairs.j]).astype(np.int64)
    return pairs.i, pairs.j, features, labels, usable


def _balanced_weights(labels: np.ndarray) -> np.ndarray:
    weights = np.zeros(labels.size)
    for value in (0, 1):
        mask = labels == value
        if mask.any():
            weights[mask] = 0.5 / mask.sum()
    return weights * labels.size / weights.sum()


def _fit(base: PairModel, features: dict, labels: np.ndarray, keep: np.ndarray, metadata):
    if np.unique(labels[keep]).size < 2:
        return None
    chosen = {name: np.asarray(v)[keep] for name, v in features.items()}
    return fit(
        chosen,
        labels[keep],
        base.terms,
        weights=_balanced_weights(labels[keep]),
        metadata=metadata,
    )


def _data_hash(articles: Sequence[Article]) -> str:
    digest = hashlib.sha256()
    for a in articles:
        digest.update(f"{a.id}\0{a.story}\0{a.title or ''}\0{a.text}\0".encode())
    return digest.hexdigest()


def calibrate_model(
    articles,
    *,
    base: PairModel | None = None,
    folds: int = 5,
    seed: int = 0,
    progress: Callable[[str, int, int], None] | None = None,
    **params,
) -> Calibration:
    """Fit ``base``'s terms (default: the shipped model's) on labelled ``articles``.

    ``params`` are further :class:`StoryClusterer` parameters (``window_days``, ...).
    Raises :class:`~dedupe_news.errors.InputError` when there are too few labels.
    """
    if folds < MIN_FOLDS:
        raise InputError(f"folds must be at least {MIN_FOLDS}, got {folds}")
    base = base or default_model()
    labelled = _labelled(article_list(articles), folds)
    gold = np.array([str(a.story) for a in labelled])

    def report(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    report("calibrate", 0, folds + 1)
    clusterer = StoryClusterer(model=base, **params).fit(labelled)
    i, j, features, labels, usable = _pairs_and_labels(clusterer, gold)
    stories = np.unique(gold)
    fold_of_story = dict(
        zip(stories, np.random.default_rng(seed).permutation(stories.size) % folds, strict=True)
    )
    fold = np.array([fold_of_story[g] for g in gold])
    results = []
    for k in range(folds):
        outside = usable & (fold[i] != k) & (fold[j] != k)
        inside = (fold[i] == k) & (fold[j] == k)
        model = _fit(base, features, labels, outside, base.metadata)
        members = np.flatnonzero(fold == k)
        result = {"stories": int(np.unique(gold[members]).size), "articles": int(members.size)}
        if model is None:
            result.update(ari=float("nan"), pair_auc=float("nan"))
        else:
            predicted = StoryClusterer(model=model, **params).fit_predict(
                [labelled[m] for m in members]
            )
            result["ari"] = float(adjusted_rand_score(gold[members], predicted))
            scores = model.predict_similarity(
                {n: np.asarray(v)[inside] for n, v in features.items()}
            )
            both = np.unique(labels[inside]).size == 2
            result["pair_auc"] = (
                float(roc_auc_score(labels[inside], scores)) if both else float("nan")
            )
        results.append(result)
        report("calibrate", k + 1, folds + 1)
    metadata = {
        "cross_validation": [
            {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
            for r in results
        ],
        **{
            key: base.metadata[key]
            for key in ("threshold", "clearly_different", "candidates", "linkage")
            if key in base.metadata
        },
        "trained_by": "dedupe-news calibrate",
        "training_articles": len(labelled),
        "training_stories": int(stories.size),
        "training_data_sha256": _data_hash(labelled),
    }
    model = _fit(base, features, labels, usable, metadata)
    if model is None:
        raise InputError(
            "every candidate pair is of one kind (all same story or all different): "
            "label articles of several stories that share words"
        )
    report("calibrate", folds + 1, folds + 1)
    return Calibration(model, results)

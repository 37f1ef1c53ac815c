"""Clustering quality against gold story labels: ARI, pairwise and B-cubed scores.

Pairwise scores count article pairs: a true positive is a pair in the same
predicted cluster and the same gold story. B-cubed scores average, per article,
the precision and recall of its predicted cluster against its gold story.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import adjusted_rand_score
from sklearn.metrics.cluster import contingency_matrix

__all__ = ["ClusteringScores", "score_clustering"]


@dataclass(frozen=True)
class ClusteringScores:
    """Agreement between predicted clusters and gold stories; every score is in [0, 1]
    except ``adjusted_rand_index``, which is in [-0.5, 1] (0 for chance)."""

    adjusted_rand_index: float
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    n_clusters: int
    n_stories: int


def _f1(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def score_clustering(gold: Sequence, predicted: Sequence) -> ClusteringScores:
    """Compare ``predicted`` cluster labels with ``gold`` story labels (same order).

    Examples
    --------
    >>> s = score_clustering(["x", "x", "y", "y"], [0, 0, 0, 1])
    >>> round(s.pairwise_precision, 3), round(s.pairwise_recall, 3)
    (0.333, 0.5)
    """
    gold = np.asarray(gold)
    predicted = np.asarray(predicted)
    if gold.shape != predicted.shape:
        raise ValueError(f"gold has {gold.size} labels but predicted has {predicted.size}")
    table = contingency_matrix(gold, predicted, sparse=True).tocsr().astype(np.float64)
    cell = table.data
    gold_sizes = np.asarray(table.sum(axis=1)).ravel()
    pred_sizes = np.asarray(table.sum(axis=0)).ravel()

    def pairs(x: np.ndarray) -> float:
        return float((x * (x - 1) / 2).sum())

    together = pairs(cell)
    precision = together / pairs(pred_sizes) if pairs(pred_sizes) else 1.0
    recall = together / pairs(gold_sizes) if pairs(gold_sizes) else 1.0
    coo = table.tocoo()
    # B-cubed: each of the cell's items has precision cell/|pred| and recall cell/|gold|.
    n = float(gold.size)
    b_precision = float((coo.data**2 / pred_sizes[coo.col]).sum() / n)
    b_recall = float((coo.data**2 / gold_sizes[coo.row]).sum() / n)
    return ClusteringScores(
        adjusted_rand_index=float(adjusted_rand_score(gold, predicted)),
        pairwise_precision=precision,
        pairwise_recall=recall,
        pairwise_f1=_f1(precision, recall),
        bcubed_precision=b_precision,
        bcubed_recall=b_recall,
        bcubed_f1=_f1(b_precision, b_recall),
        n_clusters=int(pred_sizes.size),
        n_stories=int(gold_sizes.size),
    )

"""Calibration: precision and recall as ``rewrite_threshold`` moves.

For each threshold the clusterer is fitted once, and two things are scored
against the gold stories:

* the raw **pair decision**: candidate pairs with ``story_similarity >= t``
  (``pairs_.same_story``) against gold same-story pairs. Recall is over *all*
  gold pairs, so pairs never proposed as candidates count as misses;
* the final **clusters**, by pairwise precision and recall, and ARI.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from dedupe_news import StoryClusterer, score_clustering

from .quality import Corpus, predicted_labels

THRESHOLDS: tuple[float, ...] = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def gold_pair_count(gold: Sequence) -> int:
    """Number of unordered article pairs that share a gold story."""
    return sum(k * (k - 1) // 2 for k in Counter(gold).values())


def calibrate(
    corpus: Corpus,
    thresholds: Sequence[float] = THRESHOLDS,
    log: Callable[[str], None] = lambda _: None,
) -> list[dict]:
    """One row per threshold for ``corpus``."""
    gold = corpus.gold
    total_gold_pairs = gold_pair_count(gold)
    rows = []
    for t in thresholds:
        log(f"  {corpus.name}: rewrite_threshold={t}")
        model = StoryClusterer(rewrite_threshold=t).fit(corpus.articles)
        pairs = model.pairs_
        same_gold = gold[pairs.i] == gold[pairs.j]
        decided = np.asarray(pairs.same_story, dtype=bool)
        hits = int((decided & same_gold).sum())
        pair_p = _ratio(hits, int(decided.sum()))
        pair_r = _ratio(hits, total_gold_pairs)
        scores = score_clustering(gold, predicted_labels(model.labels_))
        rows.append(
            {
                "corpus": corpus.name,
                "rewrite_threshold": t,
                "candidate_pairs": int(pairs.i.size),
                "candidate_recall": _ratio(int(same_gold.sum()), total_gold_pairs),
                "pair_decisions": int(decided.sum()),
                "pair_precision": pair_p,
                "pair_recall": pair_r,
                "pair_f1": _f1(pair_p, pair_r),
                "cluster_precision": scores.pairwise_precision,
                "cluster_recall": scores.pairwise_recall,
                "cluster_f1": scores.pairwise_f1,
                "ari": scores.adjusted_rand_index,
                "n_clusters": scores.n_clusters,
            }
        )
    return rows

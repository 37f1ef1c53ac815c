"""The stored articles clustered together with new ones, and a learned model's scorer over them.

A bulk add clusters its articles with the stored ones dated within
``SPAN_WINDOWS`` date windows of them (:func:`load_span`). An index that decides
with a learned model scores pairs as batch clustering does with the model
(:class:`~dedupe_news.scoring.ModelScorer`), over the same span: the model reads
each article's candidate neighbours, which only such a batch sees
(:func:`model_scorer`). :func:`explain_with_model` explains a stored pair the same
way.
"""

from __future__ import annotations

import math

import numpy as np

from ..decision import DecisionRule, ModelRule, PairScores
from ..model_features import EvidenceRows, PreparedEvidence
from ..pair_features import ArticleRows
from ..scoring import ModelScorer
from .evidence_rows import load_evidence
from .pairs import stored_rows
from .recluster import SPAN_WINDOWS
from .rows import Rows, Vocabulary
from .storage import Store

__all__ = ["explain_with_model", "load_span", "model_scorer"]


def load_span(store: Store, window_days: float, days: np.ndarray) -> Rows:
    """Stored articles clustered again with articles dated ``days``: those within
    ``SPAN_WINDOWS`` date windows of them and undated ones; every one if some of
    ``days`` are unknown (or the window is infinite)."""
    w = window_days * SPAN_WINDOWS
    if np.isnan(days).any() or math.isinf(w):
        return store.load("1 ORDER BY rowid", ())
    lo, hi = float(days.min()) - w, float(days.max()) + w
    return store.load("day IS NULL OR day BETWEEN ? AND ? ORDER BY rowid", (lo, hi))


def model_scorer(
    store: Store,
    rule: DecisionRule,
    rows: ArticleRows,
    stored: Rows,
    new: tuple[PreparedEvidence, np.ndarray] | None = None,
    n_jobs: int | None = None,
) -> ModelScorer:
    """The stored model's scorer over ``rows``: the ``stored`` articles, then the ``new``
    ones (their evidence and token counts), with lead and entity IDF fitted over them."""
    evidence, tokens = load_evidence(store.conn, stored.rowid.tolist(), store.path)
    if new is not None:
        evidence = PreparedEvidence.stack([evidence, new[0]])
        tokens = np.r_[tokens, new[1]]
    evidence_rows = EvidenceRows.from_prepared(evidence, tokens)
    return ModelScorer(ModelRule.of(store.model, rule), rows, evidence_rows, n_jobs=n_jobs)


def explain_with_model(
    store: Store, rule: DecisionRule, vocab: Vocabulary, a: Rows, b: Rows
) -> PairScores:
    """Stored articles ``a`` and ``b`` (one row each) scored by the stored model over
    the stored articles near them in date, with their candidate neighbours: those
    within two date windows of either (of both and the days between, when the two
    are close enough for one bulk add to hold them)."""
    days = np.r_[a.day, b.day]
    w = rule.window_days * SPAN_WINDOWS
    if np.isnan(days).any() or math.isinf(w) or abs(days[0] - days[1]) <= 2 * w:
        span = load_span(store, rule.window_days, days)
    else:  # far apart: the stored articles near each, not the months between
        bounds = (days[0] - w, days[0] + w, days[1] - w, days[1] + w)
        span = store.load(
            "day IS NULL OR day BETWEEN ? AND ? OR day BETWEEN ? AND ? ORDER BY rowid", bounds
        )
    rows = stored_rows(vocab, span, hashed=False)
    rows.tfidf.eliminate_zeros()  # stop words out of the search, as in batch
    scorer = model_scorer(store, rule, rows, span)
    scorer.candidates(probe_articles=vocab.n_articles)
    position = {rowid: k for k, rowid in enumerate(span.rowid.tolist())}
    k_a, k_b = position[int(a.rowid[0])], position[int(b.rowid[0])]
    return scorer.pair_scores(k_a, k_b, a.ids[0], b.ids[0])

"""A new article against stored ones: preparation, TF-IDF vector, pair features, linkage."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..articles import Article
from ..clustering import CLEARLY_DIFFERENT, VETO_DISTANCE
from ..minhash import MinHasher
from ..normalize import content_terms, strip_boilerplate, tokenize
from ..scoring import DecisionRule, PairScores
from ..tfidf import term_counts
from .rows import Rows, Vocabulary


@dataclass
class Prepared:
    """An article ready to compare: signature, shingle count, and its term counts in
    the hashed term space of batch clustering (:func:`~dedupe_news.tfidf.term_counts`)."""

    article: Article
    day: float  # ordinal, NaN when undated
    shingles: int
    signature: np.ndarray
    term_ids: np.ndarray  # hashed term columns, sorted
    counts: np.ndarray  # raw counts (float), aligned with term_ids

    @property
    def weights(self) -> np.ndarray:
        """Sublinear term frequencies ``1 + ln(count)``, aligned with ``term_ids``."""
        return 1.0 + np.log(self.counts)


def prepare_articles(hasher: MinHasher, articles: Sequence[Article]) -> list[Prepared]:
    """Normalise, sign and count the terms of ``articles``, as batch clustering does."""
    tokens = [tokenize(strip_boilerplate(a.full_text)) for a in articles]
    signatures = hasher.sign(tokens)
    counts = term_counts([content_terms(t) or t for t in tokens])
    prepared = []
    for k, article in enumerate(articles):
        row = slice(counts.indptr[k], counts.indptr[k + 1])
        prepared.append(
            Prepared(
                article=article,
                day=float(article.date.toordinal()) if article.date else math.nan,
                shingles=int(signatures.shingle_counts[k]),
                signature=signatures.hashvalues[k],
                term_ids=counts.indices[row].astype(np.int64),
                counts=counts.data[row].astype(np.float64),
            )
        )
    return prepared


@dataclass
class QueryVector:
    """An article's L2-normalised TF-IDF row: term ids (sorted) and weights."""

    term_ids: np.ndarray
    weights: np.ndarray

    @classmethod
    def from_tfidf(
        cls, term_ids: np.ndarray, tfidf: np.ndarray, norm_weights: np.ndarray | None = None
    ) -> QueryVector:
        """Sorted and normalised; by the norm of ``norm_weights`` when given (terms of
        the article left out of ``term_ids`` still count in its norm)."""
        full = tfidf if norm_weights is None else norm_weights
        norm = float(np.sqrt(full @ full)) or 1.0
        order = np.argsort(term_ids)
        return cls(term_ids[order], tfidf[order] / norm)


def score_rows(
    rule: DecisionRule,
    p: Prepared,
    vector: QueryVector,
    rows: Rows,
    vocab: Vocabulary,
    extra: int,
) -> tuple[np.ndarray, dict]:
    """story_similarity of ``p`` with each loaded row, and the features.

    The rows' TF-IDF uses the current IDF; ``extra=1`` counts ``p`` in N and in
    the df of its own terms (a queried article, not stored).
    """
    n = len(rows.ids)
    q_ids, q_vals = vector.term_ids, vector.weights
    terms = rows.term_ids
    if q_ids.size:
        pos = np.minimum(np.searchsorted(q_ids, terms), q_ids.size - 1)
        shared = q_ids[pos] == terms
    else:
        pos, shared = np.zeros(terms.size, dtype=np.intp), np.zeros(terms.size, dtype=bool)
    df = vocab.df[terms] + extra * shared
    w = rows.weights * (np.log((1.0 + vocab.n_articles + extra) / (1.0 + df)) + 1.0)
    row = rows.term_rows()
    norm = np.sqrt(np.bincount(row, weights=w * w, minlength=n))
    dot = np.bincount(row[shared], weights=w[shared] * q_vals[pos[shared]], minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        cosine = np.where(norm > 0, np.clip(dot / norm, 0.0, 1.0), 0.0)
    equal = rows.signatures == p.signature[None, :]
    jaccard = equal.mean(axis=1) if n else np.zeros(0)
    size_i = float(p.shingles)
    size_j = rows.shingles.astype(np.float64)
    smaller = np.minimum(size_i, size_j)
    with np.errstate(divide="ignore", invalid="ignore"):
        containment = np.where(
            smaller > 0, jaccard / (1.0 + jaccard) * (size_i + size_j) / smaller, 0.0
        )
    containment = np.clip(containment, 0.0, 1.0)
    distance = np.abs(rows.day - p.day)
    story = np.asarray(
        rule.story_similarity(cosine, jaccard, containment, distance, smaller),
        dtype=np.float64,
    ).reshape(n)
    features = {
        "cosine": cosine,
        "jaccard": jaccard,
        "containment": containment,
        "distance": distance,
        "smaller": smaller,
    }
    return story, features


def best_pair(
    rule: DecisionRule, p: Prepared, ids: list[str], sims: np.ndarray, features: dict
) -> PairScores:
    """The PairScores of the article with its most similar row."""
    k = int(np.argmax(sims))
    return PairScores.from_features(
        p.article.id,
        ids[k],
        rule,
        cosine=float(features["cosine"][k]),
        jaccard=float(features["jaccard"][k]),
        containment=float(features["containment"][k]),
        date_distance_days=float(features["distance"][k]),
        smaller_shingles=int(features["smaller"][k]),
    )


def linkage_score(similarity: np.ndarray) -> float:
    """Mean similarity to a story's members, clearly different members as a veto.

    The same distance as batch agglomeration: ``1 - s``, or ``VETO_DISTANCE``
    below ``CLEARLY_DIFFERENT``; returned as ``1 - mean distance``, so it is the
    plain mean similarity when no member is clearly different.
    """
    distance = np.where(similarity < CLEARLY_DIFFERENT, VETO_DISTANCE, 1.0 - similarity)
    return float(1.0 - distance.mean())

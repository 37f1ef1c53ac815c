"""A new article against stored rows, with the feature layer: preparation
(:mod:`~dedupe_news.prepare`), weighting (:mod:`~dedupe_news.weighting`), pair features
(:mod:`~dedupe_news.pair_features`) and the decision (:mod:`~dedupe_news.decision`).

The index feeds these functions rows read from SQLite: term counts in batch's hashed
term space, IDF from the stored document frequencies. Equal counts, frequencies and
signatures give the features batch clustering computes, bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..articles import Article
from ..decision import DecisionRule, PairScores
from ..minhash import MinHasher, Signatures
from ..pair_features import ArticleRows, PairFeatures, pair_features
from ..prepare import prepare_texts
from ..weighting import smooth_idf, tfidf_rows
from .rows import Rows, Vocabulary


@dataclass
class Prepared:
    """An article ready to compare: signature, shingle count, and its term counts in
    the hashed term space of batch clustering (:func:`~dedupe_news.prepare.term_counts`)."""

    article: Article
    day: float  # ordinal, NaN when undated
    shingles: int  # 0 when nothing is left after cleaning
    signature: np.ndarray
    term_ids: np.ndarray  # hashed term columns, sorted
    counts: np.ndarray  # raw counts (float32), aligned with term_ids


def prepare_articles(hasher: MinHasher, articles: Sequence[Article]) -> list[Prepared]:
    """Normalise, sign and count the terms of ``articles``, as batch clustering does."""
    texts = prepare_texts([a.full_text for a in articles], hasher)
    counts = texts.term_counts
    counts.sort_indices()
    empty = np.zeros(0, dtype=np.int64)
    prepared, row = [], 0
    for k, article in enumerate(articles):
        day = float(article.date.toordinal()) if article.date else math.nan
        if not texts.has_text[k]:
            prepared.append(Prepared(article, day, 0, empty, empty, np.zeros(0, np.float32)))
            continue
        entries = slice(counts.indptr[row], counts.indptr[row + 1])
        prepared.append(
            Prepared(
                article=article,
                day=day,
                shingles=int(texts.signatures.shingle_counts[row]),
                signature=texts.signatures.hashvalues[row],
                term_ids=counts.indices[entries].astype(np.int64),
                counts=counts.data[entries],
            )
        )
        row += 1
    return prepared


def stored_article(rows: Rows) -> Prepared:
    """The first of ``rows`` as a prepared article (its text is not stored)."""
    return Prepared(
        article=Article(rows.ids[0], ""),
        day=float(rows.day[0]),
        shingles=int(rows.shingles[0]),
        signature=rows.signatures[0],
        term_ids=rows.term_ids[: rows.lengths[0]],
        counts=rows.counts[: rows.lengths[0]],
    )


def _counts(term_ids: np.ndarray, counts: np.ndarray, lengths: np.ndarray, columns: np.ndarray):
    """Counts as a CSR matrix over ``columns`` (sorted hashed ids; order is kept, so row
    entries add up in the order batch adds them)."""
    indptr = np.r_[0, np.cumsum(lengths)]
    return sp.csr_matrix(
        (counts.astype(np.float32), np.searchsorted(columns, term_ids), indptr),
        shape=(lengths.size, columns.size),
    )


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """:func:`~dedupe_news.weighting.tfidf_rows`, also for no rows."""
    if counts.shape[0] == 0:
        return sp.csr_matrix(counts.shape, dtype=np.float32)
    return tfidf_rows(counts, idf)


def article_rows(
    vocab: Vocabulary, p: Prepared, rows: Rows, extra: int
) -> tuple[ArticleRows, ArticleRows]:
    """``p`` and ``rows`` as :class:`~dedupe_news.pair_features.ArticleRows` in one term
    space, weighted with the current IDF; ``extra=1`` counts ``p`` in N and in the df
    of its own terms (a queried article, not stored)."""
    columns = np.unique(np.concatenate([p.term_ids, rows.term_ids]))
    df = vocab.df[columns] + extra * np.isin(columns, p.term_ids)
    idf = smooth_idf(df, vocab.n_articles + extra)
    one = np.array([p.term_ids.size])
    left = ArticleRows(
        tfidf=tfidf_rows(_counts(p.term_ids, p.counts, one, columns), idf),
        signatures=Signatures(p.signature[None, :], np.array([p.shingles], dtype=np.int32)),
        days=np.array([p.day]),
    )
    right = ArticleRows(
        tfidf=_tfidf(_counts(rows.term_ids, rows.counts, rows.lengths, columns), idf),
        signatures=Signatures(rows.signatures, rows.shingles.astype(np.int32)),
        days=rows.day,
    )
    return left, right


def stored_rows(vocab: Vocabulary, rows: Rows) -> ArticleRows:
    """Stored rows as :class:`~dedupe_news.pair_features.ArticleRows` (current IDF)."""
    columns = np.unique(rows.term_ids)
    idf = smooth_idf(vocab.df[columns], vocab.n_articles)
    return ArticleRows(
        tfidf=_tfidf(_counts(rows.term_ids, rows.counts, rows.lengths, columns), idf),
        signatures=Signatures(rows.signatures, rows.shingles.astype(np.int32)),
        days=rows.day,
    )


def article_tfidf(vocab: Vocabulary, p: Prepared, extra: int) -> np.ndarray:
    """The L2-normalised TF-IDF weights of ``p``'s terms (aligned with ``term_ids``)."""
    left, _ = article_rows(vocab, p, _no_rows(p), extra)
    return left.tfidf.data.astype(np.float64)


def _no_rows(p: Prepared) -> Rows:
    none = np.zeros(0, dtype=np.int64)
    return Rows(
        rowid=none,
        ids=[],
        story=none,
        day=np.zeros(0),
        shingles=none,
        signatures=np.zeros((0, p.signature.size), dtype=np.uint32),
        lengths=none,
        term_ids=none,
        counts=np.zeros(0),
    )


def score_rows(
    rule: DecisionRule, p: Prepared, rows: Rows, vocab: Vocabulary, extra: int
) -> tuple[np.ndarray, PairFeatures]:
    """story_similarity of ``p`` with each stored row, and the pair features, computed
    by :func:`~dedupe_news.pair_features.pair_features` and the decision rule."""
    left, right = article_rows(vocab, p, rows, extra)
    m = len(rows.ids)
    features = pair_features(left, np.zeros(m, dtype=np.intp), right, np.arange(m))
    return np.asarray(rule.story_similarity(features), dtype=np.float64), features


def best_pair(
    rule: DecisionRule, p: Prepared, ids: list[str], sims: np.ndarray, features: PairFeatures
) -> PairScores:
    """The PairScores of the article with its most similar row."""
    k = int(np.argmax(sims))
    return PairScores.from_features(p.article.id, ids[k], rule, features, k)

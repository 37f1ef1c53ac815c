"""A new article against stored rows, with the feature layer: preparation
(:mod:`~dedupe_news.prepare`), weighting (:mod:`~dedupe_news.weighting`), pair features
(:mod:`~dedupe_news.pair_features`) and the decision (:mod:`~dedupe_news.decision`).

The index feeds these functions rows read from SQLite: term counts in batch's hashed
term space, IDF from the stored document frequencies. Equal counts, frequencies and
signatures give the features batch clustering computes, bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..articles import Article
from ..decision import DecisionRule, PairScores
from ..minhash import MinHasher, Signatures
from ..pair_features import ArticleRows, PairFeatures, pair_features
from ..prepare import N_FEATURES, prepare_texts
from ..timestamps import article_day
from ..weighting import smooth_idf, tfidf_entries, tfidf_rows
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
    band_keys: list[int] | None = None  # LSH band keys, once computed


def prepare_articles(hasher: MinHasher, articles: Sequence[Article]) -> list[Prepared]:
    """Normalise, sign and count the terms of ``articles``, as batch clustering does."""
    texts = prepare_texts([a.full_text for a in articles], hasher)
    counts = texts.term_counts
    counts.sort_indices()
    empty = np.zeros(0, dtype=np.int64)
    prepared, row = [], 0
    for k, article in enumerate(articles):
        day = article_day(article)
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


def _weighted(
    term_ids: np.ndarray,
    counts: np.ndarray,
    lengths: np.ndarray,
    vocab: Vocabulary,
    extra: int,
    counted: np.ndarray,
    hashed: bool = True,
) -> sp.csr_matrix:
    """L2-normalised TF-IDF rows (:func:`~dedupe_news.weighting.tfidf_rows`) in the hashed
    term space; ``extra`` articles count in N and in the df of the ``counted`` terms.
    Stop words (:meth:`~.rows.Vocabulary.stop_mask`) weigh 0 and stay as explicit
    zeros, so each row's entries line up with its stored term ids.

    Each row's entries stay in hashed column order, so it adds up in the order batch
    adds it. In the hashed term space, or over the columns in use only when not
    ``hashed`` (a product of the rows with their transpose wants few columns).
    """
    n = lengths.size
    if n == 0:
        return sp.csr_matrix((0, N_FEATURES), dtype=np.float32)
    indptr = np.concatenate(([0], np.cumsum(lengths)))
    if hashed:  # IDF per entry: no sort of the columns in use
        df = vocab.df[term_ids]
        if extra and counted.size:
            df = df + extra * _isin_sorted(term_ids, counted)
        counts_hashed = sp.csr_matrix(
            (counts.astype(np.float32), term_ids, indptr), shape=(n, N_FEATURES)
        )
        n_articles = vocab.n_articles + extra
        stop = vocab.stop_mask(term_ids, df, n_articles)
        return tfidf_entries(counts_hashed, smooth_idf(df, n_articles), stop)
    columns, positions = np.unique(term_ids, return_inverse=True)
    df = vocab.df[columns]
    if extra and counted.size:
        df = df + extra * _isin_sorted(columns, counted)
    compact = sp.csr_matrix((counts.astype(np.float32), positions, indptr), shape=(n, columns.size))
    n_articles = vocab.n_articles + extra
    stop = vocab.stop_mask(columns, df, n_articles)
    return tfidf_rows(compact, smooth_idf(df, n_articles), stop)


def _isin_sorted(values: np.ndarray, sorted_distinct: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` is in ``sorted_distinct`` (not empty), as bools."""
    found = np.minimum(np.searchsorted(sorted_distinct, values), sorted_distinct.size - 1)
    return sorted_distinct[found] == values


@dataclass
class Query:
    """An article weighed against stored rows: its TF-IDF row, and ``extra`` (1 when
    IDF counts it as if stored, for a queried article; 0 when it is stored)."""

    prepared: Prepared
    rows: ArticleRows  # one row
    extra: int

    @property
    def weights(self) -> np.ndarray:
        """Its L2-normalised TF-IDF weights, aligned with ``prepared.term_ids``."""
        return self.rows.tfidf.data.astype(np.float64)


def weigh(vocab: Vocabulary, p: Prepared, extra: int) -> Query:
    """``p`` weighted with the current IDF (see :class:`Query` for ``extra``)."""
    one = np.array([p.term_ids.size])
    tfidf = _weighted(p.term_ids, p.counts, one, vocab, extra, p.term_ids)
    rows = ArticleRows(
        tfidf=tfidf,
        signatures=Signatures(p.signature[None, :], np.array([p.shingles], dtype=np.int32)),
        days=np.array([p.day]),
    )
    return Query(p, rows, extra)


def stored_rows(
    vocab: Vocabulary, rows: Rows, query: Query | None = None, *, hashed: bool = True
) -> ArticleRows:
    """Stored rows as :class:`~dedupe_news.pair_features.ArticleRows`, weighted with the
    current IDF (counting ``query`` as stored when it says so); in the hashed term
    space (to pair with a query), or over their own terms only when not ``hashed``."""
    extra, counted = (
        (0, rows.term_ids[:0])
        if query is None
        else (
            query.extra,
            query.prepared.term_ids,
        )
    )
    return ArticleRows(
        tfidf=_weighted(
            rows.term_ids, rows.counts, rows.lengths, vocab, extra, counted, hashed=hashed
        ),
        signatures=Signatures(rows.signatures, rows.shingles.astype(np.int32)),
        days=rows.day,
    )


def score_rows(
    rule: DecisionRule, query: Query, rows: Rows, vocab: Vocabulary
) -> tuple[np.ndarray, PairFeatures]:
    """story_similarity of the query article with each stored row, and the pair features,
    by :func:`~dedupe_news.pair_features.pair_features` and the decision rule."""
    m = len(rows.ids)
    right = stored_rows(vocab, rows, query)
    features = pair_features(query.rows, np.zeros(m, dtype=np.intp), right, np.arange(m))
    return np.asarray(rule.story_similarity(features), dtype=np.float64), features


def best_pair(
    rule: DecisionRule, query: Query, ids: list[str], sims: np.ndarray, features: PairFeatures
) -> PairScores:
    """The PairScores of the query article with its most similar row."""
    k = int(np.argmax(sims))
    return PairScores.from_features(query.prepared.article.id, ids[k], rule, features, k)

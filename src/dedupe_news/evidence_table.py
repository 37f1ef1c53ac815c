"""Entity, quote and ticker evidence of a corpus, compared over article pairs.

:mod:`~dedupe_news.evidence` reads each article's keys; :class:`EvidenceTable`
holds a corpus of them and gives the model's evidence features, vectorised over
pairs ``(i[k], j[k])``:

``entity_cosine`` in [0, 1]
    Cosine of the binary entity vectors weighted by entity IDF
    ``ln((1 + n) / (1 + df))`` (n articles, df articles naming the entity), so a
    shared rare entity counts for much and an entity every article names for
    nothing. 0 when either side has no entity.
``entity_overlap`` in [0, 1]
    Weighted containment: the IDF weight of the shared entities over the smaller
    of the two sides' total weights. 0 when either side has none.
``entity_conflict`` in {0, 1}
    1 when both sides name rare entities (in at most :data:`RARE_ENTITY_SHARE`
    of the articles, and at least 2) and share none of them: evidence against.
``ticker_conflict`` in {0, 1}
    1 when both *leads* (titles, else first words) name tickers and share none: two
    companies' briefs. Tickers named only further down (a deal partner, a customer)
    do not count, so "AMR <AMR> TO ACQUIRE JETS" and "BOEING <BA> SAYS ORDER WORTH
    ONE BILLION" conflict even when Boeing's text names AMR.
``quote_overlap`` in [0, 1]
    Shared quote keys over the smaller side's number of quote keys; 0 when
    either side quotes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from .evidence import ArticleEvidence
from .pair_features import compiled_pairs, row_dot_products

__all__ = ["RARE_ENTITY_SHARE", "EntityFrequencies", "EvidenceTable", "log_length"]

RARE_ENTITY_SHARE = 0.02
"""An entity is rare when at most this share of the articles (and at least 2)
name it; ``entity_conflict`` looks at rare entities only."""

_EMPTY = np.zeros(0, dtype=np.int64)


def _key_matrix(key_arrays: Sequence[np.ndarray]) -> sp.csr_matrix:
    """Binary (n, n_keys) matrix, columns numbered by the sorted distinct keys."""
    lengths = np.fromiter((a.size for a in key_arrays), dtype=np.int64, count=len(key_arrays))
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    flat = np.concatenate(key_arrays) if lengths.sum() else _EMPTY
    _, columns = np.unique(flat, return_inverse=True)
    n_cols = int(columns.max()) + 1 if columns.size else 0
    data = np.ones(flat.size, dtype=np.float64)
    return sp.csr_matrix((data, columns.ravel(), indptr), shape=(len(key_arrays), n_cols))


def _pair_products(a: sp.csr_matrix, b: sp.csr_matrix, i: np.ndarray, j: np.ndarray):
    """Row-wise dot products ``a[i[k]] . b[j[k]]`` (key matrices are canonical: the
    chunks :func:`~dedupe_news.pair_features.row_dot_products` takes change nothing)."""
    return row_dot_products(a, i, b, j)


def _shared_sums(binary: sp.csr_matrix, weights: np.ndarray, i: np.ndarray, j: np.ndarray):
    """``(n_pairs, n_weights)``: per pair, the column sums of ``weights`` over the keys
    both rows ``i[k]`` and ``j[k]`` of ``binary`` hold (one row product for all;
    compiled, bit for bit, where :func:`~dedupe_news.pair_features.compiled_pairs`)."""
    if compiled_pairs(binary, binary, i.size) and binary.dtype == weights.dtype == np.float64:
        from .pair_kernel import pair_weight_sums

        return pair_weight_sums(binary, i, binary, j, weights)
    out = np.zeros((i.size, weights.shape[1]), dtype=np.float64)
    step = 50_000
    for start in range(0, i.size, step):
        shared = binary[i[start : start + step]].multiply(binary[j[start : start + step]])
        out[start : start + step] = sp.csr_matrix(shared) @ weights
    return out


class EntityFrequencies:
    """How many articles of a corpus name each entity: sorted distinct ``keys``, their
    ``document_frequency``, and the corpus's ``n_articles``.

    For an :class:`EvidenceTable` over some of the corpus's articles that weighs
    entities as a table over the whole corpus would (the Spark engine's tasks).

    >>> corpus = EntityFrequencies.of([np.array([1, 2]), np.array([2]), np.array([3])])
    >>> corpus.keys.tolist(), corpus.document_frequency.tolist(), corpus.n_articles
    ([1, 2, 3], [1, 2, 1], 3)
    """

    def __init__(self, keys: np.ndarray, document_frequency: np.ndarray, n_articles: int):
        self.keys = np.asarray(keys, dtype=np.int64)
        self.document_frequency = np.asarray(document_frequency, dtype=np.int64)
        self.n_articles = int(n_articles)
        if self.keys.shape != self.document_frequency.shape:
            raise ValueError("keys and document_frequency must have one entry per entity")

    @classmethod
    def of(cls, entities: Sequence[np.ndarray]) -> EntityFrequencies:
        """The frequencies of articles given by their (sorted, unique) entity keys."""
        flat = np.concatenate(list(entities)) if len(entities) else _EMPTY
        keys, counts = np.unique(flat.astype(np.int64), return_counts=True)
        return cls(keys, counts, len(entities))

    def frequencies(self, keys: np.ndarray) -> np.ndarray:
        """The document frequency of each of ``keys`` (each must be known)."""
        where = np.searchsorted(self.keys, keys)
        if where.size and (
            where.max() >= self.keys.size or not np.array_equal(self.keys[where], keys)
        ):
            raise ValueError("entity keys unknown to these frequencies")
        return self.document_frequency[where]


class EvidenceTable:
    """Entity and quote evidence of a corpus, for vectorised pair features.

    Entity IDF is fitted on these articles: ``ln((1 + n) / (1 + df))``; with
    ``frequencies`` (:class:`EntityFrequencies` of a corpus these articles belong
    to), ``n`` and ``df`` are that corpus's, and so are the rare entities.
    """

    def __init__(
        self,
        entities: Sequence[np.ndarray],
        quotes: Sequence[np.ndarray],
        tickers: Sequence[np.ndarray] | None = None,
        *,
        frequencies: EntityFrequencies | None = None,
    ):
        if len(entities) != len(quotes):
            raise ValueError("entities and quotes must have one array per article")
        self.n_articles = len(entities)
        binary = _key_matrix(entities)
        if frequencies is None:
            n_corpus = self.n_articles
            df = np.bincount(binary.indices, minlength=binary.shape[1])
        else:  # the columns are the sorted distinct keys (_key_matrix)
            n_corpus = frequencies.n_articles
            lengths = [a.size for a in entities]
            flat = np.concatenate(list(entities)) if sum(lengths) else _EMPTY
            df = frequencies.frequencies(np.unique(flat))
        self.entity_idf = np.log((1.0 + n_corpus) / (1.0 + df))
        # The weighted and the rare-entity matrices give per-article sums, and are not
        # kept: 12 bytes an entity mention each (60 MB of 116 on 100k articles).
        weighted = sp.csr_matrix(binary @ sp.diags(self.entity_idf))
        self._weight_sums = np.asarray(weighted.sum(axis=1)).ravel()
        self._norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1))).ravel()
        del weighted
        self._binary = binary
        rare = df <= max(2.0, RARE_ENTITY_SHARE * n_corpus)
        rare_mentions = sp.csr_matrix(binary @ sp.diags(rare.astype(np.float64)))
        rare_mentions.eliminate_zeros()
        self._rare_counts = np.diff(rare_mentions.indptr)
        del rare_mentions
        # Per entity: the weights a shared entity adds (IDF, IDF squared, rare or not).
        self._shared_weights = np.column_stack(
            [self.entity_idf, self.entity_idf**2, rare.astype(np.float64)]
        )
        self._quotes = _key_matrix(quotes)
        self._quote_counts = np.diff(self._quotes.indptr)
        self._tickers = _key_matrix(tickers if tickers is not None else [_EMPTY] * len(quotes))
        self._ticker_counts = np.diff(self._tickers.indptr)

    @classmethod
    def from_evidence(cls, evidence: Sequence[ArticleEvidence]) -> EvidenceTable:
        return cls(
            [e.entities for e in evidence],
            [e.quotes for e in evidence],
            [e.tickers for e in evidence],
        )

    def entity_features(self, i, j) -> dict[str, np.ndarray]:
        """``entity_cosine``, ``entity_overlap`` and ``entity_conflict`` of pairs."""
        i = np.asarray(i, dtype=np.intp)
        j = np.asarray(j, dtype=np.intp)
        shared_weight, shared_squared, shared_rare = _shared_sums(
            self._binary, self._shared_weights, i, j
        ).T
        norm = self._norms[i] * self._norms[j]
        smaller = np.minimum(self._weight_sums[i], self._weight_sums[j])
        with np.errstate(divide="ignore", invalid="ignore"):
            cosine = np.where(norm > 0, shared_squared / norm, 0.0)
            overlap = np.where(smaller > 0, shared_weight / smaller, 0.0)
        both = (self._rare_counts[i] > 0) & (self._rare_counts[j] > 0)
        conflict = (both & (shared_rare <= 0)).astype(np.float64)
        return {
            "entity_cosine": np.clip(cosine, 0.0, 1.0),
            "entity_overlap": np.clip(overlap, 0.0, 1.0),
            "entity_conflict": conflict,
        }

    def ticker_conflict(self, i, j) -> np.ndarray:
        """1.0 where both articles' tickers (leads' tickers, for :func:`article_evidence`)
        are non-empty and disjoint, else 0.0."""
        i = np.asarray(i, dtype=np.intp)
        j = np.asarray(j, dtype=np.intp)
        shared = _pair_products(self._tickers, self._tickers, i, j)
        both = (self._ticker_counts[i] > 0) & (self._ticker_counts[j] > 0)
        return (both & (shared <= 0)).astype(np.float64)

    def quote_overlap(self, i, j) -> np.ndarray:
        """Shared quote keys over the smaller side's count; 0 without quotes."""
        i = np.asarray(i, dtype=np.intp)
        j = np.asarray(j, dtype=np.intp)
        shared = _pair_products(self._quotes, self._quotes, i, j)
        smaller = np.minimum(self._quote_counts[i], self._quote_counts[j])
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(smaller > 0, shared / np.maximum(smaller, 1), 0.0)

    def shared_entities(self, i: int, j: int) -> np.ndarray:
        """Column numbers of the entities rows ``i`` and ``j`` share (for explain)."""
        row_i = set(self._binary[i].indices.tolist())
        return np.array(sorted(row_i.intersection(self._binary[j].indices.tolist())))


def log_length(n_tokens) -> np.ndarray:
    """``ln(1 + n_tokens)``, the length transform the model uses."""
    return np.log1p(np.asarray(n_tokens, dtype=np.float64))
